//! Small text helpers shared by the transcript readers: entities, tags, whitespace, time values.

use crate::timefmt::parse_clock;

/// Decodes HTML character references: numeric ones and the named ones transcripts use. Unknown
/// names stay as written. Never produces NUL or other control characters (they become spaces).
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .char_indices()
            .take(33)
            .find(|(_, c)| !c.is_ascii_alphanumeric() && *c != '#')
            .map(|(j, c)| (j + 1, c));
        if let Some((j, ';')) = end {
            if let Some(c) = entity(&rest[1..j]) {
                if c.is_control() && c != '\n' && c != '\t' {
                    out.push(' ');
                } else {
                    out.push(c);
                }
                rest = &rest[j + 1..];
                continue;
            }
        }
        out.push('&');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        // Windows-1252 code points written as numbers (&#146; for ’) are common in old pages.
        let n = match n {
            0x80..=0x9f => {
                let b = [n as u8];
                let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&b);
                return s.chars().next();
            }
            n => n,
        };
        return char::from_u32(n).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ensp" | "emsp" | "thinsp" => ' ',
        "zwnj" | "zwj" | "lrm" | "rlm" | "shy" | "ZeroWidthSpace" => '\u{200b}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "prime" => '′',
        "Prime" => '″',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "sect" => '§',
        "para" => '¶',
        "dagger" => '†',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "iexcl" => '¡',
        "iquest" => '¿',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "iacute" => 'í',
        "igrave" => 'ì',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "oacute" => 'ó',
        "ograve" => 'ò',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "uacute" => 'ú',
        "ugrave" => 'ù',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "yuml" => 'ÿ',
        "szlig" => 'ß',
        "Aacute" => 'Á',
        "Agrave" => 'À',
        "Acirc" => 'Â',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Eacute" => 'É',
        "Egrave" => 'È',
        "Ecirc" => 'Ê',
        "Iacute" => 'Í',
        "Ntilde" => 'Ñ',
        "Oacute" => 'Ó',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Uacute" => 'Ú',
        "Uuml" => 'Ü',
        _ => return None,
    })
}

/// Collapses runs of whitespace (and invisible format characters) to single spaces and trims.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_collapsed(&mut out, s);
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Appends `s` to `out` the way [`collapse_ws`] reads it: no leading space, no double spaces
/// (`out` may end with one space), zero-width characters dropped.
pub(crate) fn push_collapsed(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !matches!(c, '\u{200b}' | '\u{feff}' | '\u{200e}' | '\u{200f}') {
            out.push(c);
        }
    }
}

/// Removes `<…>` tags (only a `<` before a letter, `/` or `!` opens one: "I <3 it" stays) and
/// SubStation override blocks (`{\an8}`), then decodes entities and collapses whitespace.
pub(crate) fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let closer = match (c, next) {
            ('<', Some(n)) if n.is_ascii_alphabetic() || matches!(n, '/' | '!') => '>',
            ('{', Some('\\')) => '}',
            _ => {
                out.push(c);
                continue;
            }
        };
        match s[i..].find(closer) {
            Some(len) => {
                // Skip to just past the closer. Line-breaking tags leave a space; inline ones
                // (`<i>`, `<font …>`) leave nothing, so "<i>Hi</i>," stays "Hi,".
                let name = element_name(&s[i + 1..i + len]);
                if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr" | "td") {
                    out.push(' ');
                }
                while chars.peek().is_some_and(|&(j, _)| j <= i + len) {
                    chars.next();
                }
            }
            None => out.push(c),
        }
    }
    collapse_ws(&decode_entities(&out))
}

/// The element name of what stands inside a tag's `<…>`, lower-cased (`/P class=x` → `p`).
pub(crate) fn element_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// [`parse_clock`], guarded: a field too long to be a time is refused before it can overflow.
pub(crate) fn clock(text: &str) -> Option<f64> {
    let whole = text.trim().split(['.', ',']).next().unwrap_or("");
    if whole
        .split(':')
        .any(|f| f.trim_start_matches('0').len() > 9)
    {
        return None;
    }
    parse_clock(text)
}

/// A time value as transcript files write it: seconds (`12.5`), a clock (`00:01:02.500`,
/// `1:02`, `00:00:01,250`) or an ISO 8601 duration (`PT1M2.5S`). `None` when it is not one, or
/// not finite and non-negative.
pub(crate) fn parse_time_value(s: &str) -> Option<f64> {
    let s = s.trim();
    let t = if let Some(iso) = s.strip_prefix("PT").or_else(|| s.strip_prefix("pt")) {
        iso_duration(iso)?
    } else if s.contains(':') {
        clock(s)?
    } else {
        s.parse::<f64>().ok()?
    };
    (t.is_finite() && t >= 0.0).then_some(t)
}

fn iso_duration(s: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            '0'..='9' | '.' | ',' => num.push(if c == ',' { '.' } else { c }),
            'H' | 'h' | 'M' | 'm' | 'S' | 's' => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                any = true;
                total += v * match c.to_ascii_uppercase() {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
            }
            _ => return None,
        }
    }
    (any && num.is_empty()).then_some(total)
}

/// Joins word tokens into a line: no space before closing punctuation or after an opening one.
pub(crate) fn join_token(line: &mut String, token: &str) {
    let token = token.trim();
    if token.is_empty() {
        return;
    }
    let attaches = token.starts_with([
        ',', '.', ';', ':', '!', '?', ')', ']', '}', '…', '%', '’', '”', '»',
    ]) || token.starts_with("'s")
        || token.starts_with("n't")
        || token.starts_with("'re")
        || token.starts_with("'ll");
    let after_open = line.ends_with(['(', '[', '{', '“', '‘', '«', '¿', '¡']);
    if !line.is_empty() && !attaches && !after_open {
        line.push(' ');
    }
    line.push_str(token);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_tags() {
        assert_eq!(
            decode_entities("a &amp; b &#x2019; &#146; &bogus; &"),
            "a & b ’ ’ &bogus; &"
        );
        assert_eq!(
            strip_tags("<i>Hi</i>, <font color=\"red\">you</font> <3"),
            "Hi, you <3"
        );
        assert_eq!(strip_tags("one<br/>two"), "one two");
        assert_eq!(strip_tags("{\\an8}Top <b>line"), "Top line");
        assert_eq!(strip_tags("&lt;b&gt; stays text"), "<b> stays text");
    }

    #[test]
    fn time_values() {
        assert_eq!(parse_time_value("12.5"), Some(12.5));
        assert_eq!(parse_time_value("00:01:02,500"), Some(62.5));
        assert_eq!(parse_time_value("PT1M2.5S"), Some(62.5));
        assert_eq!(parse_time_value("PT1H"), Some(3600.0));
        assert_eq!(parse_time_value("-1"), None);
        assert_eq!(parse_time_value("NaN"), None);
        assert_eq!(parse_time_value("inf"), None);
    }

    #[test]
    fn joins_tokens() {
        let mut s = String::new();
        for t in ["Well", ",", "it", "isn't", "(", "really", ")", "."] {
            join_token(&mut s, t);
        }
        assert_eq!(s, "Well, it isn't (really).");
    }
}
