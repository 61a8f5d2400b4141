//! `earshot-cli transcript <file> --json` for every format: segments as `{start, end, speaker,
//! text, estimated}` (with `words` when the file times words), the format named, errors on
//! stderr.

mod common;

use common::{cli, cli_json};
use serde_json::Value;

fn fixture(name: &str) -> String {
    common::fixture("transcripts", name)
}

/// Runs the CLI on a file and checks the shape every output shares.
fn transcript(path: &str) -> Value {
    let v = cli_json(&["transcript", path, "--json"]);
    assert_eq!(v["source"], path);
    let segs = v["segments"].as_array().unwrap();
    assert!(!segs.is_empty());
    let mut last = 0.0;
    for s in segs {
        let (start, end) = (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
        assert!(start >= last && end >= start, "{path}: {s}");
        last = start;
        assert!(s["speaker"].is_string() || s["speaker"].is_null());
        assert!(s["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(s["estimated"].is_boolean(), "{path}: {s}");
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        for k in &keys {
            assert!(
                ["start", "end", "speaker", "text", "estimated", "words"].contains(k),
                "{path}: unexpected field {k}"
            );
        }
    }
    v
}

fn texts(v: &Value) -> Vec<&str> {
    v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect()
}

#[test]
fn webvtt() {
    let v = transcript(&fixture("interview.vtt"));
    assert_eq!(v["format"], "webvtt");
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 7);
    assert_eq!(segs[0]["speaker"], "Priya Raman");
    assert_eq!(segs[0]["estimated"], false);
    assert!(
        segs[0].get("words").is_none(),
        "no words key without word times"
    );
    let words = segs[2]["words"].as_array().unwrap();
    assert_eq!(words.len(), 6);
    assert_eq!(
        words[1],
        serde_json::json!({"start": 9.6, "end": 10.1, "text": "tell"})
    );
}

#[test]
fn srt() {
    let v = transcript(&fixture("morning.srt"));
    assert_eq!(v["format"], "srt");
    assert_eq!(texts(&v)[1], "Morning. I brought the logbook from 1911.");
    assert_eq!(v["segments"][0]["speaker"], "Priya");
    let v = transcript(&fixture("cp1252.srt"));
    assert_eq!(texts(&v)[0], "It’s “café” weather – again.");
    assert!(v["notes"][0].as_str().unwrap().contains("windows-1252"));
}

#[test]
fn podcasting20_json() {
    let v = transcript(&fixture("words.json"));
    assert_eq!(v["format"], "podcasting2.0-json");
    assert_eq!(texts(&v)[0], "So what got you started on lighthouses?");
    assert_eq!(v["segments"][0]["words"].as_array().unwrap().len(), 7);
    let v = transcript(&fixture("lines.json"));
    assert_eq!(texts(&v).len(), 5);
}

#[test]
fn html() {
    let v = transcript(&fixture("transcript.html"));
    assert_eq!(v["format"], "html");
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 6);
    assert_eq!(segs[1]["start"], 12.0);
    assert_eq!(segs[1]["estimated"], false);
    assert_eq!(segs[2]["estimated"], true);
    assert!(texts(&v)
        .iter()
        .all(|t| !t.contains("<p") && !t.contains("<img")));
}

#[test]
fn plain_text() {
    let v = transcript(&fixture("interview.txt"));
    assert_eq!(v["format"], "text");
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 11);
    assert_eq!(segs[1]["speaker"], "Priya");
    assert_eq!(segs[1]["estimated"], true);
    assert_eq!(segs[6]["start"], 90.0);
    assert_eq!(segs[6]["estimated"], false);
    let v = transcript(&fixture("otter.txt"));
    assert_eq!(v["segments"][3]["start"], 123.0);
}

#[test]
fn format_from_content_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    // No extension: the content decides.
    let p = dir.path().join("transcript");
    std::fs::write(&p, "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ada>Hi\n").unwrap();
    let v = transcript(p.to_str().unwrap());
    assert_eq!(v["format"], "webvtt");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"version\": \"1.0.0\", \"segments\": [").unwrap();
    let out = cli(&["transcript", bad.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("not JSON"),
        "{err}"
    );

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\n").unwrap();
    let out = cli(&["transcript", empty.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no transcript text"));

    let out = cli(&["transcript", "/nonexistent/t.srt", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/t.srt"));
}
