//! A lenient WebVTT reader: cue settings ignored, `<v Speaker>` voice spans kept as the speaker,
//! styling and inline timestamp tags stripped, hours optional, `,` or `.` before milliseconds.

use super::Segment;
use crate::error::{Error, Result};
use crate::timefmt::parse_clock;

pub fn parse_vtt(text: &str) -> Result<Vec<Segment>> {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut lines = text.lines().peekable();
    match lines.peek() {
        Some(first) if first.starts_with("WEBVTT") => {
            lines.next();
        }
        _ => {
            return Err(Error::parse(
                "WebVTT transcript",
                "it does not start with \"WEBVTT\"",
            ))
        }
    }

    let mut segments = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, segments: &mut Vec<Segment>| -> Result<()> {
        if let Some(seg) = parse_block(block)? {
            segments.push(seg);
        }
        block.clear();
        Ok(())
    };
    for line in lines {
        if line.trim().is_empty() {
            flush(&mut block, &mut segments)?;
        } else {
            block.push(line);
        }
    }
    flush(&mut block, &mut segments)?;
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(segments)
}

fn parse_block(block: &[&str]) -> Result<Option<Segment>> {
    let Some(first) = block.first() else {
        return Ok(None);
    };
    if first.starts_with("NOTE") || first.starts_with("STYLE") || first.starts_with("REGION") {
        return Ok(None);
    }
    // An optional identifier line precedes the timing line.
    let Some(t) = block.iter().position(|l| l.contains("-->")) else {
        return Ok(None);
    };
    let timing = block[t];
    let (start, rest) = timing.split_once("-->").expect("checked above");
    let end = rest.split_whitespace().next().unwrap_or("");
    let bad = || {
        Error::parse(
            "WebVTT transcript",
            format!("bad cue timing line \"{}\"", timing.trim()),
        )
    };
    let start = parse_clock(start).ok_or_else(bad)?;
    let end = parse_clock(end).ok_or_else(bad)?;

    let mut speaker = None;
    let mut text = String::new();
    for line in &block[t + 1..] {
        let (line_speaker, line_text) = strip_tags(line);
        if speaker.is_none() {
            speaker = line_speaker;
        }
        if !line_text.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&line_text);
        }
    }
    Ok(Some(Segment {
        start,
        end: end.max(start),
        speaker,
        text,
    }))
}

/// Removes tags from one payload line; returns the first voice (`<v Name>`) and the plain text.
fn strip_tags(line: &str) -> (Option<String>, String) {
    let mut speaker = None;
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        if let Some(voice) = tag.strip_prefix('v') {
            // `<v Name>` or `<v.loud Name>`
            if let Some((_, name)) = voice.split_once(char::is_whitespace) {
                let name = name.trim();
                if speaker.is_none() && !name.is_empty() {
                    speaker = Some(decode_entities(name));
                }
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let text = decode_entities(
        out.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
    );
    (speaker, text)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_voices_settings_and_optional_hours() {
        let vtt = "\u{feff}WEBVTT - demo\n\nNOTE a comment\nspanning lines\n\n1\n00:00:00.000 --> 00:00:02.500 align:start line:90%\n<v Ada>Hello &amp; welcome.\n\n00:02.700 --> 00:05.000\n<v.loud Ben Smith><i>Thanks</i>, Ada.\n<c.yellow>Good</c> to be here.\n";
        let s = parse_vtt(vtt).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].start, s[0].end), (0.0, 2.5));
        assert_eq!(s[0].speaker.as_deref(), Some("Ada"));
        assert_eq!(s[0].text, "Hello & welcome.");
        assert_eq!(s[1].start, 2.7);
        assert_eq!(s[1].speaker.as_deref(), Some("Ben Smith"));
        assert_eq!(s[1].text, "Thanks, Ada. Good to be here.");
    }

    #[test]
    fn strips_inline_timestamps_and_accepts_crlf() {
        let vtt = "WEBVTT\r\n\r\n00:00:01,000 --> 00:00:03,000\r\n<v Ada>one <00:00:01.500>two <00:00:02.000>three\r\n";
        let s = parse_vtt(vtt).unwrap();
        assert_eq!(s[0].text, "one two three");
        assert_eq!(s[0].start, 1.0);
    }

    #[test]
    fn rejects_non_vtt_and_bad_timings_with_a_reason() {
        assert!(parse_vtt("1\n00:00:01,000 --> 00:00:02,000\nhi")
            .unwrap_err()
            .to_string()
            .contains("WEBVTT"));
        let err = parse_vtt("WEBVTT\n\n00:00:xx --> 00:00:02.000\nhi")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad cue timing"), "{err}");
    }
}
