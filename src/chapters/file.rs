//! Chapters from any file a user may point at: audio, a chapters JSON document, show notes
//! (HTML or text), or a feed item (or a whole feed: its first item).

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::embedded::{self, AudioKind};
use super::{chapters_from_show_notes, parse_json_chapters, Chapter, ChapterSource};
use crate::error::{Error, Result};

/// Largest text file read (show notes, JSON, a feed); audio files are never read whole.
const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// What [`chapters_from_file`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileChapters {
    /// What the file is: `podcasting2.0-json`, `mp3`, `mp4`, `ogg`, `flac`, `wav`, `aiff`,
    /// `html`, `text`, `rss-item`, `atom-entry`, `rss` or `atom`.
    pub format: &'static str,
    /// Where the chapters come from.
    pub from: ChapterSource,
    pub chapters: Vec<Chapter>,
    /// A feed item's `podcast:chapters` URL (not fetched here); `None` for other files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chapters_url: Option<String>,
}

/// Reads chapters from a file, recognised by its content (and, failing that, its extension):
///
/// - audio (MP3, MP4/M4A, Ogg, FLAC, WAV, AIFF): its embedded chapters;
/// - a JSON document: Podcasting 2.0 chapters;
/// - XML with `<rss>`/`<feed>`: the show notes of its first item; a lone `<item>` or `<entry>`
///   likewise (its `podcast:chapters` URL is reported, not fetched);
/// - anything else: show notes, HTML or plain text.
///
/// Errors name the file and the cause.
pub fn chapters_from_file(path: &Path) -> Result<FileChapters> {
    let what = path.display().to_string();
    if let Some(kind) = embedded::sniff_file(path)? {
        let (from, chapters) = embedded::embedded_chapters(path)?;
        return Ok(FileChapters {
            format: kind.name(),
            from,
            chapters,
            chapters_url: None,
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if let Some(kind) = audio_extension(&ext) {
        // Named like audio, but nothing Earshot recognises inside.
        return Err(Error::parse(
            what,
            format!("it is named .{ext} but is not {} audio", kind.name()),
        ));
    }

    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(Error::parse(what, "it is too large for a text file"));
    }
    if bytes.contains(&0) {
        return Err(Error::parse(
            what,
            "it is neither audio Earshot knows (MP3, MP4/M4A, Ogg, FLAC) nor text",
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();

    if ext == "json" || trimmed.starts_with('{') {
        let chapters =
            parse_json_chapters(&text).map_err(|e| Error::parse(what.clone(), e.to_string()))?;
        return Ok(FileChapters {
            format: "podcasting2.0-json",
            from: ChapterSource::Podcasting20Json,
            chapters,
            chapters_url: None,
        });
    }

    if let Some(feed_kind) = feed_kind(&text) {
        return feed_chapters(&what, &bytes, &text, feed_kind);
    }

    let html = matches!(ext.as_str(), "html" | "htm" | "xhtml") || looks_like_html(&text);
    Ok(FileChapters {
        format: if html { "html" } else { "text" },
        from: ChapterSource::ShowNotes,
        chapters: chapters_from_show_notes(&text, None),
        chapters_url: None,
    })
}

fn audio_extension(ext: &str) -> Option<AudioKind> {
    Some(match ext {
        "mp3" => AudioKind::Mp3,
        "m4a" | "m4b" | "mp4" | "aac" | "mov" => AudioKind::Mp4,
        "ogg" | "oga" | "opus" => AudioKind::Ogg,
        "flac" => AudioKind::Flac,
        "wav" => AudioKind::Wav,
        "aif" | "aiff" => AudioKind::Aiff,
        _ => return None,
    })
}

fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedKind {
    Rss,
    Atom,
    Item,
    Entry,
}

/// Whether the text is a feed, or one item or entry of one.
fn feed_kind(text: &str) -> Option<FeedKind> {
    let has = |tag: &str| {
        text.match_indices(tag).any(|(i, _)| {
            text[i + tag.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == '>' || c == '/' || c.is_whitespace())
        })
    };
    if has("<rss") || has("<rdf:RDF") {
        Some(FeedKind::Rss)
    } else if has("<feed") {
        Some(FeedKind::Atom)
    } else if has("<item") {
        Some(FeedKind::Item)
    } else if has("<entry") {
        Some(FeedKind::Entry)
    } else {
        None
    }
}

/// The namespaces items use, declared on the wrapper of a bare item.
const RSS_NAMESPACES: &str = concat!(
    r#"xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" "#,
    r#"xmlns:podcast="https://podcastindex.org/namespace/1.0" "#,
    r#"xmlns:content="http://purl.org/rss/1.0/modules/content/" "#,
    r#"xmlns:atom="http://www.w3.org/2005/Atom" "#,
    r#"xmlns:media="http://search.yahoo.com/mrss/" "#,
    r#"xmlns:dc="http://purl.org/dc/elements/1.1/""#
);

fn feed_chapters(what: &str, bytes: &[u8], text: &str, kind: FeedKind) -> Result<FileChapters> {
    let without_decl = |t: &str| -> String {
        let t = t.trim_start_matches('\u{feff}').trim_start();
        match t
            .strip_prefix("<?xml")
            .and_then(|r| r.find("?>").map(|i| &r[i + 2..]))
        {
            Some(rest) => rest.to_string(),
            None => t.to_string(),
        }
    };
    let (doc, format): (Vec<u8>, &'static str) = match kind {
        FeedKind::Rss => (bytes.to_vec(), "rss"),
        FeedKind::Atom => (bytes.to_vec(), "atom"),
        FeedKind::Item => (
            format!(
                "<rss version=\"2.0\" {RSS_NAMESPACES}><channel><title>item</title>{}</channel></rss>",
                without_decl(text)
            )
            .into_bytes(),
            "rss-item",
        ),
        FeedKind::Entry => (
            format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" {RSS_NAMESPACES}><title>entry</title>{}</feed>",
                without_decl(text)
            )
            .into_bytes(),
            "atom-entry",
        ),
    };
    let feed = crate::feed::parse_feed(&doc, None)
        .map_err(|e| Error::parse(what.to_string(), e.to_string()))?;
    let episode = feed
        .episodes
        .into_iter()
        .next()
        .ok_or_else(|| Error::parse(what.to_string(), "it has no item"))?;
    let chapters = chapters_from_show_notes(
        episode.show_notes_html.as_deref().unwrap_or_default(),
        episode.duration_secs,
    );
    Ok(FileChapters {
        format,
        from: ChapterSource::ShowNotes,
        chapters,
        chapters_url: episode.chapters.map(|c| c.url),
    })
}
