//! The download manager against a misbehaving local server: each fault on its own, resume
//! across managers, pause / resume / cancel, the concurrency limit, and local failures (full
//! disk, read-only folder, server gone) with clear messages.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::faulty::{Fault, FaultyServer, FileOpts, Rng};
use earshot::download::{
    io_error, meta_path, part_path, DownloadConfig, DownloadEvent, DownloadManager, DownloadState,
    FsStorage, HashKind, Outcome, PartFile, PartMeta, Storage,
};
use earshot::fetch::sha256_hex;
use url::Url;

fn cfg() -> DownloadConfig {
    DownloadConfig {
        concurrency: 2,
        stall_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_secs(2),
        max_attempts: 5,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        progress_interval: Duration::from_millis(10),
        ..DownloadConfig::default()
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn content(seed: u64, len: usize) -> Vec<u8> {
    Rng::new(seed).bytes(len)
}

async fn outcome(m: &DownloadManager, id: earshot::download::DownloadId) -> Outcome {
    tokio::time::timeout(Duration::from_secs(20), m.wait(id))
        .await
        .expect("the download ends within 20 s")
        .expect("a known download")
}

fn completed(o: Outcome) -> earshot::download::Completed {
    match o {
        Outcome::Completed(c) => c,
        other => panic!("expected completion, got {other:?}"),
    }
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn assert_file(c: &earshot::download::Completed, expected: &[u8]) {
    let on_disk = std::fs::read(&c.path).unwrap();
    assert_eq!(on_disk.len(), expected.len(), "{}", c.path.display());
    assert!(
        on_disk == expected,
        "{} differs from the source",
        c.path.display()
    );
    assert_eq!(c.size, expected.len() as u64);
    assert_eq!(c.hash, labelled_hash(c, expected));
    assert!(!part_path(&c.path).exists());
    assert!(!meta_path(&c.path).exists());
}

/// The hash `expected` should have, of the kind `c` says it is (the manager's setting).
fn labelled_hash(c: &earshot::download::Completed, expected: &[u8]) -> String {
    match c.hash_parts() {
        Some((HashKind::Sha256, _)) => format!("sha256:{}", sha256_hex(expected)),
        Some((HashKind::Blake3, _)) => format!("blake3:{}", blake3::hash(expected).to_hex()),
        None => panic!("not a labelled hash: {}", c.hash),
    }
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<DownloadEvent>) -> Vec<DownloadEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_completes_with_size_sha256_and_events_in_order() {
    let server = FaultyServer::start();
    let body = content(1, 300_000);
    server.add("/ep1.mp3", body.clone());
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let mut rx = m.subscribe();
    let id = m.enqueue(url(&server.url("/ep1.mp3")), dir.path(), "Episode 1: Hello");
    let c = completed(outcome(&m, id).await);
    assert_eq!(c.path, dir.path().join("Episode 1_ Hello.mp3"));
    assert_file(&c, &body);
    assert_eq!(listing(dir.path()), ["Episode 1_ Hello.mp3"]);

    let events = drain(&mut rx);
    assert!(matches!(events[0], DownloadEvent::Queued { .. }));
    assert!(matches!(events[1], DownloadEvent::Started { .. }));
    let last_progress = events
        .iter()
        .rev()
        .find_map(|e| match e {
            DownloadEvent::Progress { bytes, total, .. } => Some((*bytes, *total)),
            _ => None,
        })
        .unwrap();
    assert_eq!(last_progress, (300_000, Some(300_000)));
    assert!(matches!(
        events.last().unwrap(),
        DownloadEvent::Completed { size: 300_000, .. }
    ));
    let info = m.get(id).unwrap();
    assert_eq!(info.state, DownloadState::Completed);
    assert_eq!(info.hash.as_deref(), Some(c.hash.as_str()));
    // The default is SHA-256 (what `earshot-cli download` prints).
    assert_eq!(c.sha256(), Some(sha256_hex(&body).as_str()));
    assert_eq!(c.hash, format!("sha256:{}", sha256_hex(&body)));
    match events.last().unwrap() {
        DownloadEvent::Completed { hash, .. } => assert_eq!(hash, &c.hash),
        other => panic!("{other:?}"),
    }
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blake3_manager_hashes_with_blake3_also_across_a_range_resume() {
    let server = FaultyServer::start();
    let body = content(101, 700_000);
    server.add("/b3", body.clone());
    // Cut twice (after 150,000 bytes, then 410,000 more): the run continues its own hash
    // state over two `Range` requests.
    server.push_faults("/b3", [Fault::CutAfter(150_000), Fault::CutAfter(410_000)]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(DownloadConfig {
        hash: HashKind::Blake3,
        ..cfg()
    });
    let mut rx = m.subscribe();
    let id = m.enqueue(url(&server.url("/b3")), dir.path(), "b3");
    let c = completed(outcome(&m, id).await);
    assert_file(&c, &body);
    assert_eq!(c.hash, format!("blake3:{}", blake3_hex(&body)));
    assert_eq!(
        c.hash_parts(),
        Some((HashKind::Blake3, blake3_hex(&body).as_str()))
    );
    assert_eq!(c.sha256(), None, "not a SHA-256");
    let reqs = server.requests("/b3");
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=150000-"));
    assert_eq!(reqs[2].range.as_deref(), Some("bytes=560000-"));
    assert_eq!(reqs[2].status, 206);
    assert_eq!(m.get(id).unwrap().hash.as_deref(), Some(c.hash.as_str()));
    let done = drain(&mut rx).into_iter().find_map(|e| match e {
        DownloadEvent::Completed { hash, .. } => Some(hash),
        _ => None,
    });
    assert_eq!(done.as_deref(), Some(c.hash.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_resumed_by_a_blake3_manager_is_hashed_with_blake3() {
    // Parts left by an earlier manager (one hashing SHA-256, one BLAKE3): the part on disk is
    // hashed again with the resuming manager's kind before the rest is appended.
    for (n, first_kind) in [HashKind::Sha256, HashKind::Blake3].into_iter().enumerate() {
        let server = FaultyServer::start();
        let body = content(102 + n as u64, 500_000);
        server.add("/f", body.clone());
        server.push_faults("/f", [Fault::CutAfter(230_000)]);
        let dir = tempfile::tempdir().unwrap();
        {
            let first = DownloadManager::new(DownloadConfig {
                max_attempts: 1,
                hash: first_kind,
                ..cfg()
            });
            let id = first.enqueue(url(&server.url("/f")), dir.path(), "left");
            assert!(matches!(
                outcome(&first, id).await,
                Outcome::Failed {
                    part_kept: true,
                    ..
                }
            ));
        }
        let second = DownloadManager::new(DownloadConfig {
            hash: HashKind::Blake3,
            ..cfg()
        });
        let id = second.enqueue(url(&server.url("/f")), dir.path(), "left");
        let c = completed(outcome(&second, id).await);
        assert_eq!(
            c.hash,
            format!("blake3:{}", blake3_hex(&body)),
            "{first_kind}"
        );
        assert_file(&c, &body);
        let reqs = server.requests("/f");
        assert_eq!(reqs.len(), 2, "{reqs:?}");
        assert_eq!(reqs[1].range.as_deref(), Some("bytes=230000-"));
        assert_eq!(reqs[1].status, 206);
    }
}

/// Files through [`FsStorage`], counting opens and syncs.
#[derive(Default)]
struct CountingStorage {
    opens: std::sync::atomic::AtomicUsize,
    syncs: Arc<std::sync::atomic::AtomicUsize>,
}

struct CountingPart {
    inner: Box<dyn PartFile>,
    syncs: Arc<std::sync::atomic::AtomicUsize>,
}

impl PartFile for CountingPart {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.sync()
    }
}

impl Storage for CountingStorage {
    fn open_part(&self, path: &Path, truncate: bool) -> io::Result<Box<dyn PartFile>> {
        self.opens.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Box::new(CountingPart {
            inner: FsStorage.open_part(path, truncate)?,
            syncs: self.syncs.clone(),
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_download_is_synced_along_the_way_and_hashed_whole() {
    // Beyond 32 MiB, fsyncs happen during the download (bounding what a crash loses), from a
    // second handle so writing goes on meanwhile; a cut and a resume in the middle.
    let server = FaultyServer::start();
    let body = content(104, 80 << 20);
    server.add("/big", body.clone());
    server.push_faults("/big", [Fault::CutAfter(40 << 20)]);
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(CountingStorage::default());
    let m = DownloadManager::new(DownloadConfig {
        hash: HashKind::Blake3,
        storage: storage.clone(),
        ..cfg()
    });
    let id = m.enqueue(url(&server.url("/big")), dir.path(), "big");
    let c = tokio::time::timeout(Duration::from_secs(120), m.wait(id))
        .await
        .expect("the download ends within 120 s")
        .expect("a known download");
    let c = completed(c);
    assert_file(&c, &body);
    assert_eq!(c.hash, format!("blake3:{}", blake3_hex(&body)));
    let syncs = storage.syncs.load(std::sync::atomic::Ordering::SeqCst);
    let opens = storage.opens.load(std::sync::atomic::Ordering::SeqCst);
    // Two attempts, each: its writer's final sync, and at least one sync along the way (40 and
    // 40 MiB written) through one more handle.
    assert!(syncs >= 4, "{syncs} syncs");
    assert_eq!(opens, 4, "a writer and a syncing handle per attempt");
    let reqs = server.requests("/big");
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[1].status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_with_range_and_if_range() {
    let server = FaultyServer::start();
    let body = content(2, 400_000);
    server.add("/f", body.clone());
    server.push_faults("/f", [Fault::CutAfter(150_000)]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "cut");
    assert_file(&completed(outcome(&m, id).await), &body);
    let reqs = server.requests("/f");
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].range, None);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=150000-"));
    assert!(reqs[1].if_range.as_deref().unwrap().starts_with("\"v1-"));
    assert_eq!(reqs[1].status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_is_detected_and_the_download_resumes() {
    let server = FaultyServer::start();
    let body = content(3, 200_000);
    server.add("/f", body.clone());
    server.push_faults(
        "/f",
        [Fault::Stall {
            after: 60_000,
            pause: Duration::from_secs(5),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let mut rx = m.subscribe();
    let t = std::time::Instant::now();
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "stall");
    assert_file(&completed(outcome(&m, id).await), &body);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let reqs = server.requests("/f");
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=60000-"));
    let retry = drain(&mut rx)
        .into_iter()
        .find_map(|e| match e {
            DownloadEvent::Retrying { message, .. } => Some(message),
            _ => None,
        })
        .unwrap();
    assert!(retry.contains("no data arrived"), "{retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_backoff() {
    let server = FaultyServer::start();
    let body = content(4, 100_000);
    server.add("/f", body.clone());
    server.push_faults("/f", [Fault::Status(500), Fault::Status(503)]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let mut rx = m.subscribe();
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "");
    let c = completed(outcome(&m, id).await);
    assert_eq!(c.path.file_name().unwrap(), "f.mp3");
    assert_file(&c, &body);
    assert_eq!(server.requests("/f").len(), 3);
    let retries: Vec<(u32, String)> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            DownloadEvent::Retrying {
                attempt, message, ..
            } => Some((attempt, message)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0].0, 1);
    assert_eq!(retries[1].0, 2);
    assert!(retries[0].1.contains("500"), "{}", retries[0].1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_length_is_never_taken_for_a_complete_file() {
    let server = FaultyServer::start();
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());

    // 200 announcing more than it sends, then closing.
    let a = content(5, 120_000);
    server.add("/a", a.clone());
    server.push_faults("/a", [Fault::WrongLength]);
    // 206 whose Content-Length contradicts its Content-Range.
    let b = content(6, 120_000);
    server.add("/b", b.clone());
    server.push_faults("/b", [Fault::CutAfter(30_000), Fault::WrongLength]);

    let ia = m.enqueue(url(&server.url("/a")), dir.path(), "a");
    let ib = m.enqueue(url(&server.url("/b")), dir.path(), "b");
    assert_file(&completed(outcome(&m, ia).await), &a);
    assert_file(&completed(outcome(&m, ib).await), &b);
    assert!(server.requests("/a").len() >= 2);
    let rb = server.requests("/b");
    assert_eq!(rb.len(), 3, "{rb:?}");
    assert_eq!(rb[2].range.as_deref(), Some("bytes=30000-"));
    assert_eq!(listing(dir.path()), ["a.mp3", "b.mp3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_range_restarts_the_file_from_zero() {
    let server = FaultyServer::start();
    let body = content(7, 250_000);
    server.add_with(
        "/f",
        body.clone(),
        FileOpts {
            ranges: false,
            ..FileOpts::default()
        },
    );
    server.push_faults("/f", [Fault::CutAfter(100_000)]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "ignored");
    assert_file(&completed(outcome(&m, id).await), &body);
    let reqs = server.requests("/f");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=100000-"));
    assert_eq!(reqs[1].status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_between_attempts_is_downloaded_again_whole() {
    let server = FaultyServer::start();
    let old = content(8, 300_000);
    server.add("/f", old.clone());
    server.push_faults("/f", [Fault::CutAfter(200_000), Fault::ChangeFile]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "changed");
    let c = completed(outcome(&m, id).await);
    let new = server.content("/f");
    assert_ne!(*new, old);
    assert_file(&c, &new);
    let reqs = server.requests("/f");
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].if_range.as_deref().unwrap().starts_with("\"v1-"));
    assert_eq!(
        reqs[1].status, 200,
        "If-Range did not match: whole new file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_validators_a_part_is_not_trusted_and_restarts() {
    let server = FaultyServer::start();
    let body = content(9, 150_000);
    server.add_with(
        "/f",
        body.clone(),
        FileOpts {
            etag: false,
            last_modified: false,
            ..FileOpts::default()
        },
    );
    server.push_faults("/f", [Fault::CutAfter(50_000)]);
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "plain");
    assert_file(&completed(outcome(&m, id).await), &body);
    let reqs = server.requests("/f");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_fails_at_once_without_retry_and_leaves_nothing() {
    let server = FaultyServer::start();
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let mut rx = m.subscribe();
    let id = m.enqueue(url(&server.url("/missing.mp3")), dir.path(), "gone");
    match outcome(&m, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "refused");
            assert!(!error.retryable());
            assert!(!part_kept);
            assert!(error.to_string().contains("404"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests("/missing.mp3").len(), 1);
    assert!(listing(dir.path()).is_empty());
    let events = drain(&mut rx);
    assert!(!events
        .iter()
        .any(|e| matches!(e, DownloadEvent::Retrying { .. })));
    assert!(matches!(
        events.last().unwrap(),
        DownloadEvent::Failed {
            retryable: false,
            part_kept: false,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_download_and_removes_the_part() {
    let server = FaultyServer::start();
    server.add("/f", content(10, 400_000));
    server.set_always(
        "/f",
        Some(Fault::Slow {
            bytes: 8_000,
            every: Duration::from_millis(10),
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "cancel me");
    let m2 = m.clone();
    assert!(
        wait_for(|| m2.get(id).unwrap().bytes > 40_000).await,
        "some progress"
    );
    assert!(listing(dir.path()).iter().any(|n| n.ends_with(".part")));
    assert!(m.cancel(id));
    assert_eq!(outcome(&m, id).await, Outcome::Cancelled);
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    assert!(!m.cancel(id));
}

async fn wait_for(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_continue_from_the_byte_where_it_stopped() {
    let server = FaultyServer::start();
    let body = content(11, 400_000);
    server.add("/f", body.clone());
    server.set_always(
        "/f",
        Some(Fault::Slow {
            bytes: 8_000,
            every: Duration::from_millis(10),
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let mut rx = m.subscribe();
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "paused");
    let m2 = m.clone();
    assert!(wait_for(|| m2.get(id).unwrap().bytes > 50_000).await);
    assert!(m.pause(id));
    let paused_at = loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(DownloadEvent::Paused { bytes, .. })) => break bytes,
            Ok(Some(_)) => continue,
            other => panic!("no Paused event: {other:?}"),
        }
    };
    let info = m.get(id).unwrap();
    assert_eq!(info.state, DownloadState::Paused);
    let path = info.path.unwrap();
    assert_eq!(
        std::fs::metadata(part_path(&path)).unwrap().len(),
        paused_at
    );
    assert!(paused_at > 0 && paused_at < 400_000);
    // Nothing moves while paused.
    let requests_before = server.requests("/f").len();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        std::fs::metadata(part_path(&path)).unwrap().len(),
        paused_at
    );
    assert_eq!(server.requests("/f").len(), requests_before);

    server.set_always("/f", None);
    assert!(m.resume(id));
    assert_file(&completed(outcome(&m, id).await), &body);
    let reqs = server.requests("/f");
    assert_eq!(
        reqs.last().unwrap().range.as_deref(),
        Some(format!("bytes={paused_at}-").as_str())
    );
    assert_eq!(reqs.last().unwrap().status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_holds() {
    let server = FaultyServer::start();
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    assert_eq!(m.concurrency(), 2);
    let mut ids = Vec::new();
    for i in 0..6 {
        let path = format!("/f{i}");
        server.add(&path, content(100 + i, 60_000));
        server.set_always(
            &path,
            Some(Fault::Slow {
                bytes: 10_000,
                every: Duration::from_millis(10),
            }),
        );
        ids.push(m.enqueue(url(&server.url(&path)), dir.path(), "same"));
    }
    let mut most = 0;
    for _ in 0..200 {
        let running = m
            .snapshot()
            .iter()
            .filter(|i| i.state == DownloadState::Running)
            .count();
        most = most.max(running);
        if m.snapshot().iter().all(|i| i.state.is_terminal()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for id in &ids {
        completed(outcome(&m, *id).await);
    }
    assert_eq!(most, 2);
    assert_eq!(server.max_concurrent(), 2);
    let names = listing(dir.path());
    assert_eq!(
        names,
        [
            "same-2.mp3",
            "same-3.mp3",
            "same-4.mp3",
            "same-5.mp3",
            "same-6.mp3",
            "same.mp3"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_a_loop_fails_clearly() {
    let server = FaultyServer::start();
    let body = content(12, 50_000);
    server.add("/real.m4a", body.clone());
    server.redirect("/a", "/b");
    server.redirect("/b", "/real.m4a");
    server.redirect("/loop1", "/loop2");
    server.redirect("/loop2", "/loop1");
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());
    let ok = m.enqueue(url(&server.url("/a")), dir.path(), "via redirects");
    let c = completed(outcome(&m, ok).await);
    assert_file(&c, &body);
    assert_eq!(c.path.file_name().unwrap(), "via redirects.mp3");

    let bad = m.enqueue(url(&server.url("/loop1")), dir.path(), "loop");
    match outcome(&m, bad).await {
        Outcome::Failed { error, .. } => {
            assert!(!error.retryable(), "{error}");
            assert!(error.to_string().contains("redirect"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let hops = server.requests("/loop1").len() + server.requests("/loop2").len();
    assert!(hops <= 12, "{hops} requests");
}

/// A disk that fills up after `limit` bytes of `.part` data.
struct FullDisk {
    limit: u64,
}

struct Limited {
    inner: Box<dyn PartFile>,
    left: u64,
}

impl PartFile for Limited {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.len() as u64 > self.left {
            let n = self.left as usize;
            self.inner.write_all(&buf[..n])?;
            self.left = 0;
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        self.left -= buf.len() as u64;
        self.inner.write_all(buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.inner.sync()
    }
}

impl Storage for FullDisk {
    fn open_part(&self, path: &Path, truncate: bool) -> io::Result<Box<dyn PartFile>> {
        Ok(Box::new(Limited {
            inner: FsStorage.open_part(path, truncate)?,
            left: self.limit,
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_clearly_without_retry_and_the_part_resumes_later() {
    let server = FaultyServer::start();
    let body = content(13, 300_000);
    server.add("/f", body.clone());
    let dir = tempfile::tempdir().unwrap();
    let full = DownloadManager::new(DownloadConfig {
        storage: Arc::new(FullDisk { limit: 100_000 }),
        ..cfg()
    });
    let id = full.enqueue(url(&server.url("/f")), dir.path(), "big");
    match outcome(&full, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "disk_full");
            assert!(!error.retryable());
            assert!(part_kept);
            let msg = error.to_string();
            assert!(msg.contains("disk is full"), "{msg}");
            assert!(msg.contains("big.mp3"), "{msg}");
            assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests("/f").len(), 1, "no retry on a full disk");
    assert!(!dir.path().join("big.mp3").exists());
    let part = part_path(&dir.path().join("big.mp3"));
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept <= 100_000, "{kept}");

    // Space freed: a new manager (a later run) resumes the part.
    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "big");
    assert_file(&completed(outcome(&m, id).await), &body);
    let reqs = server.requests("/f");
    assert_eq!(
        reqs[1].range.as_deref(),
        Some(format!("bytes={kept}-").as_str())
    );
    assert_eq!(listing(dir.path()), ["big.mp3"]);
}

#[test]
fn local_failures_map_to_clear_messages() {
    let dir = Path::new("/data/podcasts");
    let e = io_error(&io::Error::from_raw_os_error(28), "ep.mp3", dir); // ENOSPC
    assert_eq!(
        e.to_string(),
        "the disk is full while saving ep.mp3 to /data/podcasts; free some space, then resume the download"
    );
    assert!(!e.retryable() && e.keeps_part());
    let e = io_error(&io::Error::from_raw_os_error(30), "ep.mp3", dir); // EROFS
    assert_eq!(e.kind(), "read_only");
    assert!(e.to_string().contains("read-only"), "{e}");
    assert!(!e.retryable() && !e.keeps_part());
    let e = io_error(&io::Error::from_raw_os_error(13), "ep.mp3", dir); // EACCES
    assert_eq!(e.kind(), "permission_denied");
    assert!(e.to_string().contains("permission denied"), "{e}");
    let e = io_error(&io::Error::from_raw_os_error(122), "ep.mp3", dir); // EDQUOT
    assert_eq!(e.kind(), "disk_full");
    let e = io_error(&io::Error::from_raw_os_error(20), "", dir); // ENOTDIR
    assert_eq!(e.kind(), "not_a_directory");
    assert!(!e.retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_cannot_be_written_fails_clearly() {
    let server = FaultyServer::start();
    server.add("/f", content(14, 10_000));
    let tmp = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(cfg());

    // A "folder" under a regular file.
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let id = m.enqueue(url(&server.url("/f")), file.join("sub"), "x");
    match outcome(&m, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "not_a_directory", "{error}");
            assert!(!part_kept);
        }
        other => panic!("{other:?}"),
    }

    // A folder we may not write to. Root ignores permission bits, so as root use /sys (sysfs
    // refuses new files even to root) when it does.
    let (ro, expect): (PathBuf, &str) = if is_root() {
        let probe = Path::new("/sys/earshot-probe");
        if std::fs::write(probe, b"x").is_ok() {
            let _ = std::fs::remove_file(probe);
            eprintln!(
                "NOTICE: running as root with a writable /sys; read-only folder case skipped"
            );
            return;
        }
        (PathBuf::from("/sys"), "permission denied")
    } else {
        use std::os::unix::fs::PermissionsExt;
        let ro = tmp.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        (ro, "permission denied")
    };
    let id = m.enqueue(url(&server.url("/f")), &ro, "x");
    match outcome(&m, id).await {
        Outcome::Failed { error, part_kept } => {
            let msg = error.to_string();
            assert!(msg.contains(expect), "{msg}");
            assert!(msg.contains(&ro.display().to_string()), "{msg}");
            assert!(!error.retryable());
            assert!(!part_kept);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests("/f").len(), 1, "no retry");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_gone_fails_after_retries_with_a_clear_message() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(DownloadConfig {
        max_attempts: 3,
        ..cfg()
    });
    let mut rx = m.subscribe();
    let id = m.enqueue(
        url(&format!("http://127.0.0.1:{port}/ep.mp3")),
        dir.path(),
        "gone",
    );
    match outcome(&m, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "network");
            assert!(error.retryable());
            assert!(!part_kept);
            assert!(error.to_string().contains("could not connect"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let retries = drain(&mut rx)
        .into_iter()
        .filter(|e| matches!(e, DownloadEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
    assert!(listing(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_left_by_an_earlier_manager_is_resumed() {
    let server = FaultyServer::start();
    let body = content(15, 350_000);
    server.add("/f", body.clone());
    server.push_faults("/f", [Fault::CutAfter(120_000)]);
    let dir = tempfile::tempdir().unwrap();
    {
        let first = DownloadManager::new(DownloadConfig {
            max_attempts: 1,
            ..cfg()
        });
        let id = first.enqueue(url(&server.url("/f")), dir.path(), "resumed");
        match outcome(&first, id).await {
            Outcome::Failed { error, part_kept } => {
                assert!(error.retryable(), "{error}");
                assert!(part_kept);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        listing(dir.path()),
        ["resumed.mp3.part", "resumed.mp3.part.meta"]
    );
    let second = DownloadManager::new(cfg());
    // A different hint: the part is found by URL, and keeps its name.
    let id = second.enqueue(url(&server.url("/f")), dir.path(), "another title");
    let c = completed(outcome(&second, id).await);
    assert_eq!(c.path, dir.path().join("resumed.mp3"));
    assert_file(&c, &body);
    assert_eq!(
        server.requests("/f")[1].range.as_deref(),
        Some("bytes=120000-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_part_from_a_crashed_run_is_finished_without_downloading_again() {
    let server = FaultyServer::start();
    let body = content(16, 80_000);
    server.add("/f", body.clone());
    let dir = tempfile::tempdir().unwrap();
    // Learn the server's ETag, then stage what a run killed just before the rename leaves.
    let etag = {
        let r = reqwest::get(server.url("/f")).await.unwrap();
        r.headers()["etag"].to_str().unwrap().to_string()
    };
    let final_path = dir.path().join("staged.mp3");
    std::fs::write(part_path(&final_path), &body).unwrap();
    let meta = PartMeta {
        url: url(&server.url("/f")).to_string(),
        etag: Some(etag),
        total: Some(body.len() as u64),
        ..PartMeta::default()
    };
    std::fs::write(meta_path(&final_path), serde_json::to_vec(&meta).unwrap()).unwrap();

    let m = DownloadManager::new(cfg());
    let id = m.enqueue(url(&server.url("/f")), dir.path(), "");
    let c = completed(outcome(&m, id).await);
    assert_eq!(c.path, final_path);
    assert_file(&c, &body);
    let last = server.requests("/f").pop().unwrap();
    assert_eq!(last.range.as_deref(), Some("bytes=80000-"));
    assert_eq!(last.status, 416);
    assert_eq!(listing(dir.path()), ["staged.mp3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_sanitized_and_never_overwrite_an_existing_file() {
    let server = FaultyServer::start();
    let body = content(17, 20_000);
    server.add("/x", body.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("passwd.mp3"), b"mine").unwrap();
    let outside = dir.path().parent().unwrap().join("passwd.mp3");
    let m = DownloadManager::new(cfg());
    let mut ids = Vec::new();
    for hint in ["../../passwd", "/etc/passwd", "passwd"] {
        ids.push(m.enqueue(url(&server.url("/x")), dir.path(), hint));
    }
    let mut paths = Vec::new();
    for id in ids {
        let c = completed(outcome(&m, id).await);
        assert_eq!(c.path.parent().unwrap(), dir.path());
        assert_file(&c, &body);
        paths.push(c.path);
    }
    assert_eq!(
        std::fs::read(dir.path().join("passwd.mp3")).unwrap(),
        b"mine"
    );
    assert!(!outside.exists() || std::fs::read(&outside).unwrap() != body);
    let names = listing(dir.path());
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"passwd-2.mp3".to_string()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_downloads_pause_and_cancel_and_a_failed_one_can_be_retried() {
    let server = FaultyServer::start();
    let slow = content(18, 100_000);
    server.add("/slow", slow.clone());
    server.set_always(
        "/slow",
        Some(Fault::Slow {
            bytes: 10_000,
            every: Duration::from_millis(10),
        }),
    );
    server.add("/later", content(19, 10_000));
    let dir = tempfile::tempdir().unwrap();
    let m = DownloadManager::new(DownloadConfig {
        concurrency: 1,
        ..cfg()
    });
    let mut rx = m.subscribe();
    let a = m.enqueue(url(&server.url("/slow")), dir.path(), "a");
    let b = m.enqueue(url(&server.url("/later")), dir.path(), "b");
    let c = m.enqueue(url(&server.url("/not-yet")), dir.path(), "c");
    assert_eq!(m.get(b).unwrap().state, DownloadState::Queued);
    assert!(m.pause(b));
    assert_eq!(m.get(b).unwrap().state, DownloadState::Paused);
    assert!(m.cancel(b));
    assert_eq!(outcome(&m, b).await, Outcome::Cancelled);
    assert!(!m.resume(b), "a cancelled download stays cancelled");

    assert_file(&completed(outcome(&m, a).await), &slow);
    // c answered 404; once the file exists, resume retries it.
    assert!(matches!(outcome(&m, c).await, Outcome::Failed { .. }));
    let later = content(20, 30_000);
    server.add("/not-yet", later.clone());
    assert!(m.resume(c));
    assert_file(&completed(outcome(&m, c).await), &later);
    assert!(server.requests("/later").is_empty());
    assert_eq!(listing(dir.path()), ["a.mp3", "c.mp3"]);

    let for_b: Vec<DownloadEvent> = drain(&mut rx).into_iter().filter(|e| e.id() == b).collect();
    assert_eq!(
        for_b,
        [
            DownloadEvent::Queued { id: b },
            DownloadEvent::Paused { id: b, bytes: 0 },
            DownloadEvent::Cancelled { id: b },
        ]
    );
    assert!(m.forget(b));
    assert!(m.get(b).is_none());
    assert!(!m.forget(b));
}
