//! Synthetic podcast feeds for benchmarks and tests: realistic size and shape (iTunes and
//! Podcasting 2.0 tags, HTML show notes), deterministic content.

use std::fmt::Write;

/// Options for [`rss`].
#[derive(Debug, Clone)]
pub struct FeedSpec<'a> {
    pub title: &'a str,
    /// Items numbered `first..first + count`, newest (highest number) first.
    pub first: usize,
    pub count: usize,
    /// Base URL for enclosures and links.
    pub base: &'a str,
    /// Write `<guid>` elements.
    pub guids: bool,
}

impl Default for FeedSpec<'_> {
    fn default() -> Self {
        Self {
            title: "Generated Show",
            first: 1,
            count: 10,
            base: "https://example.org",
            guids: true,
        }
    }
}

/// An RSS 2.0 podcast feed; about 2 KB per item.
pub fn rss(spec: &FeedSpec) -> String {
    let mut s = String::with_capacity(512 + spec.count * 2100);
    let _ = write!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>{title}</title>
<link>{base}/</link>
<description>A generated show used to measure Earshot.</description>
<language>en-us</language>
<itunes:author>Earshot Bench</itunes:author>
<itunes:image href="{base}/art.jpg"/>
"#,
        title = spec.title,
        base = spec.base
    );
    for n in (spec.first..spec.first + spec.count).rev() {
        let day = n as i64;
        // 2020-01-01 plus n days, as an RFC 2822 date.
        let secs = 1_577_836_800 + day * 86_400;
        let date = chrono::DateTime::from_timestamp(secs, 0)
            .expect("in range")
            .to_rfc2822();
        let guid = if spec.guids {
            format!("<guid isPermaLink=\"false\">gen-{n}</guid>\n")
        } else {
            String::new()
        };
        let _ = write!(
            s,
            r#"<item>
<title>Episode {n}: on measuring things carefully</title>
{guid}<link>{base}/episodes/{n}</link>
<pubDate>{date}</pubDate>
<enclosure url="{base}/audio/{n}.mp3" type="audio/mpeg" length="{len}"/>
<itunes:duration>{h}:{m:02}:{s:02}</itunes:duration>
<podcast:transcript url="{base}/transcripts/{n}.vtt" type="text/vtt" language="en"/>
<podcast:chapters url="{base}/chapters/{n}.json" type="application/json+chapters"/>
<description>Episode {n} of a generated show.</description>
<content:encoded><![CDATA[<p>In episode {n} we talk about benchmarks, fixtures and why numbers need a baseline.</p>
<ul><li>00:00:00 Introduction</li><li>00:04:25 The first topic, explained at some length so that the show notes have the size real ones do</li><li>00:19:30 A second topic with <a href="{base}/link/{n}">a link</a></li><li>00:41:10 Listener questions</li><li>00:55:00 Wrap-up and what comes next week on the show</li></ul>
<p>Thanks for listening. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.</p>
<p>Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam.</p>]]></content:encoded>
</item>
"#,
            base = spec.base,
            len = 20_000_000 + n,
            h = 1,
            m = n % 60,
            s = (n * 7) % 60,
        );
    }
    s.push_str("</channel>\n</rss>\n");
    s
}
