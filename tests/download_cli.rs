//! `earshot-cli download`: the download manager headless, resuming what an earlier
//! interrupted run left behind.

mod common;

use common::faulty::{Fault, FaultyServer, Rng};
use common::{cli, listing};
use earshot::fetch::sha256_hex;

#[test]
fn a_second_run_resumes_the_part_an_interrupted_run_left() {
    let server = FaultyServer::start();
    let body = Rng::new(42).bytes(400_000);
    server.add("/shows/ep%201.mp3", body.clone());
    server.push_faults("/shows/ep%201.mp3", [Fault::CutAfter(150_000)]);
    let url = server.url("/shows/ep%201.mp3");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();

    // First run: one attempt only, and the connection is cut.
    let out = cli(&["download", &url, d, "--json", "--attempts", "1"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("earshot-cli:") && err.contains(&url), "{err}");
    assert_eq!(listing(dir.path()), ["ep 1.mp3.part", "ep 1.mp3.part.meta"]);
    assert_eq!(
        std::fs::metadata(dir.path().join("ep 1.mp3.part"))
            .unwrap()
            .len(),
        150_000
    );

    // Second run: resumes from byte 150000 and completes.
    let out = cli(&["download", &url, d, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = dir.path().join("ep 1.mp3");
    assert_eq!(v["path"], path.to_str().unwrap());
    assert_eq!(v["size"], 400_000);
    assert_eq!(v["sha256"], sha256_hex(&body));
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(listing(dir.path()), ["ep 1.mp3"]);

    let reqs = server.requests("/shows/ep%201.mp3");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=150000-"));
    assert!(reqs[1].if_range.is_some());
    assert_eq!(reqs[1].status, 206);
}

#[test]
fn retries_are_noted_on_stderr_and_a_404_fails_clearly() {
    let server = FaultyServer::start();
    let body = Rng::new(43).bytes(50_000);
    server.add("/a.ogg", body.clone());
    server.push_faults("/a.ogg", [Fault::Status(503)]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = cli(&["download", &server.url("/a.ogg"), d, "--name", "My Show: 1"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("attempt 1 failed") && err.contains("503"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["path"],
        dir.path().join("My Show_ 1.ogg").to_str().unwrap()
    );
    assert_eq!(v["sha256"], sha256_hex(&body));

    let out = cli(&["download", &server.url("/missing.mp3"), d, "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("404"), "{err}");
    assert_eq!(server.requests("/missing.mp3").len(), 1);
    assert_eq!(listing(dir.path()), ["My Show_ 1.ogg"]);
}
