//! Transcripts reach the library from every source — the feed's `podcast:transcript` entries
//! with fall-back, a sidecar file, a link in the show notes, a file the listener opens — and
//! every line is searchable across the library.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::runtime as rt;
use common::server::{Response, Server};
use earshot::fetch::Http;
use earshot::library::{EpisodeId, Library, NewEpisode, NewPodcast};
use earshot::subscriptions::Subscriptions;

fn setup() -> (Subscriptions, Arc<Mutex<Library>>) {
    let lib = Arc::new(Mutex::new(Library::open_in_memory().unwrap()));
    (
        Subscriptions::new(Http::with_timeout(Duration::from_secs(2)), lib.clone()),
        lib,
    )
}

const VTT_FR: &str = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Lea>Bonjour et bienvenue.\n";
const SRT_EN: &str = "1\n00:00:00,500 --> 00:00:03,000\nMara: Welcome to the tide pool hour.\n\n2\n00:00:03,000 --> 00:00:07,250\nJonas: Today, hermit crabs and their borrowed shells.\n";

fn feed(base: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
<title>Shore Notes</title><link>{base}/</link><description>d</description>
<item><title>Crabs</title><guid>c1</guid><enclosure url="{base}/a.mp3" type="audio/mpeg" length="1"/>
<podcast:transcript url="{base}/t/fr.vtt" type="text/vtt" language="fr"/>
<podcast:transcript url="{base}/t/en.json" type="application/json" language="en"/>
<podcast:transcript url="{base}/t/empty.vtt" type="text/vtt; charset=utf-8" language="en"/>
<podcast:transcript url="{base}/t/en.srt" type="application/x-subrip" language="en"/>
</item>
<item><title>Linked</title><guid>c2</guid><enclosure url="{base}/b.mp3" type="audio/mpeg" length="1"/>
<description><![CDATA[<p>Read the <a href="/pages/two-transcript.html">full transcript</a>.</p>]]></description>
</item>
<item><title>Nothing</title><guid>c3</guid><enclosure url="{base}/c.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#
    )
}

#[test]
fn the_feeds_transcripts_are_tried_in_order_and_the_first_good_one_is_kept() {
    let srv = Server::start();
    srv.serve("/feed.xml", "application/rss+xml", feed(&srv.base));
    srv.route("/t/en.json", |_| Response::status(404));
    srv.serve("/t/empty.vtt", "text/vtt", "WEBVTT\n\n");
    srv.serve("/t/en.srt", "application/x-subrip", SRT_EN);
    srv.serve("/t/fr.vtt", "text/vtt", VTT_FR);
    srv.serve(
        "/pages/two-transcript.html",
        "text/html; charset=utf-8",
        "<html><body><nav>Home</nav><p><cite>Mara:</cite> Sand dollars are urchins.</p>\
         <p><cite>Jonas:</cite> <time>00:01:30</time> Flat ones, yes.</p></body></html>",
    );
    let (subs, lib) = setup();
    let rt = rt();
    let pid = rt.block_on(subs.subscribe(&srv.url("/feed.xml"))).unwrap();
    let eps = lib.lock().unwrap().episodes(pid).unwrap();
    let id = |t: &str| eps.iter().find(|e| e.title == t).unwrap().id;

    // English first (the test's language), JSON > VTT > SRT: the JSON is gone (404), the VTT
    // is empty, so the SRT is kept; the French one is never needed.
    rt.block_on(subs.ensure_transcript(id("Crabs"), None))
        .unwrap();
    let l = lib.lock().unwrap();
    let segs = l.segments(id("Crabs")).unwrap();
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert_eq!(segs[0].speaker.as_deref(), Some("Mara"));
    assert_eq!(segs[1].start, 3.0);
    assert!(!segs[0].estimated);
    let src = l.transcript_source(id("Crabs")).unwrap().unwrap();
    assert!(src.source.ends_with("/t/en.srt"), "{src:?}");
    assert_eq!(src.format, "srt");
    drop(l);
    assert_eq!(srv.requests("/t/fr.vtt").len(), 0);
    // Cached: not fetched again.
    rt.block_on(subs.ensure_transcript(id("Crabs"), None))
        .unwrap();
    assert_eq!(srv.requests("/t/en.srt").len(), 1);

    // A transcript page linked from the show notes: untimed paragraphs, estimated starts, the
    // written time kept.
    rt.block_on(subs.ensure_transcript(id("Linked"), None))
        .unwrap();
    let segs = lib.lock().unwrap().segments(id("Linked")).unwrap();
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert_eq!(segs[0].text, "Sand dollars are urchins.");
    assert!(segs[0].estimated, "no time was written for it");
    assert_eq!(segs[1].start, 90.0);
    assert!(!segs[1].estimated);
    assert!(lib
        .lock()
        .unwrap()
        .untimed_transcript(id("Linked"))
        .unwrap()
        .is_some());

    // Nothing to be had: remembered, not looked for on every open.
    rt.block_on(subs.ensure_transcript(id("Nothing"), None))
        .unwrap();
    let src = lib
        .lock()
        .unwrap()
        .transcript_source(id("Nothing"))
        .unwrap()
        .unwrap();
    assert!(src.error.is_some() && src.source.is_empty());
    assert!(lib
        .lock()
        .unwrap()
        .segments(id("Nothing"))
        .unwrap()
        .is_empty());
}

#[test]
fn a_sidecar_file_and_a_file_the_listener_opens_are_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ep.mp3"), b"not really audio").unwrap();
    std::fs::write(dir.path().join("ep.srt"), SRT_EN).unwrap();
    let (subs, lib) = setup();
    let pid = lib
        .lock()
        .unwrap()
        .add_podcast(
            &NewPodcast {
                feed_url: "http://127.0.0.1/x.xml".into(),
                title: "Local".into(),
                ..NewPodcast::default()
            },
            &[NewEpisode {
                guid: "l1".into(),
                title: "Local one".into(),
                local_file: Some("ep.mp3".into()),
                ..NewEpisode::default()
            }],
        )
        .unwrap();
    let ep = lib.lock().unwrap().episodes(pid).unwrap()[0].id;
    rt().block_on(subs.ensure_transcript(ep, Some(dir.path())))
        .unwrap();
    assert_eq!(lib.lock().unwrap().segments(ep).unwrap().len(), 2);
    assert_eq!(
        lib.lock()
            .unwrap()
            .transcript_source(ep)
            .unwrap()
            .unwrap()
            .source,
        "sidecar"
    );

    // The listener opens another file: it replaces the transcript, and search follows.
    let segs = subs
        .import_transcript(ep, "mine.vtt", VTT_FR.as_bytes())
        .unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].speaker.as_deref(), Some("Lea"));
    let l = lib.lock().unwrap();
    assert!(l.search("hermit", 10).unwrap().is_empty(), "old lines gone");
    assert_eq!(l.search("bienvenue", 10).unwrap().len(), 1);
    drop(l);
    assert!(subs
        .import_transcript(ep, "garbage.vtt", b"\x00\x01 nothing here")
        .is_err());
    // A failed import keeps what was there.
    assert_eq!(lib.lock().unwrap().segments(ep).unwrap().len(), 1);
}

#[test]
fn search_finds_lines_across_the_library_with_times_and_marked_matches() {
    let mut lib = Library::open_in_memory().unwrap();
    let seg = |start: f64, speaker: &str, text: &str| {
        let mut s =
            earshot::transcript::Segment::new(start, start + 4.0, Some(speaker.into()), text);
        s.estimated = start > 100.0;
        s
    };
    let pid = lib
        .add_podcast(
            &NewPodcast {
                feed_url: "http://127.0.0.1/s.xml".into(),
                title: "Searchable".into(),
                ..NewPodcast::default()
            },
            &[
                NewEpisode {
                    guid: "a".into(),
                    title: "Tides".into(),
                    segments: vec![
                        seg(1.0, "Mara", "The moon pulls the tides twice a day."),
                        seg(120.0, "Jonas", "Spring tides are not about spring at all."),
                    ],
                    ..NewEpisode::default()
                },
                NewEpisode {
                    guid: "b".into(),
                    title: "Crabs".into(),
                    segments: vec![seg(5.0, "Mara", "Hermit crabs swap shells in a queue.")],
                    ..NewEpisode::default()
                },
            ],
        )
        .unwrap();
    let hits = lib.search("tides", 10).unwrap();
    assert_eq!(hits.len(), 2);
    assert!(hits
        .iter()
        .all(|h| h.episode_title == "Tides" && h.podcast_title == "Searchable"));
    let spring = hits.iter().find(|h| h.start == 120.0).unwrap();
    assert!(spring.estimated);
    assert_eq!(spring.speaker.as_deref(), Some("Jonas"));
    assert!(
        spring.snippet.contains("\u{2}tides\u{3}"),
        "{:?}",
        spring.snippet
    );
    // Prefix while typing, accents and case ignored, phrases.
    assert_eq!(lib.search("herm", 10).unwrap().len(), 1);
    assert_eq!(lib.search("HÉRMIT", 10).unwrap().len(), 1);
    assert_eq!(lib.search("\"twice a day\"", 10).unwrap().len(), 1);
    assert_eq!(lib.search("\"a day twice\"", 10).unwrap().len(), 0);
    // FTS syntax typed by a person is just words.
    assert!(lib.search("NEAR(\" OR *", 10).is_ok());
    assert!(lib.search("", 10).unwrap().is_empty());
    // Unsubscribing forgets its lines.
    lib.remove_podcast(pid).unwrap();
    assert!(lib.search("tides", 10).unwrap().is_empty());
    let _ = EpisodeId(0);
}

#[test]
fn earshot_cli_search_lists_matching_lines_of_a_library() {
    let dir = tempfile::tempdir().unwrap();
    // A library with the demo podcast in it, as the app makes on first launch.
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
        .args([
            "listen",
            "--output",
            "null",
            "--duration",
            "0.2",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
        .args(["search", "chapters", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        assert!(h["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("chapter"));
        assert!(h["start"].as_f64().unwrap() >= 0.0);
        assert_eq!(h["podcast"], "Earshot Demo");
    }
    // No library there: a clear error, non-zero exit.
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
        .args(["search", "x", "--data-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("library"));
}
