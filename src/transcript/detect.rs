//! Which format a transcript is in, what text encoding its bytes use, and reading it.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use serde::Serialize;

use super::untimed::UntimedTranscript;
use super::{html, json, plain, srt, vtt, Segment};
use crate::error::{Error, Result};

/// The transcript formats Earshot reads, in the order it prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TranscriptFormat {
    /// Podcasting 2.0 JSON (`application/json`).
    #[serde(rename = "podcasting2.0-json")]
    Json,
    /// WebVTT (`text/vtt`).
    #[serde(rename = "webvtt")]
    WebVtt,
    /// SubRip (`application/x-subrip`, `application/srt`, `text/srt`).
    #[serde(rename = "srt")]
    Srt,
    /// HTML (`text/html`).
    #[serde(rename = "html")]
    Html,
    /// Plain text (`text/plain`).
    #[serde(rename = "text")]
    Text,
}

impl TranscriptFormat {
    /// The name used in JSON output (`earshot-cli transcript`).
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Json => "podcasting2.0-json",
            TranscriptFormat::WebVtt => "webvtt",
            TranscriptFormat::Srt => "srt",
            TranscriptFormat::Html => "html",
            TranscriptFormat::Text => "text",
        }
    }

    /// From a media type, compared without parameters or case (`text/plain; charset=utf-8` is
    /// `text/plain`). `None` for types that say nothing (`application/octet-stream`).
    pub fn from_mime(mime: &str) -> Option<Self> {
        let essence = mime_essence(mime);
        Some(match essence.as_str() {
            "application/json" | "text/json" | "application/x-json" => Self::Json,
            e if e.ends_with("+json") => Self::Json,
            "text/vtt" | "text/webvtt" | "application/vtt" | "text/x-vtt" => Self::WebVtt,
            "application/x-subrip"
            | "application/srt"
            | "application/x-srt"
            | "text/srt"
            | "text/x-srt"
            | "text/x-subrip" => Self::Srt,
            "text/html" | "application/xhtml+xml" => Self::Html,
            "text/plain" => Self::Text,
            _ => return None,
        })
    }

    /// From a file name or URL's extension (`.json`, `.vtt`, `.srt`, `.html`/`.htm`, `.txt`);
    /// a URL's query and fragment are ignored.
    pub fn from_name(name: &str) -> Option<Self> {
        let path = name.split(['?', '#']).next().unwrap_or(name);
        let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let (_, ext) = file.rsplit_once('.')?;
        Some(match ext.to_ascii_lowercase().as_str() {
            "json" => Self::Json,
            "vtt" | "webvtt" => Self::WebVtt,
            "srt" => Self::Srt,
            "html" | "htm" | "xhtml" => Self::Html,
            "txt" | "text" => Self::Text,
            _ => return None,
        })
    }

    /// From the text itself: a `WEBVTT` header, a JSON document, HTML markup, SRT timing lines;
    /// anything else is plain text.
    pub fn sniff(text: &str) -> Self {
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with("WEBVTT") {
            return Self::WebVtt;
        }
        if t.starts_with('{')
            || (t.starts_with('[') && serde_json::from_str::<serde_json::Value>(t).is_ok())
        {
            return Self::Json;
        }
        let head: String = t
            .chars()
            .take(4096)
            .collect::<String>()
            .to_ascii_lowercase();
        let html_tags = [
            "<!doctype html",
            "<html",
            "<body",
            "<p>",
            "<p ",
            "<div",
            "<cite",
            "<time",
            "<br",
            "<span",
            "<section",
            "<article",
        ];
        if t.starts_with('<') && html_tags.iter().any(|tag| head.contains(tag)) {
            return Self::Html;
        }
        let timing = t
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(12)
            .any(|l| l.contains("-->") && srt_like_timing(l));
        if timing {
            return Self::Srt;
        }
        if head.contains("</p>") && head.contains("<p") {
            return Self::Html;
        }
        Self::Text
    }

    /// Timed formats carry times for every segment; HTML and text usually do not.
    pub fn is_timed(self) -> bool {
        matches!(self, Self::Json | Self::WebVtt | Self::Srt)
    }
}

fn srt_like_timing(line: &str) -> bool {
    let Some((a, b)) = line.split_once("-->") else {
        return false;
    };
    let ok = |s: Option<&str>| s.and_then(super::util::clock).is_some();
    ok(a.split_whitespace().last()) && ok(b.split_whitespace().next())
}

/// `Text/Plain; Charset=UTF-8` → `text/plain`.
pub(crate) fn mime_essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn mime_charset(mime: &str) -> Option<&'static Encoding> {
    mime.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes()))
            .flatten()
    })
}

/// A transcript read from bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedTranscript {
    pub format: TranscriptFormat,
    /// Sorted by start; `end >= start`. For HTML and text, spread over the paragraphs (see
    /// [`UntimedTranscript::spread`]) and marked `estimated` where the source gave no time.
    pub segments: Vec<Segment>,
    /// HTML and plain text: the paragraphs as read, with their speakers and anchor times, for
    /// re-spreading over the episode's duration and for alignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimed: Option<UntimedTranscript>,
    /// What was repaired or guessed (the text encoding, a format other than declared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ParsedTranscript {
    /// Spreads an untimed transcript's estimates over the episode's real length (timed formats
    /// are returned as they are).
    pub fn with_duration(mut self, duration: f64) -> Self {
        if let Some(u) = &self.untimed {
            self.segments = u.spread(Some(duration));
        }
        self
    }

    /// Some segment's start is an estimate, not written in the source.
    pub fn has_estimates(&self) -> bool {
        self.segments.iter().any(|s| s.estimated)
    }
}

/// Reads a transcript of any supported format. The format comes from `mime` (compared without
/// parameters or case), else the extension of `name_hint` (a file name or URL), else the
/// content; a plain-text or unknown declaration gives way to unmistakable content (a `WEBVTT`
/// header, JSON, markup, SRT timings), and a declared format that fails to read is retried as
/// what the content looks like. Bytes are decoded from UTF-8 (with or without BOM), UTF-16
/// (BOM), the `charset` of `mime`, else Windows-1252. A transcript without any text is an error,
/// so the caller can move on to the next candidate.
pub fn parse_transcript(
    bytes: &[u8],
    mime: Option<&str>,
    name_hint: Option<&str>,
) -> Result<ParsedTranscript> {
    let (text, note) = decode_text(bytes, mime.and_then(mime_charset));
    let declared = mime
        .and_then(TranscriptFormat::from_mime)
        .or_else(|| name_hint.and_then(TranscriptFormat::from_name));
    let sniffed = TranscriptFormat::sniff(&text);
    let order: Vec<TranscriptFormat> = match declared {
        None => vec![sniffed],
        Some(d) if d == sniffed => vec![d],
        // Servers label everything text/plain: believe a clear signature first.
        Some(TranscriptFormat::Text) => vec![sniffed, TranscriptFormat::Text],
        // Never fall back from a structured format to "it is just text".
        Some(d) if sniffed == TranscriptFormat::Text => vec![d],
        Some(d) => vec![d, sniffed],
    };
    let mut first_err = None;
    for format in &order {
        match parse_as(&text, *format) {
            Ok(mut p) => {
                p.notes.extend(note.clone());
                if let Some(d) = declared.filter(|d| d != format) {
                    p.notes.push(format!(
                        "declared as {} but read as {}",
                        d.as_str(),
                        format.as_str()
                    ));
                }
                return Ok(p);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.expect("one format was tried"))
}

/// Reads `text` as `format`; an error when it is not that format or holds no text.
pub fn parse_as(text: &str, format: TranscriptFormat) -> Result<ParsedTranscript> {
    let (segments, untimed) = match format {
        TranscriptFormat::Json => (json::parse_json(text)?, None),
        TranscriptFormat::WebVtt => (vtt::parse_vtt(text)?, None),
        TranscriptFormat::Srt => (srt::parse_srt(text)?, None),
        TranscriptFormat::Html | TranscriptFormat::Text => {
            let u = if format == TranscriptFormat::Html {
                html::parse_html(text)
            } else {
                plain::parse_text(text)
            };
            (u.spread(None), Some(u))
        }
    };
    if segments.is_empty() {
        let what = match format {
            TranscriptFormat::Json => "Podcasting 2.0 JSON transcript",
            TranscriptFormat::WebVtt => "WebVTT transcript",
            TranscriptFormat::Srt => "SRT transcript",
            TranscriptFormat::Html => "HTML transcript",
            TranscriptFormat::Text => "text transcript",
        };
        return Err(Error::parse(what, "it holds no transcript text"));
    }
    Ok(ParsedTranscript {
        format,
        segments,
        untimed,
        notes: Vec::new(),
    })
}

/// Bytes to text: a UTF-8 or UTF-16 byte-order mark wins; then UTF-16 without a mark (every
/// other byte zero), UTF-8, the declared `charset`, and Windows-1252 as the last resort (it
/// decodes any byte). Returns a note when the text was not plain UTF-8.
pub fn decode_text(bytes: &[u8], charset: Option<&'static Encoding>) -> (String, Option<String>) {
    let decode = |enc: &'static Encoding, body: &[u8]| -> String {
        let (text, _) = enc.decode_without_bom_handling(body);
        text.into_owned()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (decode(UTF_8, rest), None);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return (decode(UTF_16LE, rest), Some("read as UTF-16LE".into()));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return (decode(UTF_16BE, rest), Some("read as UTF-16BE".into()));
    }
    if let Some(enc) = bomless_utf16(bytes) {
        return (decode(enc, bytes), Some(format!("read as {}", enc.name())));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), None);
    }
    let enc = charset
        .filter(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE)
        .unwrap_or(WINDOWS_1252);
    (
        decode(enc, bytes),
        Some(format!("not UTF-8; read as {}", enc.name())),
    )
}

/// ASCII-heavy UTF-16 without a byte-order mark shows zero bytes at every other position.
fn bomless_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let n = bytes.len().min(512) & !1;
    if n < 8 {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for (i, b) in bytes[..n].iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let half = n / 2;
    if odd * 10 >= half * 7 && even * 10 <= half {
        Some(UTF_16LE)
    } else if even * 10 >= half * 7 && odd * 10 <= half {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_and_names() {
        use TranscriptFormat::*;
        assert_eq!(
            TranscriptFormat::from_mime("Text/Plain; charset=UTF-8"),
            Some(Text)
        );
        assert_eq!(
            TranscriptFormat::from_mime("application/x-subrip"),
            Some(Srt)
        );
        assert_eq!(TranscriptFormat::from_mime("TEXT/VTT"), Some(WebVtt));
        assert_eq!(
            TranscriptFormat::from_mime("application/octet-stream"),
            None
        );
        assert_eq!(
            TranscriptFormat::from_name("https://x.org/t.SRT?sig=a.b"),
            Some(Srt)
        );
        assert_eq!(TranscriptFormat::from_name("/a.b/transcript"), None);
        assert_eq!(TranscriptFormat::sniff("[Music] Ada: hi"), Text);
        assert_eq!(TranscriptFormat::sniff("[{\"startTime\":1}]"), Json);
        assert_eq!(
            TranscriptFormat::sniff("\n1\n00:01,000 --> 00:02,000\nhi"),
            Srt
        );
        assert_eq!(TranscriptFormat::sniff("<p>Ada: hi</p>"), Html);
    }

    #[test]
    fn encodings() {
        let (t, n) = decode_text(b"\xEF\xBB\xBFcaf\xC3\xA9", None);
        assert_eq!((t.as_str(), n), ("café", None));
        let (t, n) = decode_text(b"caf\xE9 \x93quoted\x94", None);
        assert_eq!(t, "café “quoted”");
        assert!(n.unwrap().contains("windows-1252"));
        let utf16: Vec<u8> = "\u{feff}Ada: hi"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode_text(&utf16, None).0, "Ada: hi");
        let be: Vec<u8> = "WEBVTT\n\nno mark"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(decode_text(&be, None).0, "WEBVTT\n\nno mark");
        let latin2 = Encoding::for_label(b"iso-8859-2");
        assert_eq!(decode_text(b"\xB1", latin2).0, "ą");
    }
}
