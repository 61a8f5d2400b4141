//! The download manager against a misbehaving local server: each fault on its own, resume
//! across managers, pause / resume / cancel, the concurrency limit, and local failures (full
//! disk, read-only folder, server gone) with clear messages.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::faulty::{Fault, FaultyServer, FileOpts, Logged, Rng};
use common::listing;
use earshot::download::{
    io_error, meta_path, part_path, Completed, DownloadConfig, DownloadEvent, DownloadId,
    DownloadManager, DownloadState, FsStorage, HashKind, Outcome, PartFile, PartMeta, Storage,
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

async fn outcome(m: &DownloadManager, id: DownloadId) -> Outcome {
    tokio::time::timeout(Duration::from_secs(20), m.wait(id))
        .await
        .expect("the download ends within 20 s")
        .expect("a known download")
}

fn completed(o: Outcome) -> Completed {
    match o {
        Outcome::Completed(c) => c,
        other => panic!("expected completion, got {other:?}"),
    }
}

fn assert_file(c: &Completed, expected: &[u8]) {
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
fn labelled_hash(c: &Completed, expected: &[u8]) -> String {
    match c.hash_parts() {
        Some((HashKind::Sha256, _)) => format!("sha256:{}", sha256_hex(expected)),
        Some((HashKind::Blake3, _)) => format!("blake3:{}", blake3::hash(expected).to_hex()),
        None => panic!("not a labelled hash: {}", c.hash),
    }
}

/// A misbehaving server, an empty folder to download into, and a manager.
struct Rig {
    server: FaultyServer,
    dir: tempfile::TempDir,
    m: DownloadManager,
}

impl Rig {
    fn new(config: DownloadConfig) -> Self {
        Self {
            server: FaultyServer::start(),
            dir: tempfile::tempdir().unwrap(),
            m: DownloadManager::new(config),
        }
    }

    /// Serves `content(seed, len)` at `path`, its first requests meeting `faults`; returns it.
    fn serve(
        &self,
        path: &str,
        seed: u64,
        len: usize,
        faults: impl IntoIterator<Item = Fault>,
    ) -> Vec<u8> {
        self.serve_with(path, seed, len, FileOpts::default(), faults)
    }

    fn serve_with(
        &self,
        path: &str,
        seed: u64,
        len: usize,
        opts: FileOpts,
        faults: impl IntoIterator<Item = Fault>,
    ) -> Vec<u8> {
        let body = content(seed, len);
        self.server.add_with(path, body.clone(), opts);
        self.server.push_faults(path, faults);
        body
    }

    /// Serves `content(seed, len)` at `path`, `bytes` every 10 ms until told otherwise.
    fn serve_slowly(&self, path: &str, seed: u64, len: usize, bytes: usize) -> Vec<u8> {
        let body = self.serve(path, seed, len, []);
        let every = Duration::from_millis(10);
        self.server
            .set_always(path, Some(Fault::Slow { bytes, every }));
        body
    }

    /// `path` from the server into the folder, named after `hint`, by `m`.
    fn enqueue_with(&self, m: &DownloadManager, path: &str, hint: &str) -> DownloadId {
        m.enqueue(url(&self.server.url(path)), self.dir.path(), hint)
    }

    fn enqueue(&self, path: &str, hint: &str) -> DownloadId {
        self.enqueue_with(&self.m, path, hint)
    }

    /// Downloads `path` named after `hint`, which must complete.
    async fn fetch(&self, path: &str, hint: &str) -> Completed {
        completed(outcome(&self.m, self.enqueue(path, hint)).await)
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
    let r = Rig::new(cfg());
    let body = r.serve("/ep1.mp3", 1, 300_000, []);
    let mut rx = r.m.subscribe();
    let id = r.enqueue("/ep1.mp3", "Episode 1: Hello");
    let c = completed(outcome(&r.m, id).await);
    assert_eq!(c.path, r.dir.path().join("Episode 1_ Hello.mp3"));
    assert_file(&c, &body);
    assert_eq!(listing(r.dir.path()), ["Episode 1_ Hello.mp3"]);

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
    let info = r.m.get(id).unwrap();
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
    let r = Rig::new(DownloadConfig {
        hash: HashKind::Blake3,
        ..cfg()
    });
    // Cut twice (after 150,000 bytes, then 410,000 more): the run continues its own hash
    // state over two `Range` requests.
    let cuts = [Fault::CutAfter(150_000), Fault::CutAfter(410_000)];
    let body = r.serve("/b3", 101, 700_000, cuts);
    let mut rx = r.m.subscribe();
    let id = r.enqueue("/b3", "b3");
    let c = completed(outcome(&r.m, id).await);
    assert_file(&c, &body);
    assert_eq!(c.hash, format!("blake3:{}", blake3_hex(&body)));
    assert_eq!(
        c.hash_parts(),
        Some((HashKind::Blake3, blake3_hex(&body).as_str()))
    );
    assert_eq!(c.sha256(), None, "not a SHA-256");
    let reqs = r.server.requests("/b3");
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=150000-"));
    assert_eq!(reqs[2].range.as_deref(), Some("bytes=560000-"));
    assert_eq!(reqs[2].status, 206);
    assert_eq!(r.m.get(id).unwrap().hash.as_deref(), Some(c.hash.as_str()));
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
        let r = Rig::new(DownloadConfig {
            hash: HashKind::Blake3,
            ..cfg()
        });
        let body = r.serve("/f", 102 + n as u64, 500_000, [Fault::CutAfter(230_000)]);
        {
            let first = DownloadManager::new(DownloadConfig {
                max_attempts: 1,
                hash: first_kind,
                ..cfg()
            });
            let id = r.enqueue_with(&first, "/f", "left");
            assert!(matches!(
                outcome(&first, id).await,
                Outcome::Failed {
                    part_kept: true,
                    ..
                }
            ));
        }
        let c = r.fetch("/f", "left").await;
        assert_eq!(
            c.hash,
            format!("blake3:{}", blake3_hex(&body)),
            "{first_kind}"
        );
        assert_file(&c, &body);
        let reqs = r.server.requests("/f");
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
    let storage = Arc::new(CountingStorage::default());
    let r = Rig::new(DownloadConfig {
        hash: HashKind::Blake3,
        storage: storage.clone(),
        ..cfg()
    });
    let body = r.serve("/big", 104, 80 << 20, [Fault::CutAfter(40 << 20)]);
    let id = r.enqueue("/big", "big");
    let c = tokio::time::timeout(Duration::from_secs(120), r.m.wait(id))
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
    let reqs = r.server.requests("/big");
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[1].status, 206);
}

/// Downloads `content(seed, len)` served with `opts`, the first answer cut after `cut` bytes;
/// the file must arrive whole. Returns the requests the server saw.
async fn cut_once(opts: FileOpts, seed: u64, len: usize, cut: usize) -> Vec<Logged> {
    let r = Rig::new(cfg());
    let body = r.serve_with("/f", seed, len, opts, [Fault::CutAfter(cut)]);
    assert_file(&r.fetch("/f", "cut").await, &body);
    r.server.requests("/f")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_with_range_and_if_range() {
    let reqs = cut_once(FileOpts::default(), 2, 400_000, 150_000).await;
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].range, None);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=150000-"));
    assert!(reqs[1].if_range.as_deref().unwrap().starts_with("\"v1-"));
    assert_eq!(reqs[1].status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_is_detected_and_the_download_resumes() {
    let r = Rig::new(cfg());
    let stall = Fault::Stall {
        after: 60_000,
        pause: Duration::from_secs(5),
    };
    let body = r.serve("/f", 3, 200_000, [stall]);
    let mut rx = r.m.subscribe();
    let t = std::time::Instant::now();
    assert_file(&r.fetch("/f", "stall").await, &body);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let reqs = r.server.requests("/f");
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
    let r = Rig::new(cfg());
    let body = r.serve("/f", 4, 100_000, [Fault::Status(500), Fault::Status(503)]);
    let mut rx = r.m.subscribe();
    let c = r.fetch("/f", "").await;
    assert_eq!(c.path.file_name().unwrap(), "f.mp3");
    assert_file(&c, &body);
    assert_eq!(r.server.requests("/f").len(), 3);
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
    let r = Rig::new(cfg());
    // 200 announcing more than it sends, then closing.
    let a = r.serve("/a", 5, 120_000, [Fault::WrongLength]);
    // 206 whose Content-Length contradicts its Content-Range.
    let b = r.serve(
        "/b",
        6,
        120_000,
        [Fault::CutAfter(30_000), Fault::WrongLength],
    );

    let ia = r.enqueue("/a", "a");
    let ib = r.enqueue("/b", "b");
    assert_file(&completed(outcome(&r.m, ia).await), &a);
    assert_file(&completed(outcome(&r.m, ib).await), &b);
    assert!(r.server.requests("/a").len() >= 2);
    let rb = r.server.requests("/b");
    assert_eq!(rb.len(), 3, "{rb:?}");
    assert_eq!(rb[2].range.as_deref(), Some("bytes=30000-"));
    assert_eq!(listing(r.dir.path()), ["a.mp3", "b.mp3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_range_restarts_the_file_from_zero() {
    let opts = FileOpts {
        ranges: false,
        ..FileOpts::default()
    };
    let reqs = cut_once(opts, 7, 250_000, 100_000).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=100000-"));
    assert_eq!(reqs[1].status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_between_attempts_is_downloaded_again_whole() {
    let r = Rig::new(cfg());
    let old = r.serve(
        "/f",
        8,
        300_000,
        [Fault::CutAfter(200_000), Fault::ChangeFile],
    );
    let c = r.fetch("/f", "changed").await;
    let new = r.server.content("/f");
    assert_ne!(*new, old);
    assert_file(&c, &new);
    let reqs = r.server.requests("/f");
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].if_range.as_deref().unwrap().starts_with("\"v1-"));
    assert_eq!(
        reqs[1].status, 200,
        "If-Range did not match: whole new file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_validators_a_part_is_not_trusted_and_restarts() {
    let opts = FileOpts {
        etag: false,
        last_modified: false,
        ..FileOpts::default()
    };
    let reqs = cut_once(opts, 9, 150_000, 50_000).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_fails_at_once_without_retry_and_leaves_nothing() {
    let r = Rig::new(cfg());
    let mut rx = r.m.subscribe();
    let id = r.enqueue("/missing.mp3", "gone");
    match outcome(&r.m, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "refused");
            assert!(!error.retryable());
            assert!(!part_kept);
            assert!(error.to_string().contains("404"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.server.requests("/missing.mp3").len(), 1);
    assert!(listing(r.dir.path()).is_empty());
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
    let r = Rig::new(cfg());
    r.serve_slowly("/f", 10, 400_000, 8_000);
    let id = r.enqueue("/f", "cancel me");
    let m2 = r.m.clone();
    assert!(
        wait_for(|| m2.get(id).unwrap().bytes > 40_000).await,
        "some progress"
    );
    assert!(listing(r.dir.path()).iter().any(|n| n.ends_with(".part")));
    assert!(r.m.cancel(id));
    assert_eq!(outcome(&r.m, id).await, Outcome::Cancelled);
    assert!(
        listing(r.dir.path()).is_empty(),
        "{:?}",
        listing(r.dir.path())
    );
    assert!(!r.m.cancel(id));
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
    let r = Rig::new(cfg());
    let body = r.serve_slowly("/f", 11, 400_000, 8_000);
    let mut rx = r.m.subscribe();
    let id = r.enqueue("/f", "paused");
    let m2 = r.m.clone();
    assert!(wait_for(|| m2.get(id).unwrap().bytes > 50_000).await);
    assert!(r.m.pause(id));
    let paused_at = loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(DownloadEvent::Paused { bytes, .. })) => break bytes,
            Ok(Some(_)) => continue,
            other => panic!("no Paused event: {other:?}"),
        }
    };
    let info = r.m.get(id).unwrap();
    assert_eq!(info.state, DownloadState::Paused);
    let path = info.path.unwrap();
    assert_eq!(
        std::fs::metadata(part_path(&path)).unwrap().len(),
        paused_at
    );
    assert!(paused_at > 0 && paused_at < 400_000);
    // Nothing moves while paused.
    let requests_before = r.server.requests("/f").len();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        std::fs::metadata(part_path(&path)).unwrap().len(),
        paused_at
    );
    assert_eq!(r.server.requests("/f").len(), requests_before);

    r.server.set_always("/f", None);
    assert!(r.m.resume(id));
    assert_file(&completed(outcome(&r.m, id).await), &body);
    let reqs = r.server.requests("/f");
    assert_eq!(
        reqs.last().unwrap().range.as_deref(),
        Some(format!("bytes={paused_at}-").as_str())
    );
    assert_eq!(reqs.last().unwrap().status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_holds() {
    let r = Rig::new(cfg());
    assert_eq!(r.m.concurrency(), 2);
    let mut ids = Vec::new();
    for i in 0..6 {
        let path = format!("/f{i}");
        r.serve_slowly(&path, 100 + i, 60_000, 10_000);
        ids.push(r.enqueue(&path, "same"));
    }
    let mut most = 0;
    for _ in 0..200 {
        let running =
            r.m.snapshot()
                .iter()
                .filter(|i| i.state == DownloadState::Running)
                .count();
        most = most.max(running);
        if r.m.snapshot().iter().all(|i| i.state.is_terminal()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for id in &ids {
        completed(outcome(&r.m, *id).await);
    }
    assert_eq!(most, 2);
    assert_eq!(r.server.max_concurrent(), 2);
    let names = listing(r.dir.path());
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
    let r = Rig::new(cfg());
    let body = r.serve("/real.m4a", 12, 50_000, []);
    r.server.redirect("/a", "/b");
    r.server.redirect("/b", "/real.m4a");
    r.server.redirect("/loop1", "/loop2");
    r.server.redirect("/loop2", "/loop1");
    let ok = r.enqueue("/a", "via redirects");
    let c = completed(outcome(&r.m, ok).await);
    assert_file(&c, &body);
    assert_eq!(c.path.file_name().unwrap(), "via redirects.mp3");

    let bad = r.enqueue("/loop1", "loop");
    match outcome(&r.m, bad).await {
        Outcome::Failed { error, .. } => {
            assert!(!error.retryable(), "{error}");
            assert!(error.to_string().contains("redirect"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let hops = r.server.requests("/loop1").len() + r.server.requests("/loop2").len();
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
    let r = Rig::new(cfg());
    let body = r.serve("/f", 13, 300_000, []);
    let full = DownloadManager::new(DownloadConfig {
        storage: Arc::new(FullDisk { limit: 100_000 }),
        ..cfg()
    });
    let id = r.enqueue_with(&full, "/f", "big");
    match outcome(&full, id).await {
        Outcome::Failed { error, part_kept } => {
            assert_eq!(error.kind(), "disk_full");
            assert!(!error.retryable());
            assert!(part_kept);
            let msg = error.to_string();
            assert!(msg.contains("disk is full"), "{msg}");
            assert!(msg.contains("big.mp3"), "{msg}");
            assert!(msg.contains(&r.dir.path().display().to_string()), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.server.requests("/f").len(), 1, "no retry on a full disk");
    assert!(!r.dir.path().join("big.mp3").exists());
    let part = part_path(&r.dir.path().join("big.mp3"));
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept <= 100_000, "{kept}");

    // Space freed: a new manager (a later run) resumes the part.
    assert_file(&r.fetch("/f", "big").await, &body);
    let reqs = r.server.requests("/f");
    assert_eq!(
        reqs[1].range.as_deref(),
        Some(format!("bytes={kept}-").as_str())
    );
    assert_eq!(listing(r.dir.path()), ["big.mp3"]);
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
    let r = Rig::new(cfg());
    r.serve("/f", 14, 10_000, []);
    let tmp = &r.dir;

    // A "folder" under a regular file.
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let id = r.m.enqueue(url(&r.server.url("/f")), file.join("sub"), "x");
    match outcome(&r.m, id).await {
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
    let id = r.m.enqueue(url(&r.server.url("/f")), &ro, "x");
    match outcome(&r.m, id).await {
        Outcome::Failed { error, part_kept } => {
            let msg = error.to_string();
            assert!(msg.contains(expect), "{msg}");
            assert!(msg.contains(&ro.display().to_string()), "{msg}");
            assert!(!error.retryable());
            assert!(!part_kept);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.server.requests("/f").len(), 1, "no retry");
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
    let r = Rig::new(cfg());
    let body = r.serve("/f", 15, 350_000, [Fault::CutAfter(120_000)]);
    {
        let first = DownloadManager::new(DownloadConfig {
            max_attempts: 1,
            ..cfg()
        });
        let id = r.enqueue_with(&first, "/f", "resumed");
        match outcome(&first, id).await {
            Outcome::Failed { error, part_kept } => {
                assert!(error.retryable(), "{error}");
                assert!(part_kept);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        listing(r.dir.path()),
        ["resumed.mp3.part", "resumed.mp3.part.meta"]
    );
    // A different hint: the part is found by URL, and keeps its name.
    let c = r.fetch("/f", "another title").await;
    assert_eq!(c.path, r.dir.path().join("resumed.mp3"));
    assert_file(&c, &body);
    assert_eq!(
        r.server.requests("/f")[1].range.as_deref(),
        Some("bytes=120000-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_part_from_a_crashed_run_is_finished_without_downloading_again() {
    let r = Rig::new(cfg());
    let body = r.serve("/f", 16, 80_000, []);
    // Learn the server's ETag, then stage what a run killed just before the rename leaves.
    let etag = {
        let resp = reqwest::get(r.server.url("/f")).await.unwrap();
        resp.headers()["etag"].to_str().unwrap().to_string()
    };
    let final_path = r.dir.path().join("staged.mp3");
    std::fs::write(part_path(&final_path), &body).unwrap();
    let meta = PartMeta {
        url: url(&r.server.url("/f")).to_string(),
        etag: Some(etag),
        total: Some(body.len() as u64),
        ..PartMeta::default()
    };
    std::fs::write(meta_path(&final_path), serde_json::to_vec(&meta).unwrap()).unwrap();

    let c = r.fetch("/f", "").await;
    assert_eq!(c.path, final_path);
    assert_file(&c, &body);
    let last = r.server.requests("/f").pop().unwrap();
    assert_eq!(last.range.as_deref(), Some("bytes=80000-"));
    assert_eq!(last.status, 416);
    assert_eq!(listing(r.dir.path()), ["staged.mp3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_sanitized_and_never_overwrite_an_existing_file() {
    let r = Rig::new(cfg());
    let body = r.serve("/x", 17, 20_000, []);
    std::fs::write(r.dir.path().join("passwd.mp3"), b"mine").unwrap();
    let outside = r.dir.path().parent().unwrap().join("passwd.mp3");
    let mut ids = Vec::new();
    for hint in ["../../passwd", "/etc/passwd", "passwd"] {
        ids.push(r.enqueue("/x", hint));
    }
    let mut paths = Vec::new();
    for id in ids {
        let c = completed(outcome(&r.m, id).await);
        assert_eq!(c.path.parent().unwrap(), r.dir.path());
        assert_file(&c, &body);
        paths.push(c.path);
    }
    assert_eq!(
        std::fs::read(r.dir.path().join("passwd.mp3")).unwrap(),
        b"mine"
    );
    assert!(!outside.exists() || std::fs::read(&outside).unwrap() != body);
    let names = listing(r.dir.path());
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"passwd-2.mp3".to_string()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_downloads_pause_and_cancel_and_a_failed_one_can_be_retried() {
    let r = Rig::new(DownloadConfig {
        concurrency: 1,
        ..cfg()
    });
    let slow = r.serve_slowly("/slow", 18, 100_000, 10_000);
    r.serve("/later", 19, 10_000, []);
    let mut rx = r.m.subscribe();
    let a = r.enqueue("/slow", "a");
    let b = r.enqueue("/later", "b");
    let c = r.enqueue("/not-yet", "c");
    assert_eq!(r.m.get(b).unwrap().state, DownloadState::Queued);
    assert!(r.m.pause(b));
    assert_eq!(r.m.get(b).unwrap().state, DownloadState::Paused);
    assert!(r.m.cancel(b));
    assert_eq!(outcome(&r.m, b).await, Outcome::Cancelled);
    assert!(!r.m.resume(b), "a cancelled download stays cancelled");

    assert_file(&completed(outcome(&r.m, a).await), &slow);
    // c answered 404; once the file exists, resume retries it.
    assert!(matches!(outcome(&r.m, c).await, Outcome::Failed { .. }));
    let later = r.serve("/not-yet", 20, 30_000, []);
    assert!(r.m.resume(c));
    assert_file(&completed(outcome(&r.m, c).await), &later);
    assert!(r.server.requests("/later").is_empty());
    assert_eq!(listing(r.dir.path()), ["a.mp3", "c.mp3"]);

    let for_b: Vec<DownloadEvent> = drain(&mut rx).into_iter().filter(|e| e.id() == b).collect();
    assert_eq!(
        for_b,
        [
            DownloadEvent::Queued { id: b },
            DownloadEvent::Paused { id: b, bytes: 0 },
            DownloadEvent::Cancelled { id: b },
        ]
    );
    assert!(r.m.forget(b));
    assert!(r.m.get(b).is_none());
    assert!(!r.m.forget(b));
}
