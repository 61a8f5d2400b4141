//! Small text helpers shared by the feed readers.

use std::borrow::Cow;

/// Decodes HTML character references that XML left alone: the common named ones (`&nbsp;`,
/// `&rsquo;`, …, and the five XML ones, which appear double-escaped) and numeric ones. Unknown
/// names are kept as written. (One table for feeds and transcripts: `transcript::util`.)
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(crate::transcript::util::decode_entities(s))
}

/// A one-line plain-text label: entities decoded, tags dropped if asked, whitespace collapsed.
pub(crate) fn clean_label(s: &str, strip_tags: bool) -> String {
    let stripped: Cow<str> = if strip_tags && s.contains('<') {
        let mut out = String::with_capacity(s.len());
        let mut in_tag = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // Only `<` before a letter, `/` or `!` opens a tag: "I <3 it" stays.
                '<' if !in_tag
                    && chars
                        .peek()
                        .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!')) =>
                {
                    in_tag = true
                }
                '>' if in_tag => in_tag = false,
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    };
    let decoded = decode_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    for word in decoded
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`clean_label`] without a copy when the text is already clean (the usual case).
pub(crate) fn clean_label_owned(s: String, strip_tags: bool) -> String {
    // A plain index loop: iterator adapters cost a lot in unoptimized builds.
    let b = s.as_bytes();
    let mut clean = !b.is_empty() && b[0] != b' ' && b[b.len() - 1] != b' ';
    let mut i = 0;
    while clean && i < b.len() {
        let c = b[i];
        clean =
            (b' '..0x7f).contains(&c) && c != b'<' && c != b'&' && !(c == b' ' && b[i - 1] == b' ');
        i += 1;
    }
    if clean {
        s
    } else {
        clean_label(&s, strip_tags)
    }
}

/// [`non_empty`] without a copy when the text needs no trimming.
pub(crate) fn non_empty_owned(s: String) -> Option<String> {
    let b = s.as_bytes();
    if b.first().is_some_and(|c| c.is_ascii_graphic())
        && b.last().is_some_and(|c| c.is_ascii_graphic())
    {
        return Some(s);
    }
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

/// `s.trim()`, skipped when neither end can be whitespace (`trim()` is slow in unoptimized
/// builds, and rarely needed).
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// `Some(trimmed)` unless blank.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = trim(s);
    (!t.is_empty()).then(|| t.to_string())
}

/// 64-bit FNV-1a: stable across platforms, versions and runs.
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f; // unit separator, so ("ab","c") != ("a","bc")
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("Tom &amp; Jerry&nbsp;&#8212;&#x2014; &lol9; & a"),
            "Tom & Jerry\u{a0}—— &lol9; & a"
        );
        assert_eq!(
            clean_label("  <b>Episode</b>\n  1 &ndash; Hi ", true),
            "Episode 1 – Hi"
        );
        assert_eq!(clean_label("I <3 it", true), "I <3 it");
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(fnv1a(&[""]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
