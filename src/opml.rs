//! OPML subscription lists, as gPodder, AntennaPod and Pocket Casts write and read them:
//! `<outline type="rss" text="…" title="…" xmlUrl="…" htmlUrl="…"/>`, nested or flat.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpmlFeed {
    pub url: String,
    pub title: Option<String>,
    pub html_url: Option<String>,
}

/// Every outline with an `xmlUrl` (any nesting, any case of the attribute name), in order,
/// without duplicates.
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut out: Vec<OpmlFeed> = Vec::new();
    let mut saw_opml = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.local_name();
                if name.as_ref().eq_ignore_ascii_case(b"opml") {
                    saw_opml = true;
                }
                if !name.as_ref().eq_ignore_ascii_case(b"outline") {
                    continue;
                }
                let (mut url, mut title, mut text_attr, mut html) = (None, None, None, None);
                for a in e.attributes().flatten() {
                    let key =
                        String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::default())
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default();
                    if value.is_empty() {
                        continue;
                    }
                    match key.as_str() {
                        "xmlurl" => url = Some(value),
                        "title" => title = Some(value),
                        "text" => text_attr = Some(value),
                        "htmlurl" => html = Some(value),
                        _ => {}
                    }
                }
                if let Some(url) = url {
                    if !out.iter().any(|f| f.url == url) {
                        out.push(OpmlFeed {
                            url,
                            title: title.or(text_attr),
                            html_url: html,
                        });
                    }
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                return Err(Error::parse(
                    "OPML file",
                    format!(
                        "it is not valid XML near byte {}: {e}",
                        reader.buffer_position()
                    ),
                ))
            }
            _ => {}
        }
    }
    if !saw_opml {
        return Err(Error::parse("OPML file", "it has no <opml> element"));
    }
    Ok(out)
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// An OPML 2.0 document listing `feeds`.
pub fn export(feeds: &[OpmlFeed]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>Earshot subscriptions</title>\n  </head>\n  <body>\n",
    );
    for f in feeds {
        let title = esc(f.title.as_deref().unwrap_or(&f.url));
        s.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\"",
            esc(&f.url)
        ));
        if let Some(h) = &f.html_url {
            s.push_str(&format!(" htmlUrl=\"{}\"", esc(h)));
        }
        s.push_str("/>\n");
    }
    s.push_str("  </body>\n</opml>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_and_flat_outlines_from_other_players() {
        // gPodder writes flat outlines; AntennaPod and Pocket Casts nest them in a category.
        let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>gPodder subscriptions</title></head><body>
  <outline text="Flat One" title="Flat One" type="rss" xmlUrl="https://a.example/feed.xml" htmlUrl="https://a.example/"/>
  <outline text="feeds"><outline type="rss" text="Nested &amp; Two" xmlUrl="https://b.example/rss?x=1&amp;y=2"/></outline>
  <outline text="no url here"/>
  <outline type="rss" text="dupe" xmlUrl="https://a.example/feed.xml"/>
</body></opml>"#;
        let feeds = parse(doc).unwrap();
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[0].title.as_deref(), Some("Flat One"));
        assert_eq!(feeds[0].html_url.as_deref(), Some("https://a.example/"));
        assert_eq!(feeds[1].url, "https://b.example/rss?x=1&y=2");
        assert_eq!(feeds[1].title.as_deref(), Some("Nested & Two"));
    }

    #[test]
    fn export_round_trips() {
        let feeds = vec![
            OpmlFeed {
                url: "https://a.example/f?x=1&y=2".into(),
                title: Some("A <&> B".into()),
                html_url: None,
            },
            OpmlFeed {
                url: "https://c.example/".into(),
                title: None,
                html_url: Some("https://c.example/site".into()),
            },
        ];
        let doc = export(&feeds);
        let back = parse(&doc).unwrap();
        assert_eq!(back[0], feeds[0]);
        assert_eq!(back[1].url, feeds[1].url);
        assert_eq!(back[1].html_url, feeds[1].html_url);
    }

    #[test]
    fn not_opml_is_a_clear_error() {
        assert!(parse("<html><body>hi</body></html>")
            .unwrap_err()
            .to_string()
            .contains("no <opml>"));
        assert!(parse("<opml><body><outline")
            .unwrap_err()
            .to_string()
            .contains("OPML file"));
    }
}
