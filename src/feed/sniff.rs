//! What kind of document is this? And, for web pages, which feeds do they link?

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Rss,
    Atom,
    Html,
    /// Some other XML root element (its name).
    OtherXml(String),
    /// Not markup at all (or nothing but prolog).
    NotXml(&'static str),
}

/// Looks at the first element, skipping whitespace, processing instructions, comments and a
/// DOCTYPE (`<!DOCTYPE html` means a web page).
pub(crate) fn sniff(text: &str) -> Kind {
    let mut rest = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    loop {
        if rest.is_empty() {
            return Kind::NotXml("the document is empty");
        }
        if !rest.starts_with('<') {
            return if looks_like_html(rest) {
                Kind::Html
            } else {
                Kind::NotXml("it does not start with an element")
            };
        }
        if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(i) => rest = &rest[i + 2..],
                None => return Kind::NotXml("an unterminated processing instruction"),
            }
        } else if rest.starts_with("<!--") {
            match rest[4..].find("-->") {
                Some(i) => rest = &rest[4 + i + 3..],
                None => return Kind::NotXml("an unterminated comment"),
            }
        } else if starts_with_ci(rest, "<!doctype") {
            let after = rest[9..].trim_start();
            if starts_with_ci(after, "html") {
                return Kind::Html;
            }
            match doctype_end(rest) {
                Some(i) => rest = &rest[i..],
                None => return Kind::NotXml("an unterminated DOCTYPE"),
            }
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .take(64)
                .collect();
            let local = name.rsplit(':').next().unwrap_or(&name);
            return match name.as_str() {
                "rss" | "rdf:RDF" => Kind::Rss,
                "feed" => Kind::Atom,
                _ if local == "RDF" => Kind::Rss,
                _ if local.eq_ignore_ascii_case("html")
                    || local.eq_ignore_ascii_case("head")
                    || local.eq_ignore_ascii_case("body") =>
                {
                    Kind::Html
                }
                "" => Kind::NotXml("it does not start with an element"),
                _ => Kind::OtherXml(name),
            };
        }
        rest = rest.trim_start();
    }
    // (unreachable: the loop returns)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn looks_like_html(s: &str) -> bool {
    let head = &s.as_bytes()[..s.len().min(4096)];
    head.windows(5).any(|w| w.eq_ignore_ascii_case(b"<html"))
}

/// Index just past the `>` ending a DOCTYPE that starts at 0, skipping an internal subset.
fn doctype_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut in_subset = false;
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' if !in_subset => quote = Some(b),
                b'[' => in_subset = true,
                b']' => in_subset = false,
                b'>' if !in_subset => return Some(i + 1),
                _ => {}
            },
        }
    }
    None
}

/// Finds `<link rel="alternate" type="application/rss+xml|…" href>` in an HTML page, made
/// absolute against `base` (or the page's own `<base href>`), in document order, without
/// duplicates.
pub fn discover_feed_links(html: &str, base: &Url) -> Vec<String> {
    let mut base = base.clone();
    let mut out: Vec<String> = Vec::new();
    for tag in tags(html) {
        let name = tag.name.to_ascii_lowercase();
        if name == "base" {
            if let Some(href) = tag.attr("href") {
                if let Ok(u) = base.join(href.trim()) {
                    base = u;
                }
            }
            continue;
        }
        if name != "link" {
            continue;
        }
        let rel_ok = tag.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let type_ok = tag.attr("type").is_some_and(|t| {
            let t = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(
                t.as_str(),
                "application/rss+xml" | "application/atom+xml" | "application/x-rss+xml"
            )
        });
        if !(rel_ok && type_ok) {
            continue;
        }
        let Some(href) = tag.attr("href") else {
            continue;
        };
        let href = href.trim();
        if href.is_empty() {
            continue;
        }
        if let Ok(u) = base.join(href) {
            if matches!(u.scheme(), "http" | "https") {
                let s = u.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

struct Tag<'a> {
    name: &'a str,
    attrs: Vec<(&'a str, String)>,
}

impl Tag<'_> {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A forgiving scan of the start tags of an HTML document (comments, and the contents of
/// `script`, `style`, `textarea` and `template`, skipped). Only `link` and `base` tags have
/// their attributes parsed.
fn tags(html: &str) -> Vec<Tag<'_>> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off;
        let rest = &html[i..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i = match comment.find("-->") {
                Some(e) => i + 4 + e + 3,
                None => break,
            };
            continue;
        }
        let name_len = rest[1..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b':')
            .count();
        if name_len == 0 || !bytes[i + 1].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let name = &rest[1..1 + name_len];
        let (attrs, end) = parse_attrs(&html[i + 1 + name_len..]);
        i += 1 + name_len + end;
        let lname = name.to_ascii_lowercase();
        if matches!(lname.as_str(), "script" | "style" | "textarea" | "template") {
            let close = format!("</{lname}");
            let lower_rest_start = i;
            match find_ci(&html[lower_rest_start..], &close) {
                Some(e) => i = lower_rest_start + e,
                None => break,
            }
            continue;
        }
        if lname == "link" || lname == "base" {
            out.push(Tag { name, attrs });
        }
    }
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// Parses attributes up to the closing `>`; returns them and the index just past `>`.
fn parse_attrs(s: &str) -> (Vec<(&str, String)>, usize) {
    let b = s.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, i);
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = &s[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = b[vs..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vs + p);
                value = &s[vs..ve];
                i = (ve + 1).min(b.len());
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = &s[vs..i];
            }
            attrs.push((key, super::text::decode_entities(value).into_owned()));
        } else if !key.is_empty() {
            attrs.push((key, String::new()));
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_roots() {
        assert_eq!(sniff("<?xml version='1.0'?>\n<!-- hi --><rss/>"), Kind::Rss);
        assert_eq!(sniff("<!DOCTYPE rss [<!ENTITY a 'b'>]><rss/>"), Kind::Rss);
        assert_eq!(
            sniff("<feed xmlns='http://www.w3.org/2005/Atom'/>"),
            Kind::Atom
        );
        assert_eq!(sniff("<rdf:RDF/>"), Kind::Rss);
        assert_eq!(sniff("<!doctype html><p>"), Kind::Html);
        assert_eq!(sniff("<HTML><body>"), Kind::Html);
        assert_eq!(
            sniff("<opml version='2.0'/>"),
            Kind::OtherXml("opml".into())
        );
        assert!(matches!(sniff(""), Kind::NotXml(_)));
        assert!(matches!(sniff("{\"json\": 1}"), Kind::NotXml(_)));
        assert!(matches!(sniff("<"), Kind::NotXml(_)));
    }

    #[test]
    fn finds_links_with_base_tag_and_entities() {
        let base = Url::parse("https://example.org/show/").unwrap();
        let html = r#"<html><head><!-- <link rel="alternate" type="application/rss+xml" href="/commented"> -->
            <script>var s = '<link rel="alternate" type="application/rss+xml" href="/script">';</script>
            <link rel="stylesheet" href="/a.css">
            <LINK REL="Alternate" TYPE="application/rss+xml" HREF="feed.xml?a=1&amp;b=2">
            <link type='application/atom+xml' rel='alternate home' href=//cdn.example.org/atom>
            <link rel="alternate" type="text/html" href="/other">
            </head></html>"#;
        assert_eq!(
            discover_feed_links(html, &base),
            vec![
                "https://example.org/show/feed.xml?a=1&b=2".to_string(),
                "https://cdn.example.org/atom".to_string()
            ]
        );
    }
}
