//! A lenient SubRip (SRT) reader: `,` or `.` before the milliseconds, hours optional, index
//! numbers missing or wrong, blank lines between cues missing or doubled, `Name:` speaker
//! prefixes, `- ` dialogue dashes and `>>` speaker changes, HTML-ish tags (`<i>`, `<font>`) and
//! `{\an8}` overrides stripped, BOM and CRLF accepted. A cue with several speakers (dialogue) is
//! split into one segment per speaker, its time shared in proportion to the text.

use super::plain::speaker_label;
use super::util::clock;
use super::util::strip_tags;
use super::{finish, Segment};
use crate::error::{Error, Result};

pub fn parse_srt(text: &str) -> Result<Vec<Segment>> {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let timings: Vec<(usize, (f64, f64))> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| timing_line(l).map(|t| (i, t)))
        .collect();
    if timings.is_empty() {
        return Err(Error::parse(
            "SRT transcript",
            "it has no cue timing line like \"00:00:01,000 --> 00:00:04,000\"",
        ));
    }
    let mut segments = Vec::new();
    let mut speaker: Option<String> = None;
    for (k, &(at, (start, end))) in timings.iter().enumerate() {
        let next = timings.get(k + 1).map(|t| t.0);
        let mut body: Vec<&str> = lines[at + 1..next.unwrap_or(lines.len())].to_vec();
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        // The next cue's index number (right or wrong) sits just before its timing line.
        if next.is_some() && body.last().is_some_and(|l| is_index(l)) {
            body.pop();
        }
        let end = end.max(start);
        for (i, (from, to, turn)) in turns(&body).into_iter().enumerate() {
            // Its own label, none after an unnamed change, else the speaker before.
            if let Some(named) = turn.label {
                speaker = named;
            }
            segments.push(Segment {
                start: start + (end - start) * from,
                end: start + (end - start) * to,
                speaker: speaker.clone(),
                text: turn.text,
                estimated: i > 0,
                words: Vec::new(),
            });
        }
    }
    finish(&mut segments);
    Ok(segments)
}

/// `00:00:01,000 --> 00:00:04,000` (also `.`, `->`, missing hours, trailing coordinates).
fn timing_line(line: &str) -> Option<(f64, f64)> {
    let (a, b) = line
        .split_once("-->")
        .or_else(|| line.split_once("->"))
        .or_else(|| line.split_once('→'))?;
    let start = clock(a.split_whitespace().last()?)?;
    let end = clock(b.split_whitespace().next()?)?;
    Some((start, end))
}

fn is_index(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit())
}

struct TurnText {
    /// `Some(name)` when the turn names its speaker, `Some(None)` when it marks a change of
    /// speaker without a name (`- `, `>>`), `None` when it continues.
    label: Option<Option<String>>,
    text: String,
}

/// The cue's text split at speaker turns, each with its share of the cue (from, to in 0..=1).
fn turns(body: &[&str]) -> Vec<(f64, f64, TurnText)> {
    let mut parts: Vec<TurnText> = Vec::new();
    for line in body {
        let clean = strip_tags(line);
        if clean.is_empty() {
            continue;
        }
        let mut rest = clean.as_str();
        let mut change = false;
        for marker in [">>", "- ", "– ", "— "] {
            if let Some(r) = rest.strip_prefix(marker) {
                rest = r.trim_start();
                change = true;
                break;
            }
        }
        let label = speaker_label(rest);
        let text = match &label {
            Some(l) => rest[l.len..].trim_start(),
            None => rest,
        };
        let label = match label {
            Some(l) => Some(Some(l.name)),
            None if change => Some(None),
            None => None,
        };
        let starts_turn = label.is_some() && !parts.is_empty();
        match parts.last_mut() {
            Some(last) if !starts_turn => {
                if last.label.is_none() {
                    last.label = label;
                }
                if !text.is_empty() {
                    if !last.text.is_empty() {
                        last.text.push(' ');
                    }
                    last.text.push_str(text);
                }
            }
            _ => parts.push(TurnText {
                label,
                text: text.to_string(),
            }),
        }
    }
    parts.retain(|p| !p.text.is_empty());
    let total: usize = parts.iter().map(|p| p.text.chars().count().max(1)).sum();
    let mut at = 0usize;
    parts
        .into_iter()
        .map(|p| {
            let n = p.text.chars().count().max(1);
            let (from, to) = (at as f64 / total as f64, (at + n) as f64 / total as f64);
            at += n;
            (from, to, p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_and_the_broken() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there\r\n\r\n7\r\n00:00:03.000 --> 00:00:04.000 X1:10 X2:20\r\nJASON: Second\r\nline\r\n3\r\n00:05,000 --> 00:06,000\r\nThird\r\n\r\n\r\n\r\n00:00:07,000 --> 00:00:08,000\r\n{\\an8}Fourth\r\n";
        let s = parse_srt(srt).unwrap();
        let got: Vec<(f64, Option<&str>, &str)> = s
            .iter()
            .map(|s| (s.start, s.speaker.as_deref(), s.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1.0, None, "Hello there"),
                (3.0, Some("JASON"), "Second line"),
                (5.0, Some("JASON"), "Third"),
                (7.0, Some("JASON"), "Fourth"),
            ]
        );
    }

    #[test]
    fn dialogue_is_split_by_speaker() {
        let srt = "1\n00:00:10,000 --> 00:00:14,000\n- Ada: Ready?\n- Ben: Yes, ready.\n\n2\n00:00:15,000 --> 00:00:16,000\n>> Who's there?\n";
        let s = parse_srt(srt).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].speaker.as_deref(), s[0].text.as_str()),
            (Some("Ada"), "Ready?")
        );
        assert_eq!(
            (s[1].speaker.as_deref(), s[1].text.as_str()),
            (Some("Ben"), "Yes, ready.")
        );
        assert!(s[0].start == 10.0 && !s[0].estimated);
        assert!(s[1].start > 10.0 && s[1].start < 14.0 && s[1].estimated);
        assert_eq!(s[1].end, 14.0);
        assert_eq!(s[2].speaker, None, ">> changes speaker to an unknown one");
    }

    #[test]
    fn text_without_cues_is_an_error() {
        let e = parse_srt("just some words").unwrap_err().to_string();
        assert!(e.contains("timing line"), "{e}");
    }
}
