//! HTML transcripts: `<p>` paragraphs, `<cite>` speakers and `<time>` marks (its `datetime` or
//! its text), as the Podcasting 2.0 HTML transcript is written — `<cite>` and `<time>` before
//! the `<p>` or inside it — and `Name:` labels and `HH:MM:SS` marks in the text as in plain
//! text. `<br>` and block elements break paragraphs. Everything else is dropped: scripts,
//! styles, the head, headings, navigation, comments and every tag. The result is plain text
//! with entities decoded — never markup — so nothing of the page can reach the UI as HTML.

use super::plain::{build, RawParagraph};
use super::untimed::{Anchor, UntimedTranscript};
use super::util::{collapse_ws, decode_entities, parse_time_value, push_collapsed};

/// Elements whose content is not transcript text.
const SKIP: &[&str] = &[
    "head",
    "script",
    "style",
    "title",
    "template",
    "noscript",
    "svg",
    "math",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "textarea",
    "iframe",
    "object",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figcaption",
    "audio",
    "video",
];

/// Elements that end a paragraph where they open or close.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "hr",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "section",
    "article",
    "main",
    "body",
    "html",
    "table",
    "tr",
    "td",
    "th",
    "pre",
    "figure",
    "address",
];

pub fn parse_html(html: &str) -> UntimedTranscript {
    let mut r = Reader::default();
    let mut skip: Option<(String, usize)> = None;
    for token in tokens(html) {
        match token {
            Token::Text(t) => {
                if skip.is_none() {
                    r.text(&decode_entities(t));
                }
            }
            Token::Tag {
                name,
                closing,
                self_closing,
                raw,
            } => {
                if let Some((skipping, depth)) = &mut skip {
                    if *skipping == name {
                        if closing {
                            *depth -= 1;
                        } else if !self_closing {
                            *depth += 1;
                        }
                        if *depth == 0 {
                            skip = None;
                        }
                    }
                    continue;
                }
                if SKIP.contains(&name.as_str()) {
                    if !closing && !self_closing {
                        skip = Some((name, 1));
                    }
                    continue;
                }
                r.tag(&name, closing, raw);
            }
        }
    }
    r.flush();
    build(r.done)
}

#[derive(Default)]
struct Reader {
    done: Vec<RawParagraph>,
    cur: RawParagraph,
    /// Inside `<cite>` / `<time>`: their text goes here, not into the paragraph.
    cite: Option<String>,
    time: Option<(Option<f64>, String)>,
    pre: usize,
}

impl Reader {
    fn text(&mut self, t: &str) {
        if let Some(c) = &mut self.cite {
            c.push_str(t);
        } else if let Some((_, s)) = &mut self.time {
            s.push_str(t);
        } else if self.pre > 0 && t.contains('\n') {
            // Preformatted text: each line is a paragraph of its own.
            let mut lines = t.split('\n').peekable();
            while let Some(line) = lines.next() {
                push_collapsed(&mut self.cur.text, line);
                if lines.peek().is_some() {
                    self.flush();
                }
            }
        } else {
            push_collapsed(&mut self.cur.text, t);
        }
    }

    fn tag(&mut self, name: &str, closing: bool, raw: &str) {
        match (name, closing) {
            ("cite", false) => {
                // A new speaker ends the paragraph before.
                self.flush();
                self.cite = Some(String::new());
            }
            ("cite", true) => {
                if let Some(c) = self.cite.take() {
                    let name = collapse_ws(&c);
                    let name = name.trim_end_matches(':').trim();
                    if !name.is_empty() {
                        self.flush();
                        self.cur.speaker = Some(name.to_string());
                    }
                }
            }
            ("time", false) => {
                let at = attr(raw, "datetime").and_then(|d| parse_time_value(&decode_entities(d)));
                self.time = Some((at, String::new()));
            }
            ("time", true) => {
                if let Some((at, text)) = self.time.take() {
                    match at.or_else(|| parse_time_value(text.trim())) {
                        Some(seconds) => {
                            let offset = self.cur.text.chars().count();
                            self.cur.anchors.push(Anchor { offset, seconds });
                        }
                        None => push_collapsed(&mut self.cur.text, &text),
                    }
                }
            }
            ("pre", false) => {
                self.flush();
                self.pre += 1;
            }
            ("pre", true) => {
                self.flush();
                self.pre = self.pre.saturating_sub(1);
            }
            _ if BLOCK.contains(&name) => self.flush(),
            _ => {}
        }
    }

    /// Ends the paragraph if it has text; a speaker or time without text yet waits for it.
    fn flush(&mut self) {
        let all = self.cur.text.trim_end();
        // `<cite>Ana</cite>: Hello`
        let text = match &self.cur.speaker {
            Some(_) => all.strip_prefix(':').unwrap_or(all).trim_start(),
            None => all,
        };
        if text.is_empty() {
            self.cur.text.clear();
            return;
        }
        let cut = all.chars().count() - text.chars().count();
        let text = text.to_string();
        let mut p = std::mem::take(&mut self.cur);
        p.text = text;
        for a in &mut p.anchors {
            a.offset = a.offset.saturating_sub(cut);
        }
        self.done.push(p);
    }
}

enum Token<'a> {
    Text(&'a str),
    Tag {
        name: String,
        closing: bool,
        self_closing: bool,
        raw: &'a str,
    },
}

/// Splits HTML into text and tags, leniently: comments, doctype, CDATA and processing
/// instructions are dropped, a `<` that opens no tag is text, quoted `>` stay inside the tag,
/// and the content of `script` / `style` is passed over whole.
fn tokens(html: &str) -> Vec<Token<'_>> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut text_from = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        let (end, tag) = if html[i..].starts_with("<!--") {
            (
                html[i + 4..].find("-->").map_or(b.len(), |j| i + 4 + j + 3),
                None,
            )
        } else if next == b'!' || next == b'?' {
            (html[i..].find('>').map_or(b.len(), |j| i + j + 1), None)
        } else if next.is_ascii_alphabetic() || next == b'/' {
            let mut j = i + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let end = (j + 1).min(b.len());
            (end, Some(&html[i..end]))
        } else {
            i += 1;
            continue;
        };
        if text_from < i {
            out.push(Token::Text(&html[text_from..i]));
        }
        i = end;
        text_from = end;
        let Some(raw) = tag else { continue };
        let inner = raw.trim_start_matches('<');
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        let self_closing = raw.ends_with("/>");
        // Raw-text elements: jump to their end tag.
        if !closing && !self_closing && matches!(name.as_str(), "script" | "style") {
            let mut stop = b.len();
            let mut from = i;
            while let Some(j) = html[from..].find("</") {
                let at = from + j;
                let after = &b[at + 2..];
                if after.len() >= name.len()
                    && after[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                {
                    stop = at;
                    break;
                }
                from = at + 2;
            }
            let after = html[stop..].find('>').map_or(b.len(), |j| stop + j + 1);
            i = after;
            text_from = after;
            continue;
        }
        out.push(Token::Tag {
            name,
            closing,
            self_closing,
            raw,
        });
    }
    if text_from < b.len() {
        out.push(Token::Text(&html[text_from..]));
    }
    out
}

/// An attribute's value: quoted with `"` or `'`, or bare.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(name) {
        let at = from + p;
        from = at + name.len();
        let before_ok = lower[..at].ends_with(|c: char| c.is_whitespace());
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_at = tag.len() - rest.len() + 1;
        let v = tag[value_at..].trim_start();
        return Some(match v.chars().next()? {
            q @ ('"' | '\'') => {
                let v = &v[1..];
                &v[..v.find(q).unwrap_or(v.len())]
            }
            _ => {
                let end = v
                    .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .unwrap_or(v.len());
                &v[..end]
            }
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podcasting20_layout() {
        let html = "<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body>\n<h1>Episode 4</h1>\n<cite>Ada Lovelace:</cite>\n<time>0:00</time>\n<p>Hello &amp; welcome to the show.</p>\n<cite>Ben:</cite>\n<time datetime=\"PT7.5S\">0:07</time>\n<p>Thanks, <b>Ada</b>.<script>alert('<p>x</p>')</script></p>\n<p>More from me.</p></body></html>";
        let t = parse_html(html);
        let p = &t.paragraphs;
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].speaker.as_deref(), Some("Ada Lovelace"));
        assert_eq!(p[0].text, "Hello & welcome to the show.");
        assert_eq!(
            p[0].anchors,
            vec![Anchor {
                offset: 0,
                seconds: 0.0
            }]
        );
        assert_eq!(p[1].text, "Thanks, Ada.");
        assert_eq!(p[1].anchors[0].seconds, 7.5);
        assert_eq!(
            (p[2].speaker.as_deref(), p[2].labelled),
            (Some("Ben"), false)
        );
    }

    #[test]
    fn inline_cites_times_and_labels() {
        let html = "<div><p><cite>Ana</cite>: Hi <time>00:00:05</time>there.<br><br>Omar: <i>Hello</i>! [crosstalk 00:00:09]</p><p><strong>Ana:</strong> 1 &lt; 2 &#x2014; true</p><!-- <p>hidden</p> --><nav><p>Home</p></nav></div>";
        let t = parse_html(html);
        let p = &t.paragraphs;
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.speaker.as_deref().unwrap_or(""), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Ana", "Hi there."),
                ("Omar", "Hello! [crosstalk 00:00:09]"),
                ("Ana", "1 < 2 — true")
            ]
        );
        assert_eq!(
            p[0].anchors,
            vec![Anchor {
                offset: 3,
                seconds: 5.0
            }]
        );
        assert_eq!(p[1].anchors[0].seconds, 9.0);
    }

    #[test]
    fn attributes() {
        assert_eq!(attr("<time datetime='PT1M'>", "datetime"), Some("PT1M"));
        assert_eq!(
            attr("<time DATETIME=00:01:00>", "datetime"),
            Some("00:01:00")
        );
        assert_eq!(attr("<time data-datetime=\"x\">", "datetime"), None);
    }
}
