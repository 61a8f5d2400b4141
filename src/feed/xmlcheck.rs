//! A fast well-formedness pass before the real parse: it catches truncated and broken documents
//! with a line number, refuses absurd nesting (the `rss`/`atom_syndication` extension readers
//! recurse, and a deep enough document would overflow the stack), and repairs bare `&`.

use std::borrow::Cow;

use quick_xml::errors::{Error, IllFormedError};
use quick_xml::events::Event;
use quick_xml::Reader;

/// Deeper than any real feed (XHTML content included).
const MAX_DEPTH: usize = 256;

pub(crate) enum Problem {
    /// A `&` that starts no reference: repairable.
    BareAmpersand,
    Fatal(String),
}

/// Checks that `text` is well-formed XML, nested no deeper than [`MAX_DEPTH`].
pub(crate) fn scan(text: &str) -> Result<(), Problem> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut root_seen = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                if depth == 0 && root_seen {
                    return Err(fatal(
                        text,
                        reader.buffer_position(),
                        "content after the root element",
                    ));
                }
                root_seen = true;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Problem::Fatal(format!(
                        "elements are nested more than {MAX_DEPTH} deep"
                    )));
                }
            }
            Ok(Event::Empty(_)) => root_seen = true,
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // Anything after the root element is ignored by the feed readers.
                    return Ok(());
                }
            }
            Ok(Event::Eof) => {
                return if depth > 0 {
                    Err(Problem::Fatal(
                        "the document ends before its last element is closed (truncated?)".into(),
                    ))
                } else if !root_seen {
                    Err(Problem::Fatal("there is no root element".into()))
                } else {
                    Ok(())
                };
            }
            Ok(_) => {}
            Err(Error::IllFormed(IllFormedError::UnclosedReference)) => {
                return Err(Problem::BareAmpersand)
            }
            Err(e) => return Err(fatal(text, reader.error_position(), &e.to_string())),
        }
    }
}

fn fatal(text: &str, pos: u64, what: &str) -> Problem {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = pos
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    Problem::Fatal(format!("{what} (line {line}, column {col})"))
}

/// Escapes every `&` that does not start a reference a DTD-less parser accepts (bare `&`,
/// HTML entities such as `&nbsp;`, `&#0;`), outside CDATA sections, comments and processing
/// instructions. The feed readers keep unknown entities as literal text anyway, so for text
/// nothing changes; in attribute values, where they are fatal, this saves the feed. `None`
/// when there is nothing to repair.
pub(crate) fn escape_bare_ampersands(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // text[..copied] is in `out` (when Some)
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &b[i..];
                let skip_to = |end: &[u8], from: usize| -> usize {
                    find(&b[from..], end).map_or(b.len(), |p| from + p + end.len())
                };
                if rest.starts_with(b"<![CDATA[") {
                    i = skip_to(b"]]>", i + 9);
                } else if rest.starts_with(b"<!--") {
                    i = skip_to(b"-->", i + 4);
                } else if rest.starts_with(b"<?") {
                    i = skip_to(b"?>", i + 2);
                } else {
                    i += 1;
                }
            }
            b'&' => {
                if !starts_reference(&b[i + 1..]) {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                    o.push_str(&text[copied..i]);
                    o.push_str("&amp;");
                    copied = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What follows a `&` that XML parsers accept without a DTD: one of the five predefined
/// entities or a character reference to a real character (`amp;`, `#8217;`, `#x2014;`).
fn starts_reference(s: &[u8]) -> bool {
    let s = &s[..s.len().min(12)];
    let Some(end) = s.iter().position(|c| *c == b';') else {
        return false;
    };
    let number = |digits: &[u8], radix: u32| {
        std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty())
            .and_then(|d| u32::from_str_radix(d, radix).ok())
            .and_then(char::from_u32)
            .is_some_and(|c| c != '\0')
    };
    match &s[..end] {
        b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => true,
        [b'#', b'x', hex @ ..] => number(hex, 16),
        [b'#', dec @ ..] => dec.iter().all(u8::is_ascii_digit) && number(dec, 10),
        _ => false,
    }
}

/// The text to parse: as is when it scans clean, repaired when it only had bare `&`.
pub(crate) fn check(text: &str) -> Result<(Cow<'_, str>, bool), String> {
    match scan(text) {
        Ok(()) => Ok((Cow::Borrowed(text), false)),
        Err(Problem::Fatal(m)) => Err(m),
        Err(Problem::BareAmpersand) => {
            let fixed = escape_bare_ampersands(text)
                .ok_or_else(|| "an unterminated character reference".to_string())?;
            match scan(&fixed) {
                Ok(()) => Ok((Cow::Owned(fixed), true)),
                Err(Problem::Fatal(m)) => Err(m),
                Err(Problem::BareAmpersand) => Err("an unterminated character reference".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_ampersands_outside_cdata() {
        let s = "<a t='x&y'>Q&A &amp; &#38; &#x26; &nbsp; &#0;<![CDATA[a&b]]><!-- c&d --></a>";
        assert_eq!(
            escape_bare_ampersands(s).unwrap(),
            "<a t='x&amp;y'>Q&amp;A &amp; &#38; &#x26; &amp;nbsp; &amp;#0;<![CDATA[a&b]]><!-- c&d --></a>"
        );
        assert!(escape_bare_ampersands("<a>&amp;</a>").is_none());
        assert!(matches!(check("<a>Q&A</a>"), Ok((_, true))));
    }

    #[test]
    fn reports_problems() {
        assert!(matches!(scan("<a><b></a>"), Err(Problem::Fatal(m)) if m.contains("line 1")));
        assert!(matches!(scan("<a><b>"), Err(Problem::Fatal(m)) if m.contains("truncated")));
        let deep = "<a>".repeat(1000);
        assert!(matches!(scan(&deep), Err(Problem::Fatal(m)) if m.contains("nested")));
    }
}
