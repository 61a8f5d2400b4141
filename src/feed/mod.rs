//! Podcast feeds: RSS 2.0 (with iTunes and Podcasting 2.0 tags) and Atom, from raw bytes to
//! [`ParsedFeed`]. Pure: no network, no storage.
//!
//! [`parse_feed`] works out the encoding (BOM, declaration, and what the bytes really are), sniffs
//! what the document is (RSS, Atom, a web page, something else), checks the XML is well-formed
//! and not absurdly nested (repairing bare `&` and HTML entities, the commonest faults of real
//! feeds), then reads it with the `rss` or
//! `atom_syndication` crate and maps it onto one shape. Entities declared in a DTD are never
//! expanded (quick-xml does not do it), so "billion laughs" documents stay small, and nothing
//! external is ever fetched.

mod atom_feed;
mod dates;
mod duration;
mod encoding;
mod ext;
mod rss_feed;
mod sniff;
mod text;
mod xmlcheck;

use std::collections::HashSet;

use serde::Serialize;
use url::Url;

pub use dates::parse_date;
pub use duration::parse_duration;
pub use sniff::discover_feed_links;

/// A podcast feed, as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedFeed {
    pub title: String,
    /// The podcast's web site, absolute.
    pub link: Option<String>,
    /// As given (may be HTML).
    pub description: Option<String>,
    pub author: Option<String>,
    /// Absolute: itunes:image, then image/url, then podcast:image (Atom: itunes:image, logo, icon).
    pub artwork_url: Option<String>,
    pub language: Option<String>,
    /// itunes:new-feed-url, absolute.
    pub new_feed_url: Option<String>,
    /// In document order; duplicate GUIDs removed (the first kept).
    pub episodes: Vec<ParsedEpisode>,
    /// What was odd about the feed, for logs and diagnostics; one line each.
    pub warnings: Vec<String>,
}

/// One item/entry of a feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedEpisode {
    /// The item's guid/id; if missing, the (absolute) enclosure URL; if that is missing too,
    /// `title:<16 hex digits>`, a stable hash of title and pubDate.
    pub guid: String,
    pub guid_is_fallback: bool,
    pub title: String,
    pub link: Option<String>,
    /// Unix seconds.
    pub published: Option<i64>,
    /// From itunes:duration; `None` when missing, unreadable or zero.
    pub duration_secs: Option<f64>,
    /// `None` when the item has no enclosure, or one that is not audio/video.
    pub enclosure: Option<Enclosure>,
    /// RAW, unsanitized: content:encoded > description > itunes:summary (Atom: content > summary).
    pub show_notes_html: Option<String>,
    /// The episode's own artwork (itunes:image, podcast:image), absolute; `None` means "use the
    /// podcast's".
    pub artwork_url: Option<String>,
    pub chapters: Option<ChaptersRef>,
    pub transcripts: Vec<TranscriptRef>,
    /// podcast:person of the item, or of the channel when the item has none.
    pub persons: Vec<Person>,
    pub season: Option<u32>,
    pub number: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Enclosure {
    /// Absolute http(s) URL.
    pub url: String,
    pub mime: Option<String>,
    /// Bytes; `None` when missing, unreadable or zero.
    pub length: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaptersRef {
    pub url: String,
    pub mime: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptRef {
    pub url: String,
    pub mime: Option<String>,
    pub language: Option<String>,
    pub rel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub name: String,
    pub role: Option<String>,
    pub group: Option<String>,
    pub img: Option<String>,
    pub href: Option<String>,
}

/// Why a document could not be read as a feed. The messages complete "The address didn't
/// work: …".
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    /// A web page; `feed_links` are the feeds it links (`<link rel=alternate>`), absolute.
    #[error("it is a web page, not a feed")]
    HtmlPage { feed_links: Vec<String> },
    #[error("it is not valid XML: {0}")]
    Malformed(String),
    #[error("it is XML but not an RSS or Atom feed (root element <{0}>)")]
    NotAFeed(String),
    #[error("it has no title and no episodes")]
    Empty,
}

/// Parses a feed. `base` (the feed's own URL) resolves relative URLs; without it, relative URLs
/// are dropped. Never panics, whatever the bytes.
pub fn parse_feed(bytes: &[u8], base: Option<&Url>) -> Result<ParsedFeed, FeedError> {
    // Belt and braces: a panic in a dependency must not take the app down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse_inner(bytes, base)))
        .unwrap_or_else(|_| {
            Err(FeedError::Malformed(
                "the parser failed on this document".into(),
            ))
        })
}

fn parse_inner(bytes: &[u8], base: Option<&Url>) -> Result<ParsedFeed, FeedError> {
    let decoded = encoding::decode_document(bytes);
    let mut notes = decoded.notes;
    let text = decoded.text;
    let kind = sniff::sniff(&text);
    match kind {
        sniff::Kind::Html => {
            let links = match base {
                Some(b) => discover_feed_links(&text, b),
                None => {
                    let dummy = Url::parse("http://invalid.invalid/").expect("static URL");
                    discover_feed_links(&text, &dummy)
                        .into_iter()
                        .filter(|l| !l.starts_with("http://invalid.invalid/"))
                        .collect()
                }
            };
            Err(FeedError::HtmlPage { feed_links: links })
        }
        sniff::Kind::NotXml(why) => Err(FeedError::Malformed(why.to_string())),
        sniff::Kind::OtherXml(root) => Err(FeedError::NotAFeed(root)),
        sniff::Kind::Rss | sniff::Kind::Atom => {
            let read = |doc: &str| {
                if kind == sniff::Kind::Rss {
                    rss_feed::read(doc, base)
                } else {
                    atom_feed::read(doc, base)
                }
            };
            let (doc, mut repaired) = xmlcheck::check(&text).map_err(FeedError::Malformed)?;
            let mut result = read(&doc);
            if result.is_err() && !repaired {
                // Bare `&` in attribute values only show up now.
                if let Some(fixed) = xmlcheck::escape_bare_ampersands(&doc) {
                    if let Ok(feed) = read(&fixed) {
                        result = Ok(feed);
                        repaired = true;
                    }
                }
            }
            let mut feed = result.map_err(FeedError::Malformed)?;
            if repaired {
                notes.push("the feed has unescaped \"&\" or HTML entities (repaired)".into());
            }
            if feed.title.is_empty() && feed.episodes.is_empty() {
                return Err(FeedError::Empty);
            }
            if feed.title.is_empty() {
                feed.title = feed
                    .link
                    .as_deref()
                    .or(base.map(Url::as_str))
                    .and_then(|l| Url::parse(l).ok())
                    .and_then(|u| {
                        u.host_str()
                            .map(|h| h.trim_start_matches("www.").to_string())
                    })
                    .unwrap_or_else(|| "Untitled podcast".to_string());
                notes.push("the feed has no title".into());
            }
            notes.append(&mut feed.warnings);
            feed.warnings = notes;
            Ok(feed)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by the RSS and Atom readers.

/// An item before GUID, enclosure and duplicate handling.
#[derive(Default)]
pub(crate) struct RawEpisode {
    pub guid: Option<String>,
    pub title: Option<String>,
    /// Raw date text, for the title hash.
    pub date_text: Option<String>,
    pub link: Option<String>,
    pub published: Option<i64>,
    pub duration_secs: Option<f64>,
    /// (raw URL, MIME, length) of the enclosure chosen.
    pub enclosure: Option<(String, Option<String>, Option<String>)>,
    pub show_notes_html: Option<String>,
    pub artwork_url: Option<String>,
    pub chapters: Option<ChaptersRef>,
    pub transcripts: Vec<TranscriptRef>,
    pub persons: Vec<Person>,
    pub season: Option<u32>,
    pub number: Option<u32>,
}

/// Resolves a URL against `base`; only http(s) results are kept. Protocol-relative URLs
/// without a base are taken as https.
pub(crate) fn resolve_url(base: Option<&Url>, raw: &str) -> Option<String> {
    resolve(base, raw).map(String::from)
}

fn resolve(base: Option<&Url>, raw: &str) -> Option<Url> {
    let s = text::trim(raw);
    if s.is_empty() {
        return None;
    }
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(b) => b.join(s).ok()?,
            None if s.starts_with("//") => Url::parse(&format!("https:{s}")).ok()?,
            None => return None,
        },
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Audio or video (the audio track plays), judged by MIME type, or by the file extension when
/// the type is missing or generic. Unknown extensions count as playable: many hosts serve audio
/// from URLs without one.
pub(crate) fn is_playable(mime: Option<&str>, url: &Url) -> bool {
    let mime = mime
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty());
    match mime.as_deref() {
        Some(m) if m.starts_with("audio/") || m.starts_with("video/") => return true,
        Some("application/ogg" | "application/x-ogg") => return true,
        Some(
            "application/octet-stream"
            | "binary/octet-stream"
            | "application/binary"
            | "application/x-download"
            | "application/download"
            | "application/unknown",
        )
        | None => {}
        Some(_) => return false,
    }
    let path = url.path();
    let file = path.rsplit('/').next().unwrap_or("");
    let ext = match file.rsplit_once('.') {
        Some((_, e)) => e.to_ascii_lowercase(),
        None => return true,
    };
    !matches!(
        ext.as_str(),
        "jpg"
            | "jpeg"
            | "png"
            | "gif"
            | "webp"
            | "svg"
            | "bmp"
            | "ico"
            | "avif"
            | "heic"
            | "tif"
            | "tiff"
            | "html"
            | "htm"
            | "php"
            | "asp"
            | "aspx"
            | "txt"
            | "pdf"
            | "doc"
            | "docx"
            | "epub"
            | "zip"
            | "rar"
            | "gz"
            | "7z"
            | "torrent"
            | "xml"
            | "json"
            | "srt"
            | "vtt"
            | "css"
            | "js"
    )
}

pub(crate) fn parse_number(s: &str) -> Option<u32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    let f: f64 = t.parse().ok()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX)).then_some(f as u32)
}

/// Turns raw items into episodes as they come: absolute enclosure URLs, non-audio enclosures
/// dropped, GUID fallbacks, duplicates removed; [`Episodes::finish`] adds warnings counting each.
pub(crate) struct Episodes<'b> {
    base: Option<&'b Url>,
    seen: HashSet<String>,
    list: Vec<ParsedEpisode>,
    by_enclosure: usize,
    by_title: usize,
    dups: usize,
    non_audio: usize,
    bad_url: usize,
    no_enclosure: usize,
}

impl<'b> Episodes<'b> {
    pub fn new(base: Option<&'b Url>, capacity: usize) -> Self {
        Episodes {
            base,
            seen: HashSet::with_capacity(capacity),
            list: Vec::with_capacity(capacity),
            by_enclosure: 0,
            by_title: 0,
            dups: 0,
            non_audio: 0,
            bad_url: 0,
            no_enclosure: 0,
        }
    }

    pub fn push(&mut self, raw: RawEpisode) {
        let mut enclosure_url = None;
        let enclosure = match raw.enclosure {
            None => {
                self.no_enclosure += 1;
                None
            }
            Some((url, mime, length)) => match resolve(self.base, &url) {
                None => {
                    self.bad_url += 1;
                    None
                }
                Some(abs) => {
                    let mime = mime.and_then(text::non_empty_owned);
                    let playable = is_playable(mime.as_deref(), &abs);
                    let abs = String::from(abs);
                    if playable {
                        enclosure_url = Some(abs.clone());
                        let length = match length {
                            Some(l) => l.trim_ascii().parse::<u64>().ok().filter(|l| *l > 0),
                            None => None,
                        };
                        Some(Enclosure {
                            url: abs,
                            mime,
                            length,
                        })
                    } else {
                        enclosure_url = Some(abs);
                        self.non_audio += 1;
                        None
                    }
                }
            },
        };
        let title = raw.title.filter(|t| !t.is_empty());
        let (guid, guid_is_fallback) = match raw.guid.and_then(text::non_empty_owned) {
            Some(g) => (g, false),
            None => match enclosure_url {
                Some(u) => {
                    self.by_enclosure += 1;
                    (u, true)
                }
                None => {
                    self.by_title += 1;
                    let h = text::fnv1a(&[
                        title.as_deref().unwrap_or(""),
                        raw.date_text.as_deref().unwrap_or("").trim(),
                    ]);
                    (format!("title:{h:016x}"), true)
                }
            },
        };
        if !self.seen.insert(guid.clone()) {
            self.dups += 1;
            return;
        }
        self.list.push(ParsedEpisode {
            guid,
            guid_is_fallback,
            title: title.unwrap_or_else(|| "Untitled episode".to_string()),
            link: raw.link,
            published: raw.published,
            duration_secs: raw.duration_secs.filter(|d| *d > 0.0),
            enclosure,
            show_notes_html: raw.show_notes_html,
            artwork_url: raw.artwork_url,
            chapters: raw.chapters,
            transcripts: raw.transcripts,
            persons: raw.persons,
            season: raw.season,
            number: raw.number,
        });
    }

    pub fn finish(self, warnings: &mut Vec<String>) -> Vec<ParsedEpisode> {
        let items = |n: usize| {
            if n == 1 {
                "1 item".to_string()
            } else {
                format!("{n} items")
            }
        };
        let mut warn = |n: usize, what: &str| {
            if n > 0 {
                warnings.push(format!("{} {what}", items(n)));
            }
        };
        warn(self.by_enclosure, "without GUID: matched by enclosure URL");
        warn(
            self.by_title,
            "without GUID or enclosure: matched by title and date",
        );
        warn(self.dups, "with a duplicate GUID skipped (the first kept)");
        warn(
            self.non_audio,
            "with a non-audio enclosure: kept without audio",
        );
        warn(
            self.bad_url,
            "with an unusable enclosure URL: kept without audio",
        );
        warn(self.no_enclosure, "without an enclosure");
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_urls() {
        let base = Url::parse("https://example.org/feeds/show.xml").unwrap();
        assert_eq!(
            resolve_url(Some(&base), "ep1.mp3").as_deref(),
            Some("https://example.org/feeds/ep1.mp3")
        );
        assert_eq!(
            resolve_url(Some(&base), "/a b.mp3").as_deref(),
            Some("https://example.org/a%20b.mp3")
        );
        assert_eq!(resolve_url(None, "ep1.mp3"), None);
        assert_eq!(
            resolve_url(None, "//cdn.example.org/x").as_deref(),
            Some("https://cdn.example.org/x")
        );
        assert_eq!(resolve_url(Some(&base), "javascript:alert(1)"), None);
        assert_eq!(resolve_url(Some(&base), "  "), None);
    }

    #[test]
    fn judges_enclosures() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_playable(Some("audio/mpeg"), &u("https://x/a")));
        assert!(is_playable(Some("video/mp4"), &u("https://x/a.mp4")));
        assert!(is_playable(
            Some("Audio/MPEG; charset=binary"),
            &u("https://x/a")
        ));
        assert!(!is_playable(Some("image/jpeg"), &u("https://x/a.mp3")));
        assert!(!is_playable(Some("text/html"), &u("https://x/a")));
        assert!(is_playable(None, &u("https://x/a.m4a?x=1")));
        assert!(is_playable(None, &u("https://x/download/123")));
        assert!(!is_playable(None, &u("https://x/cover.JPG")));
        assert!(!is_playable(
            Some("application/octet-stream"),
            &u("https://x/notes.pdf")
        ));
    }
}
