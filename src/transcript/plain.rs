//! Plain-text transcripts: paragraphs, speaker labels and the time marks written in the text.
//!
//! Labels: `Name:`, `NAME:`, `Name (00:01:02):`, `Name [1:02]:`, a `Name  0:03` line of its
//! own (Otter), a `Name:` line of its own before the text, and `[00:01:02] Name:` /
//! `00:01:02 Name:` (a leading time). A paragraph without a label continues the speaker before
//! it. A known speaker's label after the end of a sentence inside a paragraph (a missing
//! paragraph break) starts a new paragraph. Time marks: `HH:MM:SS` anywhere (`[unintelligible
//! 00:01:47]`), `MM:SS` in brackets or parentheses only (a bare "9:30" in prose is a clock).

use std::collections::HashSet;

use super::untimed::{Anchor, Paragraph, UntimedTranscript};
use super::util::clock;
use super::util::collapse_ws;
use super::{respell, speaker_spellings};

/// Reads a plain-text transcript. Never fails: text without paragraphs gives no paragraphs.
pub fn parse_text(text: &str) -> UntimedTranscript {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut raws: Vec<RawParagraph> = Vec::new();
    let mut open = false; // the last raw paragraph may take more lines
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        let label = speaker_label(line);
        let otter = otter_label(line);
        let starts_new =
            !open || leading_time(line).is_some() || label.is_some() || otter.is_some();
        if starts_new {
            raws.push(RawParagraph {
                text: line.to_string(),
                ..Default::default()
            });
        } else if let Some(last) = raws.last_mut() {
            last.text.push(' ');
            last.text.push_str(line);
        }
        // A label alone on its line ("JASON:", "Jason  0:03") heads the text below it, which
        // starts a paragraph of its own.
        open = !(otter.is_some() || label.is_some_and(|l| line[l.len..].trim().is_empty()));
    }
    build(raws)
}

/// A paragraph as a reader found it, before labels and marks are looked for in its text.
#[derive(Debug, Default)]
pub(crate) struct RawParagraph {
    /// From markup (`<cite>`); `None` means "look for a `Name:` label in the text".
    pub speaker: Option<String>,
    pub text: String,
    /// From markup (`<time>`); offsets in characters of `text`.
    pub anchors: Vec<Anchor>,
}

/// Labels, leading and inline time marks, speaker carry-over and missing paragraph breaks.
pub(crate) fn build(raws: Vec<RawParagraph>) -> UntimedTranscript {
    let mut paragraphs: Vec<Paragraph> = Vec::new();
    // A label (and its time) with no text after it waits for the next paragraph.
    let mut pending: Option<(Option<String>, Vec<f64>)> = None;
    let mut current: Option<String> = None;
    for raw in raws {
        let otter = otter_label(raw.text.trim());
        let mut text = collapse_ws(&raw.text);
        let mut anchors = raw.anchors;
        let mut speaker = raw
            .speaker
            .map(|s| clean_speaker(&s))
            .filter(|s| !s.is_empty());
        let mut lead: Vec<f64> = Vec::new();
        if let Some((s, times)) = pending.take() {
            speaker = speaker.or(s);
            lead = times;
        }
        // Leading time, label, another leading time: `[00:01] Jason (00:01:02): [00:01:02] Hi`.
        if let Some((t, n)) = leading_time(&text) {
            lead.push(t);
            cut(&mut text, &mut anchors, n);
        }
        let label = match (&speaker, otter) {
            (Some(_), _) => None,
            (None, Some(o)) => Some(Label {
                len: text.len(),
                ..o
            }),
            (None, None) => speaker_label(&text),
        };
        if let Some(l) = label {
            speaker = Some(l.name);
            lead.extend(l.time);
            cut(&mut text, &mut anchors, l.len);
            if let Some((t, n)) = leading_time(&text) {
                lead.push(t);
                cut(&mut text, &mut anchors, n);
            }
        }
        if text.is_empty() {
            lead.extend(anchors.iter().map(|a| a.seconds));
            pending = Some((speaker, lead));
            continue;
        }
        let labelled = speaker.is_some();
        if labelled {
            current = speaker.clone();
        } else if is_editorial(&text) {
            // "Note: edited for length." is nobody's line.
            current = None;
        }
        anchors.extend(
            lead.into_iter()
                .map(|seconds| Anchor { offset: 0, seconds }),
        );
        paragraphs.push(Paragraph {
            speaker: current.clone(),
            labelled,
            text,
            anchors,
        });
    }
    let paragraphs = split_missing_breaks(paragraphs);
    let names = speaker_spellings(paragraphs.iter().filter_map(|p| p.speaker.as_deref()));
    UntimedTranscript {
        paragraphs: paragraphs
            .into_iter()
            .map(|mut p| {
                respell(&mut p.speaker, &names);
                for (offset, seconds) in time_marks(&p.text) {
                    p.anchors.push(Anchor { offset, seconds });
                }
                let n = p.text.chars().count();
                for a in &mut p.anchors {
                    a.offset = a.offset.min(n);
                }
                p.anchors.sort_by_key(|a| a.offset);
                p.anchors.dedup();
                p
            })
            .collect(),
    }
}

/// `Note:`, `Editor's note:`, `Transcript:`… — the editor speaking, not a speaker.
fn is_editorial(text: &str) -> bool {
    let Some((head, _)) = text.split_once(':') else {
        return false;
    };
    let head = head.trim().to_lowercase().replace('’', "'");
    [
        "note",
        "notes",
        "editor's note",
        "transcript",
        "transcription",
        "disclaimer",
        "update",
        "edit",
        "correction",
        "ps",
        "p.s.",
        "nb",
    ]
    .contains(&head.as_str())
}

/// Drops the first `bytes` of `text` (and the spaces after them), moving the anchors back.
fn cut(text: &mut String, anchors: &mut [Anchor], bytes: usize) {
    let rest = text[bytes..].trim_start();
    let chars = text.chars().count() - rest.chars().count();
    *text = rest.to_string();
    for a in anchors.iter_mut() {
        a.offset = a.offset.saturating_sub(chars);
    }
}

/// `Jason: … familiar." Omar: Yep.` — a label of a speaker seen elsewhere, right after the end
/// of a sentence, starts a paragraph the page lost the break before.
fn split_missing_breaks(paragraphs: Vec<Paragraph>) -> Vec<Paragraph> {
    let known: HashSet<String> = paragraphs
        .iter()
        .filter(|p| p.labelled)
        .filter_map(|p| p.speaker.clone())
        .collect();
    if known.is_empty() {
        return paragraphs;
    }
    let mut out = Vec::with_capacity(paragraphs.len());
    for p in paragraphs {
        let mut p = p;
        while let Some((at, label)) = find_inline_label(&p.text, &known) {
            let head = p.text[..at].trim_end().to_string();
            let tail = p.text[at + label.len..].trim_start().to_string();
            let split_chars = p.text[..at].chars().count();
            let tail_start = p.text.chars().count() - tail.chars().count();
            let (before, after): (Vec<Anchor>, Vec<Anchor>) =
                p.anchors.iter().partition(|a| a.offset < split_chars);
            let name = label.name;
            out.push(Paragraph {
                text: head,
                anchors: before,
                ..p.clone()
            });
            p = Paragraph {
                speaker: Some(name),
                labelled: true,
                text: tail,
                anchors: after
                    .into_iter()
                    .map(|a| Anchor {
                        offset: a.offset.saturating_sub(tail_start),
                        ..a
                    })
                    .collect(),
            };
            if p.text.is_empty() {
                break;
            }
        }
        if !p.text.is_empty() {
            out.push(p);
        }
    }
    out
}

fn find_inline_label(text: &str, known: &HashSet<String>) -> Option<(usize, Label)> {
    for (i, _) in text.match_indices(": ") {
        // The label is the words just before the colon; try the known names that end there.
        for name in known {
            let Some(start) = i.checked_sub(name.len()) else {
                continue;
            };
            if !text.is_char_boundary(start) || &text[start..i] != name {
                continue;
            }
            let before = text[..start].trim_end();
            if start == 0 || before.len() == start {
                continue; // at the very start, or glued to the word before
            }
            let ends_sentence = before.ends_with(['.', '?', '!', '…', '"', '”', '’', ')', ']']);
            if ends_sentence {
                return Some((
                    start,
                    Label {
                        name: name.clone(),
                        time: None,
                        len: name.len() + 1,
                    },
                ));
            }
        }
    }
    None
}

/// A speaker label at the start of a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub name: String,
    /// A time written with the label: `Name (00:01:02):`.
    pub time: Option<f64>,
    /// Bytes of the line the label takes, colon included.
    pub len: usize,
}

/// `Name:`, `NAME:`, `Name (00:01:02):`, `Name [1:02]:` at the start of `line`, followed by a
/// space or the end of the line.
pub(crate) fn speaker_label(line: &str) -> Option<Label> {
    // The first colon outside brackets.
    let mut depth = 0i32;
    let mut colon = None;
    for (i, c) in line.char_indices().take(80) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ':' if depth == 0 => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let after = &line[colon + 1..];
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let head = line[..colon].trim_end();
    let (name, time) = match head.strip_suffix([')', ']']) {
        Some(inner) => {
            let open = inner.rfind(['(', '['])?;
            let t = clock(&inner[open + 1..])?;
            (inner[..open].trim_end(), Some(t))
        }
        None => (head, None),
    };
    is_name(name).then(|| Label {
        name: clean_speaker(name),
        time,
        len: colon + 1,
    })
}

/// `Jason Smith  0:03` alone on a line (Otter's export): a name, two spaces (or a tab), a time,
/// nothing else.
pub(crate) fn otter_label(line: &str) -> Option<Label> {
    let line = line.trim_end();
    let sep = line.rfind(char::is_whitespace)?;
    let width = line[sep..].chars().next().map_or(1, char::len_utf8);
    let (name, time) = (&line[..sep], &line[sep + width..]);
    let wide = line[sep..].starts_with('\t') || name.ends_with(char::is_whitespace);
    if !time.contains(':') || !wide {
        return None;
    }
    let t = clock(time)?;
    let name = name.trim_end();
    is_name(name).then(|| Label {
        name: clean_speaker(name),
        time: Some(t),
        len: line.len(),
    })
}

fn clean_speaker(s: &str) -> String {
    collapse_ws(s.trim().trim_end_matches(':').trim())
}

const PARTICLES: &[&str] = &[
    "de", "da", "del", "der", "den", "di", "du", "la", "le", "van", "von", "bin", "al", "el", "y",
    "dos", "das", "ten", "ter", "st.", "of",
];

/// Words that end in a colon in prose and show notes, never names.
const NOT_NAMES: &[&str] = &[
    "note",
    "notes",
    "nb",
    "ps",
    "p.s.",
    "link",
    "links",
    "transcript",
    "transcription",
    "update",
    "edit",
    "warning",
    "caution",
    "source",
    "sources",
    "example",
    "disclaimer",
    "chapters",
    "topics",
    "timestamps",
    "http",
    "https",
    "mailto",
    "so",
    "and",
    "but",
    "well",
    "yes",
    "no",
    "okay",
    "ok",
    "now",
    "then",
    "also",
    "episode",
    "season",
    "chapter",
    "part",
    "step",
    "tip",
    "summary",
    "re",
    "subject",
    "from",
    "to",
    "date",
    "time",
    "location",
    "twitter",
    "email",
    "website",
    "podcast",
    "music",
    "credits",
    "sponsor",
    "sponsors",
    "highlights",
    "resources",
    "references",
];

/// Determiners and such that start sentences, not names, when more words follow.
const NOT_FIRST: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "my", "our", "your", "his", "her", "their",
    "its", "it", "in", "on", "at", "for", "when", "if", "what", "why", "how", "here", "there",
    "we", "i", "you", "they", "he", "she",
];

/// 1–5 words of up to 40 characters, each capitalised (or a number, or a particle like "de"),
/// of letters, digits and `.'’-` only; not a word prose puts before a colon.
pub(crate) fn is_name(name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return false;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 {
        return false;
    }
    let lower = name.to_lowercase();
    let last = words.last().map(|w| w.to_lowercase()).unwrap_or_default();
    if NOT_NAMES.contains(&lower.as_str()) || NOT_NAMES.contains(&last.as_str()) {
        return false;
    }
    if words.len() > 1 && NOT_FIRST.contains(&words[0].to_lowercase().as_str()) {
        return false;
    }
    let first_ok = words[0].chars().next().is_some_and(char::is_uppercase);
    first_ok
        && words.iter().enumerate().all(|(i, w)| {
            let chars_ok = w
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '\'' | '’' | '-'));
            let starts_ok = i == 0
                || w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                || PARTICLES.contains(&w.to_lowercase().as_str());
            chars_ok && starts_ok && w.chars().any(char::is_alphanumeric)
        })
}

/// A time at the very start of a line — `[00:01:02]`, `(1:02)`, `00:01:02`, `00:01:02 -` —
/// as (seconds, bytes taken).
pub(crate) fn leading_time(line: &str) -> Option<(f64, usize)> {
    let (inner, len) = match line.chars().next()? {
        '[' | '(' => {
            let close = line.find([']', ')'])?;
            (&line[1..close], close + 1)
        }
        c if c.is_ascii_digit() => {
            let end = line
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, ':' | '.' | ',')))
                .unwrap_or(line.len());
            let token = line[..end].trim_end_matches(['.', ',']);
            // A bare time must be followed by a space (or nothing), and take a colon.
            let next = line[token.len()..].chars().next();
            if next.is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
            (token, token.len())
        }
        _ => return None,
    };
    if !inner.contains(':') {
        return None;
    }
    let t = clock(inner)?;
    // `00:01:02 - text` / `00:01:02 | text`
    let rest = &line[len..];
    let trimmed = rest.trim_start();
    let len = match trimmed.strip_prefix(['-', '–', '—', '|']) {
        Some(after) if after.is_empty() || after.starts_with(char::is_whitespace) => {
            line.len() - after.len()
        }
        _ => len,
    };
    Some((t, len))
}

/// Time marks inside text, as (character offset, seconds): `HH:MM:SS(.mmm)` anywhere, `M:SS` /
/// `MM:SS` only inside brackets or parentheses (`(1:02)`, `[crosstalk 12:40]`).
pub(crate) fn time_marks(text: &str) -> Vec<(usize, f64)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b':') {
            j += 1;
        }
        // A fraction: `.5` / `,250` right after the seconds.
        let mut end = j;
        if end + 1 < b.len() && matches!(b[end], b'.' | b',') && b[end + 1].is_ascii_digit() {
            end += 1;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
        }
        let token = &text[i..end];
        let colons = text[i..j].matches(':').count();
        let prev = text[..i].chars().next_back();
        let next = text[end..].chars().next();
        let boxed = matches!(prev, Some('[' | '(')) || matches!(next, Some(']' | ')'));
        let suffix = text[end..].trim_start().to_ascii_lowercase();
        let time_of_day = ["am", "pm", "a.m", "p.m"].iter().any(|s| {
            suffix.starts_with(s) && !suffix[s.len()..].starts_with(|c: char| c.is_alphabetic())
        });
        let glued = next.is_some_and(|c| c.is_alphanumeric());
        let two_digit_fields = text[i..j].split(':').skip(1).all(|f| f.len() == 2);
        let wanted = two_digit_fields
            && !text[i..j].ends_with(':')
            && !glued
            && !time_of_day
            && (colons == 2 || (colons == 1 && boxed));
        if wanted {
            if let Some(t) = clock(token) {
                out.push((text[..i].chars().count(), t));
            }
        }
        i = end.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let l = speaker_label("Jason: Hello there").unwrap();
        assert_eq!((l.name.as_str(), l.time, l.len), ("Jason", None, 6));
        assert_eq!(speaker_label("NAOMI WU: hi").unwrap().name, "NAOMI WU");
        let l = speaker_label("Ana Medina (00:01:02): hi").unwrap();
        assert_eq!((l.name.as_str(), l.time), ("Ana Medina", Some(62.0)));
        assert_eq!(
            speaker_label("Speaker 1 [1:02]: hi").unwrap().time,
            Some(62.0)
        );
        assert_eq!(
            speaker_label("Jean de Villiers:").unwrap().name,
            "Jean de Villiers"
        );
        for prose in [
            "Note: this is prose",
            "Links:",
            "The answer: forty-two",
            "So I said: no",
            "https://example.org",
            "10:30 we met",
            "Well: fine",
            "• Lessons Learned: 00:10:50",
            "Podcast Twitter: x",
            "lowercase: no",
        ] {
            assert_eq!(speaker_label(prose), None, "{prose}");
        }
        assert_eq!(otter_label("Ada Lovelace  0:03").unwrap().time, Some(3.0));
        assert_eq!(otter_label("It was 9:30"), None);
    }

    #[test]
    fn marks() {
        let t = "So [inaudible 00:01:47] and (12:05) but not 9:30 or 10:15:00 pm, 1:2:3, 12:00:00x, 1:00:00 amazing";
        let m = time_marks(t);
        assert_eq!(
            m.iter().map(|m| m.1).collect::<Vec<_>>(),
            vec![107.0, 725.0, 3600.0]
        );
        assert_eq!(m[0].0, t.find("00:01:47").unwrap());
        assert_eq!(time_marks("é 01:00:00.5"), vec![(2, 3600.5)]);
        assert_eq!(leading_time("[00:01:02] Ada: hi"), Some((62.0, 10)));
        assert_eq!(leading_time("00:01:02 - hi"), Some((62.0, 10)));
        assert_eq!(leading_time("2008, a year"), None);
    }

    #[test]
    fn paragraphs_speakers_and_breaks() {
        let t = parse_text(
            "\u{feff}Ada: One.\r\nStill Ada.\r\n\r\nMore from her [garbled 00:00:30].\n\nBEN (00:01:00): Two.\n\nAda:\nThree.\nBen: Four. \u{201c}Yes.\u{201d} Ada: Five.",
        );
        let p = &t.paragraphs;
        let got: Vec<(Option<&str>, bool, &str)> = p
            .iter()
            .map(|p| (p.speaker.as_deref(), p.labelled, p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("Ada"), true, "One. Still Ada."),
                (Some("Ada"), false, "More from her [garbled 00:00:30]."),
                (Some("Ben"), true, "Two."), // BEN, respelled as written elsewhere
                (Some("Ada"), true, "Three."),
                (Some("Ben"), true, "Four. \u{201c}Yes.\u{201d}"),
                (Some("Ada"), true, "Five."),
            ]
        );
        assert_eq!(
            p[1].anchors,
            vec![Anchor {
                offset: 23,
                seconds: 30.0
            }]
        );
        assert_eq!(
            p[2].anchors,
            vec![Anchor {
                offset: 0,
                seconds: 60.0
            }]
        );
    }

    #[test]
    fn otter_and_leading_times() {
        let t = parse_text("Ada Lovelace  0:03\nHello there.\n\nBen  0:09\nHi.\n\n[00:00:15] Ada: Bye.\n00:00:20 Ben: Bye!");
        let p = &t.paragraphs;
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].speaker.as_deref(), Some("Ada Lovelace"));
        assert_eq!(p[0].anchors[0].seconds, 3.0);
        assert_eq!(p[1].text, "Hi.");
        assert_eq!(
            (p[2].text.as_str(), p[2].anchors[0].seconds),
            ("Bye.", 15.0)
        );
        assert_eq!(p[3].speaker.as_deref(), Some("Ben"));
        assert!(t.fully_timed());
    }
}
