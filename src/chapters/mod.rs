//! Chapters from every place episodes carry them, and lookups by playback position.
//!
//! - [`parse_json_chapters`]: the Podcasting 2.0 JSON chapters format (`podcast:chapters`).
//! - [`chapters_from_audio`] / [`embedded_chapters`]: chapters embedded in the audio file: ID3v2
//!   `CHAP`/`CTOC` frames (MP3), Nero `chpl` and QuickTime chapter tracks (MP4/M4A), and
//!   `CHAPTERxxx` Vorbis comments (Ogg, FLAC).
//! - [`chapters_from_show_notes`]: the time-stamped lists people type into show notes.
//! - [`merge`]: picks one set by a fixed priority (see [`ChapterSource`]).
//! - [`chapters_from_file`]: any of the above from a file, recognised by its content.
//!
//! Every reader returns its chapters through [`normalize`]: sorted by start, exact duplicates
//! removed, ends filled in and clipped to the next start and to the audio's duration.

mod embedded;
mod file;
mod shownotes;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use embedded::{chapters_from_audio, embedded_chapters};
pub use file::{chapters_from_file, FileChapters};
pub use shownotes::chapters_from_show_notes;

/// Where a set of chapters came from. Serialized in kebab case: `podcasting20-json`, `id3`,
/// `mp4`, `vorbis-comment`, `show-notes`.
///
/// **Priority** (what [`merge`] keeps when an episode has chapters in several places), highest
/// first:
///
/// 1. [`Podcasting20Json`](ChapterSource::Podcasting20Json): the feed's `podcast:chapters`
///    document, written for players on purpose, and the only one with images, links and
///    `toc: false`;
/// 2. chapters embedded in the audio: [`Id3`](ChapterSource::Id3) (MP3),
///    [`Mp4`](ChapterSource::Mp4) (M4A/MP4), [`VorbisComment`](ChapterSource::VorbisComment)
///    (Ogg, FLAC) — one file has only one of these, so they share a rank;
/// 3. [`ShowNotes`](ChapterSource::ShowNotes): time stamps found in the show notes text, a guess.
///
/// A lower source never overrides a higher one, however many more chapters it has; it is used
/// only when every higher source has no chapters at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChapterSource {
    Podcasting20Json,
    Id3,
    Mp4,
    VorbisComment,
    ShowNotes,
}

impl ChapterSource {
    /// The serialized name (`"podcasting20-json"`, `"id3"`, `"mp4"`, `"vorbis-comment"`,
    /// `"show-notes"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChapterSource::Podcasting20Json => "podcasting20-json",
            ChapterSource::Id3 => "id3",
            ChapterSource::Mp4 => "mp4",
            ChapterSource::VorbisComment => "vorbis-comment",
            ChapterSource::ShowNotes => "show-notes",
        }
    }

    /// The inverse of [`ChapterSource::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            ChapterSource::Podcasting20Json,
            ChapterSource::Id3,
            ChapterSource::Mp4,
            ChapterSource::VorbisComment,
            ChapterSource::ShowNotes,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Lower is preferred: 0 for Podcasting 2.0 JSON, 1 for anything embedded in the audio,
    /// 2 for show notes.
    pub fn rank(self) -> u8 {
        match self {
            ChapterSource::Podcasting20Json => 0,
            ChapterSource::Id3 | ChapterSource::Mp4 | ChapterSource::VorbisComment => 1,
            ChapterSource::ShowNotes => 2,
        }
    }
}

impl std::fmt::Display for ChapterSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the chapters to use from every source an episode has, by the priority documented on
/// [`ChapterSource`]: Podcasting 2.0 JSON, then chapters embedded in the audio (ID3, MP4,
/// Vorbis comments), then show notes.
///
/// The first non-empty set in that order wins as it is (a lower source is never mixed in, nor
/// preferred for having more chapters); between sources of the same rank the one listed first
/// wins. When every set is empty the answer is the best-ranked source given (or
/// [`ChapterSource::ShowNotes`] when none is) with no chapters.
pub fn merge(sources: Vec<(ChapterSource, Vec<Chapter>)>) -> (ChapterSource, Vec<Chapter>) {
    let mut best: Option<(ChapterSource, Vec<Chapter>)> = None;
    for (source, chapters) in sources {
        let better = match &best {
            None => true,
            Some((b, bc)) => match (bc.is_empty(), chapters.is_empty()) {
                (true, false) => true,
                (false, true) => false,
                _ => source.rank() < b.rank(),
            },
        };
        if better {
            best = Some((source, chapters));
        }
    }
    best.unwrap_or((ChapterSource::ShowNotes, Vec::new()))
}

/// One chapter, as the rest of Earshot sees it. Times are seconds (fractions kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chapter {
    pub start: f64,
    pub end: Option<f64>,
    pub title: String,
    pub img: Option<String>,
    pub url: Option<String>,
    /// `false` for `toc: false` entries: not listed, but they still bound their neighbours.
    #[serde(default = "yes")]
    pub toc: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonFile {
    #[serde(default)]
    chapters: Option<Vec<JsonChapter>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonChapter {
    start_time: Option<serde_json::Value>,
    end_time: Option<serde_json::Value>,
    title: Option<String>,
    img: Option<String>,
    url: Option<String>,
    toc: Option<bool>,
}

/// Seconds from a JSON number or a numeric string (both appear in real files).
fn seconds(v: &serde_json::Value) -> Option<f64> {
    let s = match v {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .ok()
            .or_else(|| crate::timefmt::parse_clock(s))?,
        _ => return None,
    };
    (s.is_finite() && s >= 0.0).then_some(s)
}

/// Parses a Podcasting 2.0 chapters document (`{"version": "1.2.0", "chapters": [...]}`).
///
/// Entries without a usable `startTime` are dropped; the rest are sorted by start, and each
/// missing `end` is filled from the next chapter's start (or left open for the last one).
pub fn parse_json_chapters(text: &str) -> Result<Vec<Chapter>> {
    let file: JsonFile =
        serde_json::from_str(text).map_err(|e| Error::parse("chapters JSON", e.to_string()))?;
    let raw = file
        .chapters
        .ok_or_else(|| Error::parse("chapters JSON", "it has no \"chapters\" list"))?;
    let mut chapters: Vec<Chapter> = raw
        .into_iter()
        .filter_map(|c| {
            let start = seconds(c.start_time.as_ref()?)?;
            let end = c.end_time.as_ref().and_then(seconds).filter(|&e| e > start);
            Some(Chapter {
                start,
                end,
                title: c.title.map(|t| t.trim().to_string()).unwrap_or_default(),
                img: c.img.filter(|s| !s.trim().is_empty()),
                url: c.url.filter(|s| !s.trim().is_empty()),
                toc: c.toc.unwrap_or(true),
            })
        })
        .collect();
    normalize(&mut chapters, None);
    Ok(chapters)
}

/// Sorts chapters, removes exact duplicates, fills missing ends and clips to `duration`.
pub fn normalize(chapters: &mut Vec<Chapter>, duration: Option<f64>) {
    chapters.sort_by(|a, b| a.start.total_cmp(&b.start));
    chapters.dedup_by(|b, a| a.start == b.start && a.title == b.title);
    if let Some(d) = duration {
        chapters.retain(|c| c.start < d);
    }
    let starts: Vec<f64> = chapters.iter().map(|c| c.start).collect();
    for (i, c) in chapters.iter_mut().enumerate() {
        let next = starts.get(i + 1).copied().or(duration);
        c.end = match (c.end, next) {
            (Some(e), Some(n)) => Some(e.min(n)),
            (None, n) => n,
            (e, None) => e,
        };
    }
}

/// Index of the chapter playing at `position` (the last one starting at or before it).
pub fn chapter_at(chapters: &[Chapter], position: f64) -> Option<usize> {
    let i = chapters.partition_point(|c| c.start <= position);
    i.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_podcasting20_chapters_in_order_and_fills_ends() {
        let json = r#"{"version":"1.2.0","chapters":[
            {"startTime": 95.5, "title": "Second"},
            {"startTime": 0, "title": "Intro", "img": "https://example.org/a.jpg"},
            {"startTime": "200", "title": "Hidden ad", "toc": false},
            {"startTime": 260.25, "endTime": 300, "title": "Last", "url": "https://example.org"}
        ]}"#;
        let c = parse_json_chapters(json).unwrap();
        let starts: Vec<f64> = c.iter().map(|c| c.start).collect();
        assert_eq!(starts, vec![0.0, 95.5, 200.0, 260.25]);
        assert_eq!(c[0].end, Some(95.5));
        assert_eq!(c[0].img.as_deref(), Some("https://example.org/a.jpg"));
        assert!(!c[2].toc);
        assert_eq!(c[3].end, Some(300.0));
    }

    #[test]
    fn broken_json_is_a_clear_error() {
        let err = parse_json_chapters("{\"chapters\": [")
            .unwrap_err()
            .to_string();
        assert!(err.contains("chapters JSON"), "{err}");
        let err = parse_json_chapters("{}").unwrap_err().to_string();
        assert!(err.contains("no \"chapters\""), "{err}");
    }

    #[test]
    fn finds_the_chapter_at_a_position() {
        let c = parse_json_chapters(
            r#"{"chapters":[{"startTime":0},{"startTime":10},{"startTime":20}]}"#,
        )
        .unwrap();
        assert_eq!(chapter_at(&c, 0.0), Some(0));
        assert_eq!(chapter_at(&c, 9.99), Some(0));
        assert_eq!(chapter_at(&c, 10.0), Some(1));
        assert_eq!(chapter_at(&c, 500.0), Some(2));
        assert_eq!(chapter_at(&[], 5.0), None);
    }

    #[test]
    fn clips_to_duration() {
        let mut c = parse_json_chapters(
            r#"{"chapters":[{"startTime":0},{"startTime":50},{"startTime":120}]}"#,
        )
        .unwrap();
        normalize(&mut c, Some(100.0));
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].end, Some(100.0));
    }
}
