//! Chapters embedded in audio files.
//!
//! - MP3 (and WAV/AIFF with an ID3 chunk): ID3v2 `CHAP` frames, titled by their `TIT2`
//!   sub-frame (`TIT3` when there is no `TIT2`), with a `WXXX`/`W…` link when present. When a
//!   `CTOC` exists, its (nested) element order is kept for chapters starting together, and
//!   `CHAP` frames no table of contents lists become `toc: false` (they still bound their
//!   neighbours, as the ID3 chapter spec intends).
//! - MP4/M4A/M4B: the QuickTime chapter text track, or the Nero `chpl` atom when there is no
//!   track (read with `mp4ameta`, which finds `moov` wherever it sits, before or after `mdat`).
//! - Ogg (Vorbis, Opus, …) and FLAC: `CHAPTER001=00:01:02.500`, `CHAPTER001NAME=Title`,
//!   `CHAPTER001URL=…` Vorbis comments, any numbering (000 or 001 first), read through
//!   symphonia.
//!
//! Fractional starts are kept. Every set goes through [`normalize`] with the audio's duration
//! when it is known: frames out of order are sorted, duplicated sets collapse, overlapping
//! chapters end where the next begins and nothing runs past the end of the audio.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{Metadata, MetadataOptions};
use symphonia::core::probe::Hint;

use super::{normalize, Chapter, ChapterSource};
use crate::error::{Error, Result};

/// The container of an audio file, as far as chapters are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioKind {
    Mp3,
    Mp4,
    Ogg,
    Flac,
    Wav,
    Aiff,
}

impl AudioKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AudioKind::Mp3 => "mp3",
            AudioKind::Mp4 => "mp4",
            AudioKind::Ogg => "ogg",
            AudioKind::Flac => "flac",
            AudioKind::Wav => "wav",
            AudioKind::Aiff => "aiff",
        }
    }

    fn source(self) -> ChapterSource {
        match self {
            AudioKind::Mp3 | AudioKind::Wav | AudioKind::Aiff => ChapterSource::Id3,
            AudioKind::Mp4 => ChapterSource::Mp4,
            AudioKind::Ogg | AudioKind::Flac => ChapterSource::VorbisComment,
        }
    }
}

/// Recognises an audio container from the first bytes of a file (`after_id3`: the bytes that
/// follow a leading ID3v2 tag, when there is one).
pub(crate) fn sniff(head: &[u8], after_id3: Option<&[u8]>) -> Option<AudioKind> {
    if head.starts_with(b"ID3") {
        return Some(match after_id3 {
            Some(b) if b.starts_with(b"fLaC") => AudioKind::Flac,
            _ => AudioKind::Mp3,
        });
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(AudioKind::Mp4);
    }
    if head.starts_with(b"OggS") {
        return Some(AudioKind::Ogg);
    }
    if head.starts_with(b"fLaC") {
        return Some(AudioKind::Flac);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WAVE" {
        return Some(AudioKind::Wav);
    }
    if head.len() >= 12 && head.starts_with(b"FORM") && matches!(&head[8..12], b"AIFF" | b"AIFC") {
        return Some(AudioKind::Aiff);
    }
    // An MPEG audio frame (MP3) or ADTS (AAC) sync word, no tag in front.
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        return Some(AudioKind::Mp3);
    }
    None
}

/// Reads the start of a file and recognises its container.
pub(crate) fn sniff_file(path: &Path) -> Result<Option<AudioKind>> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(64);
    (&mut f)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let mut after = Vec::new();
    if head.len() >= 10 && head.starts_with(b"ID3") {
        // Syncsafe size, plus the header and an optional footer.
        let size = head[6..10]
            .iter()
            .fold(0u64, |acc, &b| (acc << 7) | u64::from(b & 0x7F));
        let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
        if f.seek(SeekFrom::Start(10 + size + footer)).is_ok() {
            let _ = (&mut f).take(16).read_to_end(&mut after);
        }
    }
    Ok(sniff(&head, Some(&after)))
}

/// The chapters embedded in an audio file (MP3, MP4/M4A, Ogg, FLAC, WAV, AIFF), normalized and
/// clipped to the audio's duration. A file without chapters gives an empty list; a file that is
/// not audio Earshot knows is an error.
pub fn chapters_from_audio(path: &Path) -> Result<Vec<Chapter>> {
    Ok(embedded_chapters(path)?.1)
}

/// Like [`chapters_from_audio`], and says which kind of embedded chapters the file can carry
/// ([`ChapterSource::Id3`], [`ChapterSource::Mp4`] or [`ChapterSource::VorbisComment`]), even
/// when it has none.
pub fn embedded_chapters(path: &Path) -> Result<(ChapterSource, Vec<Chapter>)> {
    let Some(kind) = sniff_file(path)? else {
        return Err(Error::parse(
            path.display().to_string(),
            "it is not an audio file Earshot reads chapters from (MP3, MP4/M4A, Ogg, FLAC)",
        ));
    };
    // Belt and braces: a panic in a tag reader on a damaged file must not take the app down.
    let read = std::panic::catch_unwind(|| match kind {
        AudioKind::Mp3 | AudioKind::Wav | AudioKind::Aiff => id3_chapters(path),
        AudioKind::Mp4 => mp4_chapters(path),
        AudioKind::Ogg | AudioKind::Flac => vorbis_chapters(path),
    });
    let chapters = read.unwrap_or_else(|_| {
        Err(Error::parse(
            path.display().to_string(),
            format!("its {} tags are damaged", kind.name()),
        ))
    })?;
    Ok((kind.source(), chapters))
}

// --- ID3v2 -----------------------------------------------------------------------------------

fn id3_chapters(path: &Path) -> Result<Vec<Chapter>> {
    // `read_from_path` finds the tag in MP3, WAV and AIFF files alike.
    let tag = match id3::Tag::read_from_path(path) {
        Ok(tag) => tag,
        Err(e) => match (e.kind, e.partial_tag) {
            (_, Some(partial)) => partial,
            (id3::ErrorKind::NoTag, None) => return Ok(Vec::new()),
            (id3::ErrorKind::Io(io), None) => return Err(Error::io(path, io)),
            (_, None) => {
                return Err(Error::parse(
                    path.display().to_string(),
                    format!("its ID3 tag is unreadable ({})", e.description),
                ))
            }
        },
    };
    let frames: Vec<&id3::frame::Chapter> = tag.chapters().collect();
    if frames.is_empty() {
        return Ok(Vec::new());
    }

    // Table-of-contents order: the top-level CTOC (or the first), its elements depth first.
    let tocs: Vec<&id3::frame::TableOfContents> = tag.tables_of_contents().collect();
    let mut order: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let roots = tocs
        .iter()
        .filter(|t| t.top_level)
        .chain(tocs.iter().filter(|t| !t.top_level));
    for root in roots {
        walk_toc(root, &tocs, &mut order, &mut seen, 0);
    }
    let listed: HashSet<&str> = order.iter().map(String::as_str).collect();

    let mut sorted: Vec<&id3::frame::Chapter> = Vec::with_capacity(frames.len());
    for id in &order {
        sorted.extend(frames.iter().filter(|c| &c.element_id == id));
    }
    sorted.extend(
        frames
            .iter()
            .filter(|c| !listed.contains(c.element_id.as_str())),
    );

    let mut chapters: Vec<Chapter> = sorted
        .into_iter()
        .map(|c| {
            let start = f64::from(c.start_time) / 1000.0;
            let end = f64::from(c.end_time) / 1000.0;
            let text = |id: &str| {
                c.frames
                    .iter()
                    .find(|f| f.id() == id)
                    .and_then(|f| f.content().text())
                    .map(|t| t.trim_matches(['\0', ' ']).to_string())
                    .filter(|t| !t.is_empty())
            };
            let url = c.frames.iter().find_map(|f| {
                let content = f.content();
                content
                    .extended_link()
                    .map(|l| l.link.clone())
                    .or_else(|| content.link().map(str::to_string))
                    .filter(|l| !l.trim().is_empty())
            });
            Chapter {
                start,
                end: (c.end_time != u32::MAX && end > start).then_some(end),
                title: text("TIT2").or_else(|| text("TIT3")).unwrap_or_default(),
                img: None,
                url,
                toc: tocs.is_empty() || listed.contains(c.element_id.as_str()),
            }
        })
        .collect();
    normalize(&mut chapters, audio_duration(path));
    Ok(chapters)
}

fn walk_toc(
    toc: &id3::frame::TableOfContents,
    all: &[&id3::frame::TableOfContents],
    order: &mut Vec<String>,
    seen: &mut HashSet<String>,
    depth: usize,
) {
    if depth > 16 || !seen.insert(format!("ctoc:{}", toc.element_id)) {
        return;
    }
    for el in &toc.elements {
        match all.iter().find(|t| &t.element_id == el) {
            Some(child) => walk_toc(child, all, order, seen, depth + 1),
            None => {
                if seen.insert(format!("chap:{el}")) {
                    order.push(el.clone());
                }
            }
        }
    }
}

// --- MP4 -------------------------------------------------------------------------------------

fn mp4_chapters(path: &Path) -> Result<Vec<Chapter>> {
    let cfg = mp4ameta::ReadConfig {
        read_chapter_list: true,
        read_chapter_track: true,
        // The duration is read anyway; the codec details are not needed.
        read_audio_info: false,
        ..mp4ameta::ReadConfig::NONE
    };
    let tag = mp4ameta::Tag::read_with_path(path, &cfg).map_err(|e| match e.kind {
        mp4ameta::ErrorKind::Io(io) => Error::io(path, io),
        _ => Error::parse(
            path.display().to_string(),
            format!("its MP4 structure is unreadable ({})", e.description),
        ),
    })?;
    // The QuickTime chapter track is what Apple's players show; the Nero list is the fallback.
    let set = if tag.chapter_track().is_empty() {
        tag.chapter_list()
    } else {
        tag.chapter_track()
    };
    let mut chapters: Vec<Chapter> = set
        .iter()
        .map(|c| Chapter {
            start: c.start.as_secs_f64(),
            end: None,
            title: c.title.trim_matches(['\0', ' ']).to_string(),
            img: None,
            url: None,
            toc: true,
        })
        .collect();
    let duration = tag.duration().as_secs_f64();
    let duration = if duration > 0.0 {
        Some(duration)
    } else {
        audio_duration(path)
    };
    normalize(&mut chapters, duration);
    Ok(chapters)
}

// --- Vorbis comments -------------------------------------------------------------------------

#[derive(Default)]
struct VorbisChapter {
    start: Option<f64>,
    name: Option<String>,
    url: Option<String>,
}

/// `CHAPTERnnn`, `CHAPTERnnnNAME`, `CHAPTERnnnURL` (any case) into chapters.
pub(crate) fn chapters_from_vorbis_comments<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Chapter> {
    let mut by_number: BTreeMap<u32, VorbisChapter> = BTreeMap::new();
    for (key, value) in tags {
        let key = key.trim().to_ascii_uppercase();
        let Some(rest) = key.strip_prefix("CHAPTER") else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(n) = rest[..digits].parse::<u32>() else {
            continue;
        };
        let entry = by_number.entry(n).or_default();
        let value = value.trim();
        match &rest[digits..] {
            "" => entry.start = crate::timefmt::parse_clock(value),
            "NAME" => entry.name = Some(value.to_string()),
            "URL" if !value.is_empty() => entry.url = Some(value.to_string()),
            _ => {}
        }
    }
    by_number
        .into_values()
        .filter_map(|c| {
            Some(Chapter {
                start: c.start.filter(|s| s.is_finite() && *s >= 0.0)?,
                end: None,
                title: c.name.unwrap_or_default(),
                img: None,
                url: c.url,
                toc: true,
            })
        })
        .collect()
}

fn vorbis_chapters(path: &Path) -> Result<Vec<Chapter>> {
    let probed = probe(path)?;
    let mut chapters =
        chapters_from_vorbis_comments(probed.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    normalize(&mut chapters, probed.duration);
    Ok(chapters)
}

// --- symphonia: tags and duration ------------------------------------------------------------

struct Probed {
    tags: Vec<(String, String)>,
    duration: Option<f64>,
}

fn probe(path: &Path) -> Result<Probed> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| {
            Error::parse(
                path.display().to_string(),
                format!("its audio stream is unreadable ({e})"),
            )
        })?;
    let mut tags = Vec::new();
    if let Some(mut md) = probed.metadata.get() {
        collect_tags(&mut md, &mut tags);
    }
    collect_tags(&mut probed.format.metadata(), &mut tags);
    let duration = probed.format.default_track().and_then(|t| {
        let p = &t.codec_params;
        let (n, tb) = (p.n_frames?, p.time_base?);
        let time = tb.calc_time(n);
        let secs = time.seconds as f64 + time.frac;
        (secs > 0.0).then_some(secs)
    });
    Ok(Probed { tags, duration })
}

fn collect_tags(md: &mut Metadata<'_>, out: &mut Vec<(String, String)>) {
    loop {
        if let Some(rev) = md.current() {
            out.extend(
                rev.tags()
                    .iter()
                    .map(|t| (t.key.clone(), t.value.to_string())),
            );
        }
        if md.is_latest() {
            break;
        }
        md.pop();
    }
}

/// The audio's duration in seconds, when the container says (`None` when it cannot be read).
fn audio_duration(path: &Path) -> Option<f64> {
    probe(path).ok()?.duration
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_containers() {
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0", None), Some(AudioKind::Mp3));
        assert_eq!(
            sniff(b"ID3\x04\0\0\0\0\0\0", Some(b"fLaC")),
            Some(AudioKind::Flac)
        );
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A \0\0", None), Some(AudioKind::Mp4));
        assert_eq!(sniff(b"OggS\0\x02", None), Some(AudioKind::Ogg));
        assert_eq!(sniff(b"\xff\xfb\x90\x64", None), Some(AudioKind::Mp3));
        assert_eq!(sniff(b"{\"chapters\":[]}", None), None);
        assert_eq!(sniff(b"", None), None);
    }

    #[test]
    fn reads_vorbis_chapter_comments_in_number_order() {
        let c = chapters_from_vorbis_comments([
            ("CHAPTER002", "00:01:00.500"),
            ("chapter002name", "Second"),
            ("CHAPTER001", "00:00:00.000"),
            ("CHAPTER001NAME", "First"),
            ("CHAPTER001URL", "https://example.org/"),
            ("CHAPTER003NAME", "No start: dropped"),
            ("TITLE", "Not a chapter"),
        ]);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].start, c[0].title.as_str()), (0.0, "First"));
        assert_eq!(c[0].url.as_deref(), Some("https://example.org/"));
        assert_eq!((c[1].start, c[1].title.as_str()), (60.5, "Second"));
    }
}
