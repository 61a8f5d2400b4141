//! A lenient WebVTT reader: cue settings ignored, `<v Speaker>` voice spans kept as the speaker
//! (or a `Name:` prefix when there is no voice span), inline timestamp tags (`<00:00:01.500>`)
//! turned into word timings, styling tags (`<b>`, `<i>`, `<u>`, `<c.x>`, `<lang>`, `<ruby>`)
//! stripped with ruby annotations dropped, hours optional, `,` or `.` before milliseconds,
//! NOTE / STYLE / REGION blocks skipped, BOM and CRLF accepted, cues missing the blank line
//! between them split at their timing lines. A cue with an unreadable timing line is skipped;
//! only a file without a single readable cue is an error.

use super::plain::speaker_label;
use super::util::clock;
use super::util::{collapse_ws, decode_entities, element_name};
use super::{finish, Segment, Word};
use crate::error::{Error, Result};

pub fn parse_vtt(text: &str) -> Result<Vec<Segment>> {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty()).peekable();
    match lines.peek() {
        Some(first) if first.trim_start().starts_with("WEBVTT") => {
            lines.next();
        }
        _ => {
            return Err(Error::parse(
                "WebVTT transcript",
                "it does not start with \"WEBVTT\"",
            ))
        }
    }
    // The header's own lines (up to the first blank line) are not cues.
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            break;
        }
    }

    let mut segments = Vec::new();
    let mut first_error: Option<Error> = None;
    let mut block: Vec<&str> = Vec::new();
    let mut flush = |block: &mut Vec<&str>| {
        for cue in split_cues(block) {
            match parse_cue(cue) {
                Ok(Some(seg)) => segments.push(seg),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        block.clear();
    };
    for line in lines {
        if line.trim().is_empty() {
            flush(&mut block);
        } else {
            block.push(line);
        }
    }
    flush(&mut block);
    if segments.is_empty() {
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    finish(&mut segments);
    Ok(segments)
}

/// A block holding several timing lines (the blank lines between cues went missing) is split
/// before each timing line after the first.
fn split_cues<'a, 'b>(block: &'b [&'a str]) -> Vec<&'b [&'a str]> {
    let first = block.first().map(|l| l.trim_start()).unwrap_or("");
    let is_meta = ["NOTE", "STYLE", "REGION"].iter().any(|k| {
        first
            .strip_prefix(k)
            .is_some_and(|r| r.is_empty() || r.starts_with(char::is_whitespace))
    });
    if is_meta || block.is_empty() {
        return Vec::new();
    }
    let timings: Vec<usize> = block
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("-->"))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let mut from = 0;
    for &t in timings.iter().skip(1) {
        out.push(&block[from..t]);
        from = t;
    }
    out.push(&block[from..]);
    out
}

fn parse_cue(block: &[&str]) -> Result<Option<Segment>> {
    // An optional identifier line precedes the timing line.
    let Some(t) = block.iter().position(|l| l.contains("-->")) else {
        return Ok(None);
    };
    let timing = block[t];
    let (start, rest) = timing.split_once("-->").unwrap_or((timing, ""));
    let end = rest.split_whitespace().next().unwrap_or("");
    let bad = || {
        Error::parse(
            "WebVTT transcript",
            format!("bad cue timing line \"{}\"", timing.trim()),
        )
    };
    let start = clock(start).ok_or_else(bad)?;
    let end = clock(end).ok_or_else(bad)?;
    let end = end.max(start);
    let payload = block[t + 1..].join("\n");
    let cue = parse_payload(&payload, start, end);
    if cue.text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Segment {
        start,
        end,
        speaker: cue.speaker,
        text: cue.text,
        estimated: false,
        words: cue.words,
    }))
}

struct Payload {
    speaker: Option<String>,
    text: String,
    words: Vec<Word>,
}

/// Tags out, voice in, inline timestamps to word times.
fn parse_payload(payload: &str, start: f64, end: f64) -> Payload {
    let mut speaker: Option<String> = None;
    // Text runs, each with the time it starts at (cue start or its timestamp tag).
    let mut chunks: Vec<(f64, String)> = vec![(start, String::new())];
    let mut timed = false;
    let mut in_rt = 0usize;
    let mut rest = payload;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if in_rt == 0 {
                chunks.last_mut().expect("one chunk").1.push_str(rest);
            }
            break;
        };
        if in_rt == 0 {
            chunks
                .last_mut()
                .expect("one chunk")
                .1
                .push_str(&rest[..open]);
        }
        let Some(close) = rest[open..].find('>') else {
            // A lone `<`: text.
            if in_rt == 0 {
                chunks
                    .last_mut()
                    .expect("one chunk")
                    .1
                    .push_str(&rest[open..]);
            }
            break;
        };
        let tag = rest[open + 1..open + close].trim();
        rest = &rest[open + close + 1..];
        let name = element_name(tag);
        if tag.starts_with(|c: char| c.is_ascii_digit()) {
            if let Some(t) = clock(tag) {
                let prev = chunks.last().map_or(start, |c| c.0);
                chunks.push((t.clamp(prev, end), String::new()));
                timed = true;
            }
        } else if name == "v" && !tag.starts_with('/') {
            // `<v Name>` or `<v.loud Name>`
            if let Some((_, who)) = tag.split_once(char::is_whitespace) {
                let who = collapse_ws(&decode_entities(who));
                if speaker.is_none() && !who.is_empty() {
                    speaker = Some(who);
                }
            }
        } else if name == "rt" {
            if tag.starts_with('/') {
                in_rt = in_rt.saturating_sub(1);
            } else {
                in_rt += 1;
            }
        }
        // Every other tag (`b`, `i`, `u`, `c.x`, `lang`, `ruby`, unknown ones) is dropped.
    }

    let mut text = String::new();
    let mut words = Vec::new();
    for (i, (t0, raw)) in chunks.iter().enumerate() {
        let chunk = decode_entities(raw);
        let t1 = chunks.get(i + 1).map_or(end, |c| c.0);
        if timed {
            let chunk_words: Vec<&str> = chunk.split_whitespace().collect();
            let chars: usize = chunk_words.iter().map(|w| w.chars().count()).sum();
            let mut at = *t0;
            for w in &chunk_words {
                let share = if chars == 0 {
                    0.0
                } else {
                    (t1 - t0) * w.chars().count() as f64 / chars as f64
                };
                words.push(Word {
                    start: at,
                    end: (at + share).min(t1).max(at),
                    text: w.to_string(),
                });
                at += share;
            }
        }
        text.push_str(&chunk);
    }
    let mut text = collapse_ws(&text);
    // Dialogue dashes, and a `Name:` written in the text when there is no voice span.
    if let Some(t) = text.strip_prefix("- ") {
        text = t.to_string();
        if words.first().is_some_and(|w| w.text == "-") {
            words.remove(0);
        }
    }
    if speaker.is_none() {
        if let Some(l) = speaker_label(&text) {
            // The label's own tokens are not spoken words.
            let label_words = text[..l.len].split_whitespace().count();
            words.drain(..label_words.min(words.len()));
            speaker = Some(l.name);
            text = text[l.len..].trim_start().to_string();
        }
    }
    Payload {
        speaker,
        text,
        words,
    }
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
        assert!(s.iter().all(|s| s.words.is_empty() && !s.estimated));
    }

    #[test]
    fn inline_timestamps_give_word_times_and_crlf_is_accepted() {
        let vtt = "WEBVTT\r\n\r\n00:00:01,000 --> 00:00:03,000\r\n<v Ada>one <00:00:01.500>two <00:00:02.000>three\r\n";
        let s = parse_vtt(vtt).unwrap();
        assert_eq!(s[0].text, "one two three");
        assert_eq!(s[0].start, 1.0);
        let w: Vec<(f64, f64, &str)> = s[0]
            .words
            .iter()
            .map(|w| (w.start, w.end, w.text.as_str()))
            .collect();
        assert_eq!(
            w,
            vec![(1.0, 1.5, "one"), (1.5, 2.0, "two"), (2.0, 3.0, "three")]
        );
    }

    #[test]
    fn skips_bad_cues_and_rejects_files_without_any() {
        assert!(parse_vtt("1\n00:00:01,000 --> 00:00:02,000\nhi")
            .unwrap_err()
            .to_string()
            .contains("WEBVTT"));
        let err = parse_vtt("WEBVTT\n\n00:00:xx --> 00:00:02.000\nhi")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad cue timing"), "{err}");
        let s = parse_vtt("WEBVTT\n\n00:00:xx --> 00:00:02.000\nhi\n\n00:03.000 --> 00:04.000\nok")
            .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text, "ok");
    }

    #[test]
    fn missing_blank_lines_ruby_and_name_prefixes() {
        let vtt = "WEBVTT\nKind: captions\n\n00:00.000 --> 00:01.000\nJason: Hi\n00:01.000-->00:02.000\n<ruby>漢<rt>kan</rt>字</ruby> <lang en>ok</lang>\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:x";
        let s = parse_vtt(vtt).unwrap();
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].speaker.as_deref(), Some("Jason"));
        assert_eq!(s[0].text, "Hi");
        assert!(s[1].text.starts_with("漢字 ok"), "{}", s[1].text);
    }
}
