//! The feed parser on fixture feeds (tests/fixtures/feeds/), as a listener would notice it:
//! titles, episode counts, durations, dates, absolute URLs, error messages.

mod common;

use std::time::{Duration, Instant};

use common::rng::{Draw, Rng};
use earshot::feed::{
    discover_feed_links, parse_date, parse_duration, parse_feed, ChaptersRef, Enclosure, FeedError,
    ParsedFeed, Person, TranscriptRef,
};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    common::read_fixture("feeds", name)
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn parse(name: &str, base: &str) -> ParsedFeed {
    parse_feed(&fixture(name), Some(&url(base))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const MAR_5_2024_10H: i64 = 1_709_632_800;

#[test]
fn full_podcasting20_feed() {
    let f = parse("p20_full.xml", "https://feeds.lantern.example.org/main.xml");
    assert_eq!(f.title, "The Lantern Hour");
    assert_eq!(f.link.as_deref(), Some("https://lantern.example.org/"));
    assert!(f
        .description
        .as_deref()
        .unwrap()
        .starts_with("<p>Two friends read"));
    assert_eq!(f.author.as_deref(), Some("Mara Quill & Tobias Fenn"));
    assert_eq!(
        f.artwork_url.as_deref(),
        Some("https://lantern.example.org/art/cover-3000.jpg")
    );
    assert_eq!(f.language.as_deref(), Some("en-GB"));
    assert_eq!(
        f.new_feed_url.as_deref(),
        Some("https://feeds.lantern.example.org/v2.xml")
    );
    assert_eq!(f.episodes.len(), 3);
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);

    let titles: Vec<&str> = f.episodes.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Episode 3: Fog & the Keeper\u{2019}s Cat",
            "Episode 2: The Lamp Room",
            "Episode 1: First Light"
        ]
    );

    let e3 = &f.episodes[0];
    assert_eq!(e3.guid, "lantern-0003");
    assert!(!e3.guid_is_fallback);
    assert_eq!(
        e3.link.as_deref(),
        Some("https://lantern.example.org/episodes/3")
    );
    assert_eq!(e3.published, Some(MAR_5_2024_10H));
    assert_eq!(e3.duration_secs, Some(3723.0));
    assert_eq!(
        e3.enclosure,
        Some(Enclosure {
            url: "https://media.lantern.example.org/ep3.mp3".into(),
            mime: Some("audio/mpeg".into()),
            length: Some(59_580_000),
        })
    );
    let notes = e3.show_notes_html.as_deref().unwrap();
    assert!(
        notes.contains("00:04:25 The log of 1911"),
        "content:encoded wins: {notes}"
    );
    assert!(
        notes.contains("<script>"),
        "show notes stay raw (sanitized at display)"
    );
    assert_eq!(
        e3.artwork_url.as_deref(),
        Some("https://lantern.example.org/art/ep3.jpg")
    );
    assert_eq!(
        e3.chapters,
        Some(ChaptersRef {
            url: "https://lantern.example.org/ep3/chapters.json".into(),
            mime: Some("application/json+chapters".into()),
        })
    );
    assert_eq!(
        e3.transcripts,
        vec![
            TranscriptRef {
                url: "https://lantern.example.org/ep3/transcript.vtt".into(),
                mime: Some("text/vtt".into()),
                language: Some("en".into()),
                rel: Some("captions".into()),
            },
            TranscriptRef {
                url: "https://lantern.example.org/ep3/transcript-es.srt".into(),
                mime: Some("application/x-subrip".into()),
                language: Some("es".into()),
                rel: None,
            },
            TranscriptRef {
                url: "https://lantern.example.org/ep3/transcript.json".into(),
                mime: Some("application/json".into()),
                language: Some("en".into()),
                rel: None,
            },
        ]
    );
    assert_eq!(
        e3.persons,
        vec![
            Person {
                name: "Mara Quill".into(),
                role: Some("host".into()),
                group: None,
                img: Some("https://lantern.example.org/img/mara.jpg".into()),
                href: Some("https://lantern.example.org/mara".into()),
            },
            Person {
                name: "Ines Harrow".into(),
                role: Some("guest".into()),
                group: Some("cast".into()),
                img: Some("https://lantern.example.org/img/ines.jpg".into()),
                href: None,
            },
        ]
    );
    assert_eq!((e3.season, e3.number), (Some(2), Some(3)));

    let e2 = &f.episodes[1];
    assert_eq!(e2.guid, "https://lantern.example.org/episodes/2");
    assert_eq!(
        e2.link.as_deref(),
        Some("https://lantern.example.org/episodes/2"),
        "permalink guid"
    );
    assert_eq!(e2.published, Some(1_709_559_000)); // 08:30 -0500
    assert_eq!(e2.duration_secs, Some(2730.0));
    assert_eq!(
        e2.enclosure.as_ref().unwrap().length,
        None,
        "length 0 means unknown"
    );
    assert_eq!(
        e2.show_notes_html.as_deref(),
        Some("Plain description for episode two.")
    );
    assert_eq!(e2.artwork_url, None);
    // No persons of its own: the channel's.
    let names: Vec<&str> = e2.persons.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Mara Quill", "Tobias Fenn"]);
    assert!(e2.transcripts.is_empty() && e2.chapters.is_none());

    let e1 = &f.episodes[2];
    assert_eq!(e1.published, Some(1_708_959_600)); // 26 Feb 24 07:00 PST
    assert_eq!(e1.duration_secs, Some(3600.0));
    assert_eq!(
        e1.show_notes_html.as_deref(),
        Some("Only an iTunes summary here.")
    );
}

#[test]
fn atom_podcast_feed() {
    let f = parse(
        "atom_podcast.xml",
        "https://tidepool.example.net/podcast/atom.xml",
    );
    assert_eq!(f.title, "Tide Pool Radio");
    assert_eq!(f.link.as_deref(), Some("https://tidepool.example.net/"));
    assert_eq!(
        f.description.as_deref(),
        Some("Small creatures, big questions.")
    );
    assert_eq!(f.author.as_deref(), Some("Oona Marsh"));
    assert_eq!(
        f.artwork_url.as_deref(),
        Some("https://tidepool.example.net/art/square.jpg")
    );
    assert_eq!(f.language.as_deref(), Some("fr"));
    assert_eq!(f.episodes.len(), 2);

    let e = &f.episodes[0];
    assert_eq!(e.title, "Anemones & Friends");
    assert_eq!(e.guid, "tag:tidepool.example.net,2024:ep-2");
    assert_eq!(e.published, Some(1_712_041_200));
    assert_eq!(
        e.link.as_deref(),
        Some("https://tidepool.example.net/podcast/episodes/2.html")
    );
    // The image enclosure is passed over for the audio one; xml:base resolves it.
    assert_eq!(
        e.enclosure,
        Some(Enclosure {
            url: "https://tidepool.example.net/podcast/audio/ep2.ogg".into(),
            mime: Some("audio/ogg".into()),
            length: Some(2_400_000),
        })
    );
    assert_eq!(
        e.show_notes_html.as_deref(),
        Some("<p>Full notes. Jump to 10:15 for the crab.</p>")
    );
    assert_eq!(e.duration_secs, Some(1540.0));
    assert_eq!(e.number, Some(2));
    assert_eq!(e.transcripts.len(), 1);
    assert_eq!(
        e.transcripts[0].url,
        "https://tidepool.example.net/podcast/transcripts/ep2.vtt"
    );
    assert_eq!(e.transcripts[0].language.as_deref(), Some("fr"));

    let e = &f.episodes[1];
    assert_eq!(e.title, "Barnacles");
    assert_eq!(
        e.published,
        Some(1_710_921_600),
        "updated stands in for published"
    );
    assert_eq!(
        e.link.as_deref(),
        Some("https://tidepool.example.net/podcast/episodes/1.html")
    );
    assert_eq!(
        e.enclosure.as_ref().unwrap().url,
        "https://cdn.tidepool.example.net/ep1.mp3"
    );
    assert_eq!(
        e.show_notes_html.as_deref(),
        Some("Only a summary for the barnacles.")
    );
}

#[test]
fn atom_with_odd_dates_and_text_types_still_parses() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/plain">Odd Atom</title><id>x</id>
        <updated>Tue, 05 Mar 2024 10:00:00 GMT</updated>
        <entry><title type="text/html">One &amp;amp; only</title><id>o1</id><published>Tue, 05 Mar 2024 10:00:00 GMT</published>
        <updated>not a date</updated>
        <link rel="enclosure" href="https://odd.example.com/1.mp3" type="audio/mpeg"/></entry></feed>"#;
    let f = parse_feed(xml.as_bytes(), None).unwrap();
    assert_eq!(f.title, "Odd Atom");
    assert_eq!(f.episodes[0].title, "One & only");
    assert_eq!(f.episodes[0].published, Some(MAR_5_2024_10H));
}

#[test]
fn minimal_rss() {
    let f = parse_feed(&fixture("minimal.xml"), None).unwrap();
    assert_eq!(f.title, "Tiny Show");
    assert_eq!(f.link, None);
    assert_eq!(f.description, None);
    assert_eq!(f.episodes.len(), 1);
    let e = &f.episodes[0];
    assert_eq!(e.title, "Hello");
    assert_eq!(e.guid, "http://tiny.example.com/hello.mp3");
    assert!(e.guid_is_fallback);
    assert_eq!(e.published, None);
    assert_eq!(e.duration_secs, None);
    assert_eq!(
        f.warnings,
        ["1 item without GUID: matched by enclosure URL"]
    );
}

#[test]
fn html_page_is_reported_with_its_feed_links() {
    let err = parse_feed(
        &fixture("html_page.html"),
        Some(&url("https://harbour.example.com/about")),
    )
    .unwrap_err();
    assert_eq!(
        err,
        FeedError::HtmlPage {
            feed_links: vec![
                "https://harbour.example.com/feed/mp3.xml".into(),
                "https://harbour.example.com/feed/atom".into()
            ]
        }
    );
    assert_eq!(err.to_string(), "it is a web page, not a feed");
    // Without a base only the absolute link survives.
    let err = parse_feed(&fixture("html_page.html"), None).unwrap_err();
    assert_eq!(
        err,
        FeedError::HtmlPage {
            feed_links: vec!["https://harbour.example.com/feed/atom".into()]
        }
    );
}

#[test]
fn discovers_feed_links_in_document_order() {
    let html = String::from_utf8(fixture("html_page.html")).unwrap();
    let links = discover_feed_links(&html, &url("https://harbour.example.com/shows/lights"));
    assert_eq!(
        links,
        [
            "https://harbour.example.com/feed/mp3.xml",
            "https://harbour.example.com/feed/atom"
        ]
    );
    let x = r#"<link rel="alternate" type="application/x-rss+xml" href="x.rss"><link rel=alternate type=application/rss+xml href=/y>"#;
    assert_eq!(
        discover_feed_links(x, &url("https://e.example/a/b")),
        ["https://e.example/a/x.rss", "https://e.example/y"]
    );
}

#[test]
fn malformed_xml_is_reported_with_a_position() {
    let err = parse_feed(&fixture("malformed.xml"), None).unwrap_err();
    let FeedError::Malformed(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("line 7"), "{msg}");
    assert!(
        err.to_string().starts_with("it is not valid XML: "),
        "{err}"
    );
}

#[test]
fn truncated_and_non_xml_documents() {
    let full = fixture("p20_full.xml");
    let err = parse_feed(&full[..full.len() / 2], None).unwrap_err();
    assert!(
        matches!(&err, FeedError::Malformed(m) if m.contains("truncated")),
        "{err:?}"
    );
    for junk in [
        &b""[..],
        b"   ",
        b"{\"version\": \"https://jsonfeed.org/version/1\"}",
        b"\x00\x01\x02",
    ] {
        assert!(
            matches!(parse_feed(junk, None), Err(FeedError::Malformed(_))),
            "{junk:?}"
        );
    }
}

#[test]
fn other_xml_is_not_a_feed() {
    let err = parse_feed(&fixture("opml.xml"), None).unwrap_err();
    assert_eq!(err, FeedError::NotAFeed("opml".into()));
    assert_eq!(
        err.to_string(),
        "it is XML but not an RSS or Atom feed (root element <opml>)"
    );
}

#[test]
fn a_feed_without_title_or_episodes_is_empty() {
    let err = parse_feed(&fixture("empty.xml"), None).unwrap_err();
    assert_eq!(err, FeedError::Empty);
    assert_eq!(err.to_string(), "it has no title and no episodes");
}

#[test]
fn rss_without_a_channel_is_empty() {
    let err = parse_feed(br#"<?xml version="1.0"?><rss version="2.0"></rss>"#, None).unwrap_err();
    assert_eq!(err, FeedError::Empty);
}

#[test]
fn untitled_feed_with_episodes_gets_a_title() {
    let xml = br#"<rss><channel><item><title>A</title><guid>a</guid></item></channel></rss>"#;
    let f = parse_feed(xml, Some(&url("https://www.untitled.example.com/feed"))).unwrap();
    assert_eq!(f.title, "untitled.example.com");
}

#[test]
fn billion_laughs_stays_small_and_fast() {
    let bytes = fixture("billion_laughs.xml");
    assert!(bytes.len() < 1100);
    let start = Instant::now();
    let result = parse_feed(&bytes, None);
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    // Parses, with the entity left unexpanded (or fails cleanly): never a gigabyte of "lol".
    match result {
        Ok(f) => {
            assert!(f.title.len() < 100, "{}", f.title.len());
            let e = &f.episodes[0];
            assert!(e.title.len() < 100);
            assert!(e.show_notes_html.as_deref().unwrap_or("").len() < 100);
        }
        Err(e) => assert!(matches!(e, FeedError::Malformed(_)), "{e:?}"),
    }
}

#[test]
fn external_entities_are_never_resolved() {
    let f = parse_feed(&fixture("external_entity.xml"), None).unwrap();
    assert!(!f.title.contains("root:"), "{}", f.title);
    assert!(f.title.starts_with("Curious"));
    assert_eq!(f.episodes.len(), 1);
}

// --- encodings -------------------------------------------------------------------------------

fn assert_cafe(name: &str) -> ParsedFeed {
    let f = parse_feed(&fixture(name), None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(f.title, "Café Crème — “Entés”", "{name}");
    assert_eq!(f.episodes[0].title, "Épisode un", "{name}");
    f
}

#[test]
fn encoding_latin1_declared() {
    assert!(assert_cafe("latin1_declared.xml").warnings.is_empty());
}

#[test]
fn encoding_latin1_declared_but_really_utf8() {
    let f = assert_cafe("latin1_declared_really_utf8.xml");
    assert!(
        f.warnings.iter().any(|w| w.contains("is UTF-8")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn encoding_utf8_declared_but_really_windows_1252() {
    let f = assert_cafe("utf8_declared_really_1252.xml");
    assert!(
        f.warnings.iter().any(|w| w.contains("windows-1252")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn encoding_no_declaration_windows_1252() {
    assert_cafe("no_declaration_1252.xml");
}

#[test]
fn encoding_utf16_with_bom() {
    assert_cafe("utf16le_bom.xml");
}

#[test]
fn encoding_bom_beats_declaration() {
    assert_cafe("utf8_bom_declared_1252.xml");
}

// --- items -----------------------------------------------------------------------------------

#[test]
fn missing_and_duplicate_guids() {
    let f = parse("guids.xml", "https://gt.example.com/feed.xml");
    let got: Vec<(&str, &str, bool)> = f
        .episodes
        .iter()
        .map(|e| (e.title.as_str(), e.guid.as_str(), e.guid_is_fallback))
        .collect();
    let neither = &f.episodes[3].guid;
    assert!(
        neither.starts_with("title:") && neither.len() == "title:".len() + 16,
        "{neither}"
    );
    assert_eq!(
        got,
        [
            ("Has a guid", "g-1", false),
            ("No guid, enclosure", "https://gt.example.com/2.mp3", true),
            (
                "Empty guid, enclosure",
                "https://gt.example.com/3.mp3",
                true
            ),
            ("Neither guid nor enclosure", neither.as_str(), true),
        ]
    );
    // Stable: the same feed gives the same fallback.
    let again = parse("guids.xml", "https://gt.example.com/feed.xml");
    assert_eq!(&again.episodes[3].guid, neither);
    assert_eq!(
        f.warnings,
        [
            "3 items without GUID: matched by enclosure URL",
            "1 item without GUID or enclosure: matched by title and date",
            "2 items with a duplicate GUID skipped (the first kept)",
            "1 item without an enclosure",
        ]
    );
}

#[test]
fn non_audio_enclosures_are_dropped_but_episodes_kept() {
    let f = parse("non_audio.xml", "https://mm.example.com/feed.xml");
    assert_eq!(f.episodes.len(), 8);
    let has_audio: Vec<(&str, bool)> = f
        .episodes
        .iter()
        .map(|e| (e.title.as_str(), e.enclosure.is_some()))
        .collect();
    assert_eq!(
        has_audio,
        [
            ("Cover only", false),
            ("A web page", false),
            ("PDF, no type", false),
            ("Video", true),
            ("Audio, no type", true),
            ("Audio, generic type", true),
            ("Bad URL", false),
            ("Text post", false),
        ]
    );
    assert_eq!(
        f.warnings,
        [
            "3 items with a non-audio enclosure: kept without audio",
            "1 item with an unusable enclosure URL: kept without audio",
            "1 item without an enclosure",
        ]
    );
}

#[test]
fn relative_urls_are_resolved_against_the_feed_url() {
    let f = parse(
        "relative_urls.xml",
        "https://relative.example.org/podcast/feed.xml",
    );
    assert_eq!(f.link.as_deref(), Some("https://relative.example.org/"));
    assert_eq!(
        f.artwork_url.as_deref(),
        Some("https://relative.example.org/art/cover.jpg")
    );
    let e = &f.episodes[0];
    assert_eq!(
        e.link.as_deref(),
        Some("https://relative.example.org/podcast/episodes/one.html")
    );
    assert_eq!(
        e.enclosure.as_ref().unwrap().url,
        "https://relative.example.org/podcast/media/one.mp3"
    );
    assert_eq!(
        e.artwork_url.as_deref(),
        Some("https://relative.example.org/art/one.jpg")
    );
    assert_eq!(
        e.chapters.as_ref().unwrap().url,
        "https://relative.example.org/podcast/one/chapters.json"
    );
    assert_eq!(
        e.transcripts[0].url,
        "https://cdn.relative.example.org/one.vtt"
    );
    assert_eq!(
        e.persons[0].img.as_deref(),
        Some("https://relative.example.org/podcast/people/ada.png")
    );

    // Without a base, relative URLs cannot be made absolute and are dropped.
    let f = parse_feed(&fixture("relative_urls.xml"), None).unwrap();
    let e = &f.episodes[0];
    assert_eq!(
        (f.link.as_deref(), e.link.as_deref(), e.enclosure.as_ref()),
        (None, None, None)
    );
    assert_eq!(
        e.transcripts[0].url,
        "https://cdn.relative.example.org/one.vtt"
    );
}

#[test]
fn podcasting20_and_itunes_under_other_prefixes() {
    let f = parse_feed(&fixture("custom_prefix.xml"), None).unwrap();
    assert_eq!(f.author.as_deref(), Some("Pell Ranger"));
    assert_eq!(
        f.artwork_url.as_deref(),
        Some("https://odd.example.org/cover.jpg")
    );
    let e = &f.episodes[0];
    assert_eq!(e.duration_secs, Some(720.0));
    assert_eq!((e.season, e.number), (Some(4), Some(7)));
    assert_eq!(
        e.show_notes_html.as_deref(),
        Some("<p>Notes via another prefix.</p>")
    );
    assert_eq!(
        e.chapters.as_ref().unwrap().url,
        "https://odd.example.org/1.json"
    );
    assert_eq!(e.transcripts[0].language.as_deref(), Some("de"));
    assert_eq!(e.transcripts[0].rel.as_deref(), Some("captions"));
    assert_eq!(e.persons[0].name, "Pell Ranger");
}

#[test]
fn undeclared_itunes_and_podcast_prefixes_still_count() {
    let f = parse_feed(&fixture("undeclared_prefixes.xml"), None).unwrap();
    assert_eq!(f.author.as_deref(), Some("Nobody Declared"));
    assert_eq!(f.episodes[0].duration_secs, Some(90.0));
    assert_eq!(
        f.episodes[0].transcripts[0].url,
        "https://sloppy.example.org/1.vtt"
    );
}

#[test]
fn bare_ampersands_are_repaired() {
    let f = parse_feed(&fixture("bare_ampersands.xml"), None).unwrap();
    assert_eq!(f.title, "Q&A Hour");
    let e = &f.episodes[0];
    assert_eq!(e.title, "Salt & Pepper");
    assert_eq!(e.show_notes_html.as_deref(), Some("Already fine & dandy"));
    assert_eq!(
        e.enclosure.as_ref().unwrap().url,
        "https://qa.example.com/play?id=1&format=mp3"
    );
    assert!(
        f.warnings.iter().any(|w| w.contains('&')),
        "{:?}",
        f.warnings
    );
}

#[test]
fn bare_ampersand_only_in_an_attribute_is_repaired() {
    let xml = br#"<rss><channel><title>Attr</title><item><guid>1</guid><enclosure url="https://a.example.com/x.mp3?a=1&b=2" type="audio/mpeg"/></item></channel></rss>"#;
    let f = parse_feed(xml, None).unwrap();
    assert_eq!(
        f.episodes[0].enclosure.as_ref().unwrap().url,
        "https://a.example.com/x.mp3?a=1&b=2"
    );
}

#[test]
fn html_entities_in_attributes_do_not_sink_the_feed() {
    let xml = br#"<rss><channel><title>Ents&nbsp;&amp;&#32;more</title><item><guid>1</guid><title>caf&eacute;</title>
        <enclosure url="https://a.example.com/x.mp3?q=a&nbsp;b" type="audio/mpeg"/></item></channel></rss>"#;
    let f = parse_feed(xml, None).unwrap();
    assert_eq!(f.title, "Ents & more");
    assert_eq!(f.episodes[0].title, "café");
    assert!(f.episodes[0].enclosure.is_some());
}

#[test]
fn serializes_with_camel_case_names() {
    let f = parse_feed(&fixture("p20_full.xml"), None).unwrap();
    let v = serde_json::to_value(&f).unwrap();
    assert!(v.get("artworkUrl").is_some() && v.get("newFeedUrl").is_some());
    let e = &v["episodes"][0];
    for key in [
        "guidIsFallback",
        "durationSecs",
        "showNotesHtml",
        "artworkUrl",
    ] {
        assert!(e.get(key).is_some(), "{key}");
    }
    assert_eq!(e["durationSecs"], 3723.0);
}

// --- durations and dates -----------------------------------------------------------------

#[test]
fn durations_as_feeds_write_them() {
    for (text, secs) in [
        ("01:02:03", 3723.0),
        ("1:02:03", 3723.0),
        ("1:02:03.5", 3723.5),
        ("45:30", 2730.0),
        ("4:25", 265.0),
        ("90:00", 5400.0),
        ("3600", 3600.0),
        (" 3600 ", 3600.0),
        ("90 min", 5400.0),
        ("1h 30m", 5400.0),
        ("1 hour 2 minutes 3 seconds", 3723.0),
    ] {
        assert_eq!(parse_duration(text), Some(secs), "{text:?}");
    }
    for text in [
        "",
        "soon",
        "1:75",
        "-30",
        "1:00:61",
        "12:34:56:78",
        "3 fortnights",
    ] {
        assert_eq!(parse_duration(text), None, "{text:?}");
    }
}

#[test]
fn dates_as_feeds_write_them() {
    for text in [
        "Tue, 05 Mar 2024 10:00:00 GMT",
        "Tue, 5 Mar 2024 10:00:00 +0000",
        "05 Mar 2024 10:00:00 UT",
        "Tue, 05 Mar 24 10:00:00 Z",
        "Tue, 05 Mar 2024 05:00:00 EST",
        "Tue, 05 Mar 2024 02:00:00 PST",
        "Tue,   05   Mar 2024   10:00:00  GMT ",
        "Tuesday, 05 March 2024 10:00:00 GMT",
        "Tue, 05 Mar 2024 10:00 GMT",
        "2024-03-05T10:00:00Z",
        "2024-03-05T12:00:00+02:00",
        "2024-03-05T10:00:00.000+00:00",
        "2024-03-05 10:00:00",
    ] {
        assert_eq!(parse_date(text), Some(MAR_5_2024_10H), "{text:?}");
    }
    for text in [
        "",
        "last Tuesday",
        "Tue, 32 Mar 2024 10:00:00 GMT",
        "2024-02-30T10:00:00Z",
    ] {
        assert_eq!(parse_date(text), None, "{text:?}");
    }
}

// --- robustness and speed ------------------------------------------------------------------

#[test]
fn never_panics_on_truncations_and_byte_flips() {
    // parse_feed catches panics itself, so watch for them with a hook on this thread.
    thread_local!(static PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.with(|p| p.set(true));
        prev(info);
    }));
    let names = [
        "p20_full.xml",
        "atom_podcast.xml",
        "minimal.xml",
        "html_page.html",
        "malformed.xml",
        "billion_laughs.xml",
        "guids.xml",
        "non_audio.xml",
        "relative_urls.xml",
        "custom_prefix.xml",
        "bare_ampersands.xml",
        "utf16le_bom.xml",
        "utf8_declared_really_1252.xml",
    ];
    let base = url("https://fuzz.example.com/feed");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = Instant::now();
    for name in names {
        let bytes = fixture(name);
        // Every truncation point on small files, a stride on the larger ones.
        let step = (bytes.len() / 300).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = parse_feed(&bytes[..cut], Some(&base));
        }
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] = match rng.below(4) {
                    0 => rng.next() as u8,
                    1 => b"<>&;:\"'/![]-"[rng.below(12)],
                    2 => 0x80 | rng.next() as u8,
                    _ => b[i] ^ (1 << rng.below(8)),
                };
            }
            if rng.below(4) == 0 {
                let i = rng.below(b.len());
                let j = (i + rng.below(200)).min(b.len());
                b.drain(i..j);
            }
            let _ = parse_feed(&b, Some(&base));
            let _ = parse_feed(&b, None);
        }
    }
    let _ = std::panic::take_hook();
    assert!(
        !PANICKED.with(|p| p.get()),
        "parse_feed panicked (see stderr)"
    );
    eprintln!("fuzzed in {:?}", start.elapsed());
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let mut xml = String::from("<rss><channel><title>Deep</title><item><x:a>");
    xml.push_str(&"<x:a>".repeat(200_000));
    let err = parse_feed(xml.as_bytes(), None).unwrap_err();
    assert!(matches!(err, FeedError::Malformed(_)), "{err:?}");
}

/// A feed like the lead's benchmark: `n` items, ~2 KB each.
pub fn big_feed(n: usize) -> String {
    let mut s = String::with_capacity(n * 2200 + 1000);
    s.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Big Show</title><link>https://big.example.com/</link><description>Lots.</description><itunes:image href="https://big.example.com/a.jpg"/>
"#);
    for i in 0..n {
        s.push_str(&format!(
            r#"<item><title>Episode {i}: on the matter of things &amp; stuff</title><guid isPermaLink="false">big-{i}</guid><link>https://big.example.com/e/{i}</link><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate><itunes:duration>01:02:03</itunes:duration><itunes:episode>{i}</itunes:episode><enclosure url="https://cdn.big.example.com/e/{i}.mp3" length="12345678" type="audio/mpeg"/><podcast:transcript url="https://big.example.com/t/{i}.vtt" type="text/vtt"/><podcast:chapters url="https://big.example.com/c/{i}.json" type="application/json+chapters"/><description>Short description of episode {i}.</description><content:encoded><![CDATA[<p>{}</p><ul><li>00:01:00 intro</li><li>00:10:00 part two</li></ul>]]></content:encoded></item>
"#,
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(28)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[test]
fn a_5000_item_feed_parses_in_reasonable_time() {
    // Guards against quadratic behaviour even in an unoptimized test build.
    let xml = big_feed(5000);
    assert!(xml.len() > 9_000_000, "{}", xml.len());
    let start = Instant::now();
    let f = parse_feed(
        xml.as_bytes(),
        Some(&url("https://big.example.com/feed.xml")),
    )
    .unwrap();
    let took = start.elapsed();
    assert_eq!(f.episodes.len(), 5000);
    assert_eq!(f.episodes[4999].guid, "big-4999");
    eprintln!("5000 items, {} bytes: {took:?}", xml.len());
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// `cargo test --test feed_parse -- --ignored --nocapture parse_time` (add `--release` for a
/// release build) prints the best of five runs.
#[test]
#[ignore]
fn parse_time_of_a_5000_item_feed() {
    let xml = big_feed(5000);
    let base = url("https://big.example.com/feed.xml");
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let f = parse_feed(xml.as_bytes(), Some(&base)).unwrap();
        best = best.min(start.elapsed());
        assert_eq!(f.episodes.len(), 5000);
    }
    eprintln!(
        "5000 items, {:.1} MB: best {best:?}",
        xml.len() as f64 / 1e6
    );
}
