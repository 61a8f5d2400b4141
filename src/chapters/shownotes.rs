//! Chapters from the time-stamped lists people type into show notes.
//!
//! Show notes are first flattened to lines of text (HTML block elements, `<br>` and `<li>`
//! become line breaks, entities are decoded). A line is a *chapter line* when, once a bullet
//! (`•`, `-`, `*`, …) or a list number (`1.`, `2)`) is set aside, it starts or ends with a time
//! (`HH:MM:SS`, `H:MM:SS`, `MM:SS`, optionally `.mmm`), bare or in `(…)` / `[…]`, and the rest
//! is a short title:
//!
//! ```text
//! 00:04:25 - Title        • 00:03:15 - Title      [12:34] Title      (12:34) Title
//! 12:34 — Title           1. 12:34 Title          • Title: 00:01:27  • Title:00:13:40
//! • Title (1:00)          Title (21:56)           Title - 12:34      Title [12:34]
//! ```
//!
//! A time at the end needs something between it and the title (`:`, a dash, `|`, brackets),
//! or a bullet on the line: "We met at 10:30" is prose, not a chapter.
//!
//! Chapter lines form a *run* while they follow each other (blank lines do not interrupt a run;
//! any other line does) in the same style (time first or last, same brackets). A run counts as
//! a chapter list only with at least [`MIN_RUN`] lines whose times strictly increase; a lone
//! time in prose, or times that go back, are seek links at most, never chapters. When several
//! runs qualify, the longest wins (the first of equals).

use super::{normalize, Chapter};
use crate::transcript::util::element_name;

/// The fewest chapter lines that make a list.
pub const MIN_RUN: usize = 2;
/// Longer "titles" are sentences of prose that happen to start or end with a time.
const MAX_TITLE_CHARS: usize = 150;

/// Finds the chapter list in show notes (HTML or plain text), if there is one.
///
/// Chapters starting at or after `duration` are dropped (never invented past the audio); the
/// rest are returned through [`normalize`], so the last one ends at `duration` when it is known.
/// A first chapter that starts after 0 is kept as it is. Never panics.
pub fn chapters_from_show_notes(text_or_html: &str, duration: Option<f64>) -> Vec<Chapter> {
    let text = if looks_like_html(text_or_html) {
        html_to_text(text_or_html)
    } else {
        decode_entities(text_or_html)
    };

    let mut runs: Vec<Vec<Stamp>> = Vec::new();
    let mut current: Vec<Stamp> = Vec::new();
    for line in text.lines() {
        let line = clean_line(line);
        if line.is_empty() {
            continue;
        }
        match parse_line(&line) {
            Some(stamp) => {
                if current.last().is_some_and(|last| last.style != stamp.style) {
                    runs.push(std::mem::take(&mut current));
                }
                current.push(stamp);
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }

    let mut best: Option<Vec<Stamp>> = None;
    for run in runs {
        let increasing = run.windows(2).all(|w| w[0].start < w[1].start);
        if run.len() >= MIN_RUN && increasing && best.as_ref().is_none_or(|b| run.len() > b.len()) {
            best = Some(run);
        }
    }
    let Some(run) = best else {
        return Vec::new();
    };
    let mut chapters: Vec<Chapter> = run
        .into_iter()
        .map(|s| Chapter {
            start: s.start,
            end: None,
            title: s.title,
            img: None,
            url: None,
            toc: true,
        })
        .collect();
    let duration = duration.filter(|d| d.is_finite() && *d > 0.0);
    normalize(&mut chapters, duration);
    chapters
}

// --- one line --------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    First,
    Last,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrap {
    Bare,
    Paren,
    Square,
}

#[derive(Debug)]
struct Stamp {
    start: f64,
    title: String,
    style: (Place, Wrap),
}

/// Bullets people put before list items (followed by a space, or not, for the non-ASCII ones).
const BULLETS: &[char] = &[
    '•', '·', '▪', '▫', '►', '▶', '‣', '◦', '●', '○', '■', '□', '→', '➤', '✓', '✔', '★', '☆', '♦',
    '◆',
];
/// ASCII bullets and dashes, which need a space after them to be bullets.
const ASCII_BULLETS: &[char] = &['-', '*', '+', '>', '–', '—', '~'];
/// What may stand between a title and a time that follows it.
const SEPARATORS: &[char] = &[
    ':', '-', '–', '—', '|', ',', '@', '.', '…', '·', '•', '=', '~',
];

/// Trims whitespace, including the invisible characters pasted show notes are full of.
fn clean_line(line: &str) -> String {
    line.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
            )
        })
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Sets aside a leading bullet or list number; says whether there was one.
fn strip_marker(line: &str) -> (&str, bool) {
    let mut s = line.trim_start();
    let mut marked = false;
    loop {
        let mut chars = s.chars();
        let Some(c) = chars.next() else { break };
        if BULLETS.contains(&c) {
            s = chars.as_str().trim_start();
            marked = true;
            continue;
        }
        if ASCII_BULLETS.contains(&c) && chars.as_str().starts_with(' ') {
            s = chars.as_str().trim_start();
            marked = true;
            continue;
        }
        // "1. " / "12) " / "#3 "
        let body = s.strip_prefix('#').unwrap_or(s);
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=3).contains(&digits) {
            let after = &body[digits..];
            let rest = if s.starts_with('#') {
                after.strip_prefix(' ')
            } else {
                after
                    .strip_prefix(". ")
                    .or_else(|| after.strip_prefix(") "))
            };
            if let Some(rest) = rest {
                s = rest.trim_start();
                marked = true;
                continue;
            }
        }
        break;
    }
    (s, marked)
}

/// A time stamp in a line: byte range and seconds.
#[derive(Debug, Clone, Copy)]
struct Time {
    start: usize,
    end: usize,
    seconds: f64,
}

/// Every time stamp in `s`: `H:MM:SS`, `HH:MM:SS`, `M:SS`, `MM:SS`, `MMM:SS`, each optionally
/// followed by `.` and 1–3 digits. Digit-and-colon runs of any other shape are not times.
fn find_times(s: &str) -> Vec<Time> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_digit() || b[i] == b':') {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b':') {
            i += 1;
        }
        let run_end = i;
        // Digits glued to a preceding "." or "," belong to a number (1.5:00), to a letter they
        // belong to a word (v1:00).
        if b[run_start] != b':'
            && s[..run_start]
                .chars()
                .next_back()
                .is_some_and(|c| c == '.' || c == ',' || c.is_alphanumeric())
        {
            continue;
        }
        let mut a = run_start;
        while a < run_end && b[a] == b':' {
            a += 1;
        }
        let mut z = run_end;
        while z > a && b[z - 1] == b':' {
            z -= 1;
        }
        let Some(mut seconds) = clock(&s[a..z]) else {
            continue;
        };
        let mut end = z;
        if z == run_end && z < b.len() && b[z] == b'.' {
            let frac = b[z + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if (1..=3).contains(&frac) {
                let digits = &s[z + 1..z + 1 + frac];
                seconds += digits.parse::<f64>().unwrap_or(0.0) / 10f64.powi(frac as i32);
                end = z + 1 + frac;
                i = end;
            } else if frac > 3 {
                continue;
            }
        }
        out.push(Time {
            start: a,
            end,
            seconds,
        });
    }
    out
}

/// `H:MM:SS` / `MM:SS` (ASCII digits and colons only) to seconds.
fn clock(t: &str) -> Option<f64> {
    let parts: Vec<&str> = t.split(':').collect();
    let first_max = match parts.len() {
        2 => 3,
        3 => 2,
        _ => return None,
    };
    let first = parts[0];
    if first.is_empty() || first.len() > first_max {
        return None;
    }
    let mut total: u64 = first.parse().ok()?;
    for p in &parts[1..] {
        if p.len() != 2 {
            return None;
        }
        let n: u64 = p.parse().ok()?;
        if n >= 60 {
            return None;
        }
        total = total * 60 + n;
    }
    Some(total as f64)
}

fn open_of(close: char) -> Option<(char, Wrap)> {
    match close {
        ')' => Some(('(', Wrap::Paren)),
        ']' => Some(('[', Wrap::Square)),
        _ => None,
    }
}

/// A chapter line's time, title and style, or `None` for any other line.
fn parse_line(line: &str) -> Option<Stamp> {
    let (rest, marked) = strip_marker(line);
    let times = find_times(rest);
    let first = *times.first()?;
    let last = *times.last()?;
    time_first(rest, first, &times).or_else(|| time_last(rest, last, marked))
}

/// `[12:34] Title`, `12:34 - Title`, `(1:02:03) Title`, `00:10–00:20 Title` (a range: the end
/// is ignored).
fn time_first(rest: &str, t: Time, times: &[Time]) -> Option<Stamp> {
    let wrap = match rest[..t.start].trim() {
        "" => Wrap::Bare,
        "(" => Wrap::Paren,
        "[" => Wrap::Square,
        _ => return None,
    };
    let mut after = &rest[t.end..];
    if wrap != Wrap::Bare {
        let close = if wrap == Wrap::Paren { ')' } else { ']' };
        after = after.trim_start().strip_prefix(close)?;
    } else {
        // A range: "00:10 - 00:20 Title".
        let pos = t.end;
        let skipped = after.trim_start_matches([' ', '-', '–', '—', '~']);
        let skipped = skipped.strip_prefix("to ").unwrap_or(skipped);
        let at = pos + (after.len() - skipped.len());
        if at > pos {
            if let Some(next) = times.iter().find(|n| n.start == at) {
                after = &rest[next.end..];
            }
        }
    }
    // The title must be set apart from the time: "12:34pm" is not "12:34" + "pm".
    let c = after.chars().next()?;
    if c.is_alphanumeric() {
        return None;
    }
    let title = after
        .trim_start_matches(|c: char| {
            c.is_whitespace() || SEPARATORS.contains(&c) || matches!(c, ')' | ']' | '>')
        })
        .trim_end();
    make_stamp(t.seconds, title, (Place::First, wrap))
}

/// `Title (12:34)`, `Title [12:34]`, `Title: 12:34`, `Title:12:34`, `Title - 12:34`, and
/// `• Title 12:34` (a bare space is enough only on a bulleted line).
fn time_last(rest: &str, t: Time, marked: bool) -> Option<Stamp> {
    let tail = rest[t.end..].trim_end_matches(|c: char| c.is_whitespace() || ".,;!".contains(c));
    let mut before = &rest[..t.start];
    let wrap = match tail.trim() {
        "" => Wrap::Bare,
        close @ (")" | "]") => {
            let (open, wrap) = open_of(close.chars().next()?)?;
            before = before.trim_end().strip_suffix(open)?;
            wrap
        }
        _ => return None,
    };
    if wrap == Wrap::Bare {
        let trimmed = before.trim_end();
        let set_apart = trimmed.ends_with(SEPARATORS) || (marked && trimmed.len() < before.len());
        if !set_apart {
            return None;
        }
    } else if before.chars().last().is_some_and(char::is_alphanumeric) {
        // "Title(12:34)" is fine, "x[12:34]" too; but an opening bracket glued to a word is
        // usually an index, "a[1:2]": refuse only for square brackets.
        if wrap == Wrap::Square {
            return None;
        }
    }
    let title = before
        .trim_end_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(&c))
        .trim_start();
    make_stamp(t.seconds, title, (Place::Last, wrap))
}

fn make_stamp(start: f64, title: &str, style: (Place, Wrap)) -> Option<Stamp> {
    let title = title.trim();
    if !title.chars().any(char::is_alphabetic) || title.chars().count() > MAX_TITLE_CHARS {
        return None;
    }
    Some(Stamp {
        start,
        title: title.to_string(),
        style,
    })
}

// --- HTML to lines ---------------------------------------------------------------------------

/// Markup if there is anything that looks like a tag (or a comment).
fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// Elements that start a new line.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Text of an HTML fragment, one line per block; the content of `script`, `style` and
/// friends is dropped; entities are decoded.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
            continue;
        }
        let Some(end) = tag_end(rest) else {
            // A lone "<": text.
            out.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let closing = tag.starts_with('/');
        let name = element_name(tag);
        if name.is_empty() {
            if !tag.starts_with('!') && !tag.starts_with('?') && !closing {
                // "<" followed by something that is not a tag name: text after all.
                out.push('<');
                out.push_str(&decode_entities(tag));
                out.push('>');
            }
            continue;
        }
        if !closing
            && matches!(
                name.as_str(),
                "script" | "style" | "template" | "noscript" | "svg" | "math" | "head" | "title"
            )
        {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => {
                    let after = &rest[i..];
                    after.find('>').map_or("", |j| &after[j + 1..])
                }
                None => "",
            };
            out.push('\n');
            continue;
        }
        if BLOCK_TAGS.contains(&name.as_str()) {
            out.push('\n');
        } else if name == "img" {
            out.push(' ');
        }
    }
    out.push_str(&decode_entities(rest));
    out
}

/// Index of the `>` closing the tag that starts `s` (at its `<`), quotes respected.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &c) in s.as_bytes().iter().enumerate().skip(1) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return Some(i),
            None if c == b'<' => return None,
            None => {}
        }
    }
    None
}

/// Decodes `&name;`, `&#123;` and `&#x7b;`; unknown entities stay as they are.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|i| entity(&rest[1..i]).map(|c| (c, i)));
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &rest[i + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "minus" => '−',
        "bull" => '•',
        "middot" => '·',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "rarr" => '→',
        "larr" => '←',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        "thinsp" | "ensp" | "emsp" => ' ',
        "zwj" => '\u{200d}',
        "zwnj" => '\u{200c}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts_titles(c: &[Chapter]) -> Vec<(f64, &str)> {
        c.iter().map(|c| (c.start, c.title.as_str())).collect()
    }

    #[test]
    fn finds_times_of_every_shape() {
        let t: Vec<f64> = find_times("a 1:02 b 01:02:03 c 123:45 d 4:5 e 1:2:3 f 12:34.5 ")
            .iter()
            .map(|t| t.seconds)
            .collect();
        assert_eq!(t, vec![62.0, 3723.0, 7425.0, 754.5]);
        assert!(find_times("10:00:00:00 1:75 12345:00").is_empty());
        let t = find_times("DOD:00:13:40");
        assert_eq!((t[0].start, t[0].seconds), (4, 820.0));
    }

    #[test]
    fn reads_each_line_style() {
        let cases = [
            ("00:04:25 - Cadence", 265.0, "Cadence"),
            ("• 00:03:15 - Costs", 195.0, "Costs"),
            ("• What it does: 00:01:27", 87.0, "What it does"),
            ("• Working it:00:13:40", 820.0, "Working it"),
            ("• History: (1:00)", 60.0, "History"),
            ("What is next (21:56)", 1316.0, "What is next"),
            ("[12:34] Square", 754.0, "Square"),
            ("12:34 — Em dash", 754.0, "Em dash"),
            ("(12:34) Paren first", 754.0, "Paren first"),
            ("1. 12:34 Numbered", 754.0, "Numbered"),
            ("Dash last - 12:34", 754.0, "Dash last"),
            ("- 1:02:03 | Piped", 3723.0, "Piped"),
            ("00:10–00:20 A range", 10.0, "A range"),
            ("3) [01:00.250] Fraction", 60.25, "Fraction"),
        ];
        for (line, start, title) in cases {
            let s = parse_line(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((s.start, s.title.as_str()), (start, title), "{line}");
        }
    }

    #[test]
    fn refuses_lines_that_are_not_chapters() {
        for line in [
            "We met at 10:30",
            "called [Splat 00:01:36].",
            "12:34pm lunch",
            "12:34",
            "(12:34)",
            "at 10:00 and 11:00 we talk",
            "12:34 - 56",
        ] {
            assert!(parse_line(line).is_none(), "{line}");
        }
    }

    #[test]
    fn flattens_html() {
        let html = "<p>Chapters:</p><ul><li><a href=\"#t=0\">00:00</a> Hello &amp; welcome</li>\
                    <li>05:00&nbsp;&ndash; Second<br/>10:00 &#8212; Third</li></ul>\
                    <script>var a = '00:01 x';</script>";
        let c = chapters_from_show_notes(html, None);
        assert_eq!(
            starts_titles(&c),
            vec![
                (0.0, "Hello & welcome"),
                (300.0, "Second"),
                (600.0, "Third")
            ]
        );
    }

    #[test]
    fn keeps_the_longest_increasing_run() {
        let text = "00:00 Short\n01:00 List\n\nSome prose here.\n\n00:00 A\n00:30 B\n01:00 C\n";
        let c = chapters_from_show_notes(text, None);
        assert_eq!(
            starts_titles(&c),
            vec![(0.0, "A"), (30.0, "B"), (60.0, "C")]
        );
    }
}
