//! `earshot-cli chapters FILE --json` on every kind of file: it says what the file is
//! (`format`), where the chapters come from (`from`), and lists them.

mod common;

use common::{cli, cli_json};

fn fixture(name: &str) -> String {
    common::fixture("chapters", name)
}

fn chapters_json(path: &str) -> serde_json::Value {
    cli_json(&["chapters", path, "--json"])
}

fn starts_titles(v: &serde_json::Value) -> Vec<(f64, String)> {
    v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["start"].as_f64().unwrap(),
                c["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn three() -> Vec<(f64, String)> {
    [
        (0.0, "Opening"),
        (1.25, "The middle part"),
        (2.5, "Closing words"),
    ]
    .iter()
    .map(|&(s, t)| (s, t.to_string()))
    .collect()
}

#[test]
fn audio_files_report_their_embedded_chapters() {
    for (name, format, from) in [
        ("chapters.mp3", "mp3", "id3"),
        ("chapters.m4a", "mp4", "mp4"),
        ("chapters-faststart.m4a", "mp4", "mp4"),
        ("chapters-track.m4a", "mp4", "mp4"),
        ("chapters.ogg", "ogg", "vorbis-comment"),
        ("chapters.flac", "flac", "vorbis-comment"),
    ] {
        let v = chapters_json(&fixture(name));
        assert_eq!(v["format"], format, "{name}");
        assert_eq!(v["from"], from, "{name}");
        assert_eq!(v["source"], fixture(name), "{name}");
        assert_eq!(starts_titles(&v), three(), "{name}");
        assert!(v.get("chaptersUrl").is_none(), "{name}");
    }
    let v = chapters_json(&fixture("no-chapters.mp3"));
    assert_eq!(v["from"], "id3");
    assert_eq!(v["chapters"].as_array().unwrap().len(), 0);
}

#[test]
fn chapters_json_keeps_its_format_and_says_where_from() {
    let demo = format!(
        "{}/assets/demo/episode1.chapters.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v = chapters_json(&demo);
    assert_eq!(v["format"], "podcasting2.0-json");
    assert_eq!(v["from"], "podcasting20-json");
    assert!(v["chapters"].as_array().unwrap().len() >= 4);
}

#[test]
fn show_notes_in_html_and_text() {
    let v = chapters_json(&fixture("em-dash.html"));
    assert_eq!(
        (v["format"].as_str(), v["from"].as_str()),
        (Some("html"), Some("show-notes"))
    );
    assert_eq!(starts_titles(&v).len(), 4);
    assert_eq!(starts_titles(&v)[1], (62.0, "Café talk".to_string()));

    let v = chapters_json(&fixture("title-colon-time.txt"));
    assert_eq!(
        (v["format"].as_str(), v["from"].as_str()),
        (Some("text"), Some("show-notes"))
    );
    assert_eq!(starts_titles(&v)[0], (45.0, "Why kites fly".to_string()));

    // Prose: a valid answer with no chapters.
    let v = chapters_json(&fixture("prose-with-a-time.txt"));
    assert_eq!(v["chapters"].as_array().unwrap().len(), 0);
}

#[test]
fn a_feed_item_gives_its_show_notes_chapters_and_its_chapters_url() {
    let v = chapters_json(&fixture("feed-item.xml"));
    assert_eq!(v["format"], "rss-item");
    assert_eq!(v["from"], "show-notes");
    assert_eq!(
        v["chaptersUrl"],
        "https://example.org/audio/bridges.chapters.json"
    );
    // itunes:duration is 30:00: the 35:00 "bonus" is dropped and the last chapter ends there.
    assert_eq!(
        starts_titles(&v),
        vec![
            (0.0, "Setting off".to_string()),
            (495.0, "The iron bridge".to_string()),
            (1300.0, "Suspension, explained".to_string()),
        ]
    );
    assert_eq!(v["chapters"][2]["end"], 1800.0);
}

#[test]
fn a_whole_feed_gives_its_first_items_chapters() {
    let v = chapters_json(&fixture("feed.xml"));
    assert_eq!(v["format"], "rss");
    assert_eq!(v["from"], "show-notes");
    assert!(v.get("chaptersUrl").is_none());
    assert_eq!(
        starts_titles(&v),
        vec![
            (30.0, "Warm-up".to_string()),
            (720.0, "Main event".to_string()),
            (2410.0, "Cool-down".to_string()),
        ]
    );
}

#[test]
fn bad_files_fail_with_a_message_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("broken.json", &b"{\"chapters\": ["[..], "chapters JSON"),
        (
            "fake.mp3",
            &b"this is not audio at all"[..],
            "not mp3 audio",
        ),
        ("binary.bin", &b"\x00\x01\x02garbage"[..], "nor text"),
        ("truncated.xml", &b"<item><title>x</title>"[..], "not valid"),
    ];
    for (name, bytes, why) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = cli(&["chapters", path.to_str().unwrap(), "--json"]);
        assert!(!out.status.success(), "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(why), "{name}: {err}");
    }
    let out = cli(&["chapters", "/nonexistent/episode.mp3", "--json"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/episode.mp3")
    );
}
