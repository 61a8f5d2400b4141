//! Show notes, made safe to display and given seek links.
//!
//! [`render_show_notes`] runs feed HTML through ammonia with a strict allow-list, then walks
//! the sanitized (and therefore predictably serialized) HTML once: images become their alt
//! text and time stamps in text become `<a href="#" data-seek="SECONDS">` links.

use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

use crate::transcript::util::element_name;

/// Sanitizes feed HTML for display: no script/style/iframe/object/embed/form, no event
/// handlers or style attributes, no images (an `<img>` becomes its alt text), links only
/// http/https/mailto (relative ones resolved against `base`, dropped without one), every `<a>`
/// gets `rel="noopener noreferrer"` and loses `target`. Plain text (no tags) becomes
/// paragraphs (blank lines) with `<br>` for single newlines, bare URLs linkified; HTML without
/// any block structure gets `<br>` for its newlines.
///
/// Then time stamps in text (never inside attributes or existing links) become seek links:
/// `<a href="#" data-seek="265">00:04:25</a>` for `00:04:25`, `4:25`, `1:00:00`, `(3:00)`,
/// `[12:34]` (brackets stay outside the link); only times ≤ `duration` when it is given.
pub fn render_show_notes(html: &str, base: Option<&Url>, duration: Option<f64>) -> String {
    let source = if looks_like_html(html) {
        html.to_string()
    } else {
        plain_text_to_html(html)
    };
    let clean = sanitizer(base).clean(&source).to_string();
    postprocess(&clean, duration).trim().to_string()
}

fn sanitizer(base: Option<&Url>) -> Builder<'static> {
    let mut b = Builder::default();
    b.rm_tags(["area", "map"])
        .add_clean_content_tags([
            "iframe", "object", "embed", "form", "noscript", "template", "svg", "math", "select",
            "textarea", "button", "audio", "video", "canvas", "frameset", "noembed", "noframes",
        ])
        .rm_tag_attributes("img", ["src", "width", "height", "align", "title"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .url_relative(match base {
            Some(u) => UrlRelative::RewriteWithBase(u.clone()),
            None => UrlRelative::Deny,
        });
    b
}

/// Markup if there is anything that looks like a tag (or a comment).
fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

// --- plain text ------------------------------------------------------------------------------

fn plain_text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 64);
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if para.is_empty() {
            return;
        }
        out.push_str("<p>");
        for (i, line) in para.iter().enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            out.push_str(&linkify_plain(line.trim()));
        }
        out.push_str("</p>\n");
        para.clear();
    };
    for line in text.split('\n') {
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Escapes a line of plain text and turns bare http(s) URLs into links.
fn linkify_plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&escape_text(&rest[..start]));
        let tail = &rest[start..];
        let mut end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(tail.len());
        // Trailing punctuation belongs to the sentence; a ")" only if unbalanced.
        while let Some(last) = tail[..end].chars().last() {
            let trim = match last {
                '.' | ',' | ';' | ':' | '!' | '?' | '\'' | ']' | '}' => true,
                ')' => tail[..end].matches('(').count() < tail[..end].matches(')').count(),
                _ => false,
            };
            if !trim {
                break;
            }
            end -= last.len_utf8();
        }
        let url = &tail[..end];
        if url.len() <= "https://".len() {
            out.push_str(&escape_text(url));
        } else {
            let href = url.replace('&', "&amp;").replace('"', "&quot;");
            out.push_str(&format!("<a href=\"{href}\">{}</a>", escape_text(url)));
        }
        rest = &tail[end..];
    }
    out.push_str(&escape_text(rest));
    out
}

fn find_url_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

/// Escapes `<`, `>` and every `&` that does not start a character reference (plain text in
/// feeds is often double-escaped: "&amp;" there means "&").
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' if !starts_reference(&s[i + 1..]) => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

fn starts_reference(s: &str) -> bool {
    let b = &s.as_bytes()[..s.len().min(32)];
    let Some(end) = b.iter().position(|c| *c == b';') else {
        return false;
    };
    match &b[..end] {
        [b'#', b'x' | b'X', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
        [b'#', dec @ ..] => !dec.is_empty() && dec.iter().all(u8::is_ascii_digit),
        [first, rest @ ..] => {
            first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_alphanumeric)
        }
        [] => false,
    }
}

// --- after sanitizing ------------------------------------------------------------------------

enum Token<'a> {
    Text(&'a str),
    Tag(&'a str),
}

/// Splits html5ever's serialization into tags and text. Text never holds a raw `<` (it is
/// escaped), attribute values are double-quoted and never hold a raw `"`, and comments are gone.
fn tokens(html: &str) -> Vec<Token<'_>> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let mut j = i + 1;
            let mut quoted = false;
            while j < b.len() {
                match b[j] {
                    b'"' => quoted = !quoted,
                    b'>' if !quoted => break,
                    _ => {}
                }
                j += 1;
            }
            let end = (j + 1).min(b.len());
            out.push(Token::Tag(&html[i..end]));
            i = end;
        } else {
            let j = html[i..].find('<').map_or(b.len(), |p| i + p);
            out.push(Token::Text(&html[i..j]));
            i = j;
        }
    }
    out
}

fn tag_name(tag: &str) -> (bool, String) {
    let inner = tag.trim_start_matches('<');
    let closing = inner.starts_with('/');
    (closing, element_name(inner))
}

fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "hr",
    "figure",
    "section",
    "article",
    "header",
    "footer",
];

fn postprocess(html: &str, duration: Option<f64>) -> String {
    let toks = tokens(html);
    let has_blocks = toks.iter().any(|t| match t {
        Token::Tag(tag) => BLOCK_TAGS.contains(&tag_name(tag).1.as_str()),
        Token::Text(_) => false,
    });
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut in_link = 0usize;
    for t in toks {
        match t {
            Token::Tag(tag) => {
                let (closing, name) = tag_name(tag);
                match name.as_str() {
                    "a" if closing => {
                        in_link = in_link.saturating_sub(1);
                        out.push_str(tag);
                    }
                    "a" => {
                        in_link += 1;
                        out.push_str(tag);
                    }
                    "img" => {
                        if let Some(alt) = attr_value(tag, "alt") {
                            // Attribute escaping leaves < and > raw; text must not.
                            out.push_str(&alt.replace('<', "&lt;").replace('>', "&gt;"));
                        }
                    }
                    _ => out.push_str(tag),
                }
            }
            Token::Text(text) => {
                let text = if has_blocks {
                    std::borrow::Cow::Borrowed(text)
                } else {
                    std::borrow::Cow::Owned(newlines_to_breaks(text))
                };
                if in_link > 0 {
                    out.push_str(&text);
                } else {
                    linkify_times(&text, duration, &mut out);
                }
            }
        }
    }
    out
}

/// Blank lines become `<br><br>`, single newlines `<br>`.
fn newlines_to_breaks(text: &str) -> String {
    if !text.contains('\n') {
        return text.to_string();
    }
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + 16);
    let mut lines = text.split('\n').peekable();
    let mut pending_breaks = 0;
    let mut first = true;
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        if !first {
            pending_breaks += 1;
        }
        first = false;
        if line.trim().is_empty() && !is_last {
            continue;
        }
        if pending_breaks > 0 {
            out.push_str(if pending_breaks > 1 {
                "<br><br>"
            } else {
                "<br>"
            });
            out.push('\n');
            pending_breaks = 0;
        }
        out.push_str(if is_last { line } else { line.trim_end() });
    }
    out
}

/// Appends `text` with time stamps turned into seek links.
fn linkify_times(text: &str, duration: Option<f64>, out: &mut String) {
    let b = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || boundary_before(b[i - 1])) {
            if let Some((len, secs)) = time_at(&b[i..]) {
                if duration.is_none_or(|d| secs <= d + 0.5) {
                    out.push_str(&text[copied..i]);
                    let shown = &text[i..i + len];
                    let seek = if secs.fract() == 0.0 {
                        format!("{}", secs as u64)
                    } else {
                        format!("{secs:.3}").trim_end_matches('0').to_string()
                    };
                    out.push_str(&format!("<a href=\"#\" data-seek=\"{seek}\">{shown}</a>"));
                    copied = i + len;
                }
                i += len;
                continue;
            }
            // Skip the rest of this number.
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b':') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
}

fn boundary_before(c: u8) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(
            c,
            b':' | b'.' | b',' | b'#' | b'&' | b'/' | b'-' | b'_' | b'+' | b'='
        ))
}

/// A time stamp at the start of `b`: `H:MM:SS`, `HH:MM:SS`, `M:SS`, `MM:SS` (`MMM:SS` too),
/// with an optional `.fraction`. Returns its length and value in seconds.
fn time_at(b: &[u8]) -> Option<(usize, f64)> {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let n = |from: usize, len: usize| -> u64 {
        b[from..from + len]
            .iter()
            .fold(0u64, |acc, c| acc * 10 + u64::from(c - b'0'))
    };
    let d1 = digits(0);
    if d1 == 0 || d1 > 3 || b.get(d1) != Some(&b':') {
        return None;
    }
    let d2 = digits(d1 + 1);
    if d2 != 2 {
        return None;
    }
    let mut len = d1 + 1 + 2;
    let mut secs = n(0, d1) * 60 + n(d1 + 1, 2);
    if n(d1 + 1, 2) >= 60 {
        return None;
    }
    if b.get(len) == Some(&b':') && digits(len + 1) == 2 {
        // Hours form: at most two hour digits, minutes below 60.
        let s = n(len + 1, 2);
        if d1 > 2 || s >= 60 {
            return None;
        }
        secs = n(0, d1) * 3600 + n(d1 + 1, 2) * 60 + s;
        len += 3;
    }
    let mut value = secs as f64;
    if b.get(len) == Some(&b'.') {
        let f = digits(len + 1);
        if f > 0 && f <= 3 {
            value += n(len + 1, f) as f64 / 10f64.powi(f as i32);
            len += 1 + f;
        }
    }
    // Must end here: not "12:34:56:78", "1:23pm", "4:25x", "10:30 am".
    if let Some(&c) = b.get(len) {
        if c.is_ascii_alphanumeric() || c == b':' || c == b'_' {
            return None;
        }
    }
    let after = &b[len..];
    let after = after.strip_prefix(b" ").unwrap_or(after);
    let lower: Vec<u8> = after.iter().take(4).map(u8::to_ascii_lowercase).collect();
    let meridiem = ((lower.starts_with(b"am") || lower.starts_with(b"pm"))
        && lower.get(2).is_none_or(|c| !c.is_ascii_alphabetic()))
        || lower.starts_with(b"a.m")
        || lower.starts_with(b"p.m");
    if meridiem {
        return None;
    }
    Some((len, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(time_at(b"00:04:25"), Some((8, 265.0)));
        assert_eq!(time_at(b"4:25)"), Some((4, 265.0)));
        assert_eq!(time_at(b"1:00:00 "), Some((7, 3600.0)));
        assert_eq!(time_at(b"12:34]"), Some((5, 754.0)));
        assert_eq!(time_at(b"4:61"), None);
        assert_eq!(time_at(b"4:25pm"), None);
        assert_eq!(time_at(b"10:30 am"), None);
        assert_eq!(time_at(b"10:30 a.m."), None);
        assert_eq!(time_at(b"10:30 P.M"), None);
        assert_eq!(time_at(b"4:25 amazing"), Some((4, 265.0)));
        assert_eq!(time_at(b"1:2"), None);
        assert_eq!(time_at(b"1:02:03.5"), Some((9, 3723.5)));
    }

    #[test]
    fn newline_breaks() {
        assert_eq!(newlines_to_breaks("a\nb\n\n\nc"), "a<br>\nb<br><br>\nc");
    }
}
