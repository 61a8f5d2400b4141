//! `earshot-cli`: JSON on stdout, clear errors on stderr with a non-zero exit.

mod common;

use common::{cli, cli_json};

fn demo(name: &str) -> String {
    format!("{}/assets/demo/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn transcript_prints_timed_speaker_segments() {
    let v = cli_json(&["transcript", &demo("episode1.vtt"), "--json"]);
    let segs = v["segments"].as_array().unwrap();
    assert!(segs.len() >= 20);
    let speakers: std::collections::BTreeSet<_> =
        segs.iter().filter_map(|s| s["speaker"].as_str()).collect();
    assert_eq!(speakers.into_iter().collect::<Vec<_>>(), ["Ada", "Ben"]);
    let starts: Vec<f64> = segs.iter().map(|s| s["start"].as_f64().unwrap()).collect();
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]),
        "segments in time order"
    );
    assert!(segs.iter().all(|s| s["end"].as_f64() > s["start"].as_f64()));
}

#[test]
fn chapters_prints_chapters_with_fractional_starts() {
    let out = cli(&["chapters", &demo("episode1.chapters.json"), "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ch = v["chapters"].as_array().unwrap();
    assert!(ch.len() >= 4);
    assert_eq!(ch[0]["start"], 0.0);
    assert!(ch
        .iter()
        .any(|c| c["start"].as_f64().unwrap().fract() != 0.0));
    assert_eq!(v["format"], "podcasting2.0-json");
}

#[test]
fn bad_input_fails_with_a_message_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.vtt");
    std::fs::write(&bad, "not a transcript").unwrap();
    let out = cli(&["transcript", bad.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.vtt") && err.contains("WEBVTT"), "{err}");

    let out = cli(&["chapters", "/nonexistent/chapters.json", "--json"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/chapters.json")
    );
}

#[test]
fn feed_prints_the_podcast_from_a_file() {
    let file = common::fixture("feeds", "p20_full.xml");
    let v = cli_json(&["feed", &file, "--json"]);
    assert_eq!(v["feed"]["title"], "The Lantern Hour");
    let eps = v["feed"]["episodes"].as_array().unwrap();
    assert_eq!(eps.len(), 3);
    let ep3 = &eps[0];
    assert_eq!(ep3["durationSecs"], 3723.0);
    assert!(ep3["enclosure"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(
        ep3["chapters"]["url"],
        "https://lantern.example.org/ep3/chapters.json"
    );
    assert_eq!(ep3["transcripts"].as_array().unwrap().len(), 3);
    assert_eq!(eps[1]["durationSecs"], 2730.0);
}

#[test]
fn feed_fetches_a_url_and_follows_a_page_to_its_feed() {
    let srv = common::server::Server::start();
    let body = earshot::feedgen::rss(&earshot::feedgen::FeedSpec {
        title: "Served Show",
        count: 4,
        ..Default::default()
    });
    srv.route("/feed.xml", move |_| {
        common::server::Response::ok("application/rss+xml", body.clone())
    });
    srv.route("/", |_| {
        common::server::Response::ok(
            "text/html",
            "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.xml\"></head></html>",
        )
    });
    let v = cli_json(&["feed", &srv.url("/"), "--json"]);
    assert_eq!(v["feed"]["title"], "Served Show");
    assert_eq!(v["source"], srv.url("/feed.xml"));
    assert_eq!(v["feed"]["episodes"].as_array().unwrap().len(), 4);

    let out = cli(&["feed", &srv.url("/gone.xml"), "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/gone.xml") && err.contains("404"), "{err}");
}
