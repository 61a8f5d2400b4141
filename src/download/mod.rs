//! Downloads that survive bad networks: a queue with a concurrency limit, pause / resume /
//! cancel, progress events, resume by HTTP Range validated with If-Range, retries with
//! exponential backoff and jitter, and files that appear under their final name only when
//! complete.
//!
//! How a download is kept honest:
//! - bytes go to `<final>.part`; beside it `<final>.part.meta` (JSON) records the URL, the
//!   validators (ETag, Last-Modified) and the expected length, written before the first byte;
//! - a later attempt, run or process that downloads the same URL into the same folder finds the
//!   meta, hashes what the `.part` holds and asks for the rest (`Range` + `If-Range`); a `206`
//!   is appended, a `200` (the server ignores ranges, or the file changed) restarts from zero;
//! - when the body ends, its length must match Content-Length / Content-Range; the `.part` is
//!   fsynced and renamed (never over an existing file) to the final name, and the meta removed
//!   (along the way it is fsynced every 32 MiB, from a second handle so writing goes on);
//! - the content hash ([`HashKind`]: SHA-256 by default, BLAKE3 in the app) is computed while
//!   writing, so [`Completed`] carries size and hash for free; a resumed part is hashed again
//!   with the same kind before the rest is appended.
//!
//! Errors: network failures, stalls (no byte for [`DownloadConfig::stall_timeout`]) and 5xx
//! are retried with backoff; 4xx, a full disk or a folder we cannot write are not (see
//! [`DownloadError`]).

mod error;
mod hash;
mod names;
mod part;
mod storage;
mod transfer;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use url::Url;

pub use error::{io_error, DownloadError};
pub use hash::{ContentHasher, HashKind};
pub use names::{safe_file_name, unique_path, MAX_NAME_BYTES};
pub use part::{meta_path, part_path, PartMeta};
pub use storage::{FsStorage, PartFile, Storage};

/// Identifies a download within one [`DownloadManager`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DownloadId(pub u64);

impl std::fmt::Display for DownloadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What happens to downloads, in order for each download. Serializes as
/// `{"event": "progress", "id": 3, "bytes": …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DownloadEvent {
    /// Waiting for a free slot (after `enqueue`, or `resume` of a paused or failed download).
    Queued { id: DownloadId },
    /// Left the queue; connecting.
    Started { id: DownloadId },
    /// `bytes` of `total` (when known) are saved; `rate` in bytes/s over the last seconds.
    /// Sent at most every [`DownloadConfig::progress_interval`], and once at the end.
    Progress {
        id: DownloadId,
        bytes: u64,
        total: Option<u64>,
        rate: f64,
    },
    /// An attempt failed with a transient error; the next starts after `delay_ms`.
    Retrying {
        id: DownloadId,
        attempt: u32,
        delay_ms: u64,
        message: String,
    },
    /// Stopped on request; `bytes` are kept in the `.part` and the next attempt asks from there.
    Paused { id: DownloadId, bytes: u64 },
    /// `hash` is labelled with its kind: `"blake3:<hex>"` or `"sha256:<hex>"`.
    Completed {
        id: DownloadId,
        path: PathBuf,
        size: u64,
        hash: String,
    },
    /// `retryable`: the cause was transient (network, server); resuming later may succeed.
    /// `part_kept`: the partial file is kept, so a resume continues rather than restarts.
    Failed {
        id: DownloadId,
        message: String,
        kind: &'static str,
        retryable: bool,
        part_kept: bool,
    },
    /// Cancelled on request; the partial file is removed.
    Cancelled { id: DownloadId },
}

impl DownloadEvent {
    pub fn id(&self) -> DownloadId {
        match self {
            DownloadEvent::Queued { id }
            | DownloadEvent::Started { id }
            | DownloadEvent::Progress { id, .. }
            | DownloadEvent::Retrying { id, .. }
            | DownloadEvent::Paused { id, .. }
            | DownloadEvent::Completed { id, .. }
            | DownloadEvent::Failed { id, .. }
            | DownloadEvent::Cancelled { id } => *id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    Queued,
    Running,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl DownloadState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            DownloadState::Completed | DownloadState::Failed | DownloadState::Cancelled
        )
    }
}

/// A finished download: what the library should record (path, size, content hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completed {
    pub path: PathBuf,
    pub size: u64,
    /// The content hash labelled with its kind ([`DownloadConfig::hash`]): `"sha256:<hex>"` or
    /// `"blake3:<hex>"`, hex in lowercase.
    pub hash: String,
}

impl Completed {
    /// The SHA-256 as hex, when the manager was configured with [`HashKind::Sha256`].
    pub fn sha256(&self) -> Option<&str> {
        match HashKind::parse_label(&self.hash) {
            Some((HashKind::Sha256, hex)) => Some(hex),
            _ => None,
        }
    }

    /// The kind of [`Completed::hash`] and its hex digest.
    pub fn hash_parts(&self) -> Option<(HashKind, &str)> {
        HashKind::parse_label(&self.hash)
    }
}

/// How a download ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Completed(Completed),
    Failed {
        error: DownloadError,
        part_kept: bool,
    },
    Cancelled,
}

/// A snapshot of one download, for a downloads view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownloadInfo {
    pub id: DownloadId,
    pub url: String,
    pub dir: PathBuf,
    pub name_hint: String,
    pub state: DownloadState,
    /// The final path, once chosen (at the first answer, or when an earlier part is found).
    pub path: Option<PathBuf>,
    pub bytes: u64,
    pub total: Option<u64>,
    pub rate: f64,
    /// Once completed: the labelled content hash, as [`Completed::hash`].
    pub hash: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct DownloadConfig {
    /// How many downloads run at once (at least 1). Default 2.
    pub concurrency: usize,
    /// A response that delivers no byte for this long is abandoned and retried. Default 30 s.
    pub stall_timeout: Duration,
    /// Default 15 s.
    pub connect_timeout: Duration,
    /// Consecutive attempts that may fail without the file growing before the download fails.
    /// An attempt that saved new bytes resets the count, so a long download on a flaky line
    /// keeps going. `1` means no retry. Default 8.
    pub max_attempts: u32,
    /// The first retry waits about this long (with jitter: between half and all of it); each
    /// further one doubles, up to `backoff_max`. Defaults 1 s and 60 s.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Progress events at most this often per download. Default 250 ms.
    pub progress_interval: Duration,
    /// Where `.part` data is written ([`FsStorage`]; tests inject failures).
    pub storage: Arc<dyn Storage>,
    /// The content hash computed while writing (and over a resumed part). Default SHA-256
    /// (what `earshot-cli download` prints); the app uses BLAKE3, which costs a fraction of
    /// the CPU and so keeps up with a fast (loopback, LAN) download.
    pub hash: HashKind,
}

impl Default for DownloadConfig {
    fn default() -> Self {
        Self {
            concurrency: 2,
            stall_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            max_attempts: 8,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            progress_interval: Duration::from_millis(250),
            storage: Arc::new(FsStorage),
            hash: HashKind::Sha256,
        }
    }
}

impl std::fmt::Debug for DownloadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadConfig")
            .field("concurrency", &self.concurrency)
            .field("stall_timeout", &self.stall_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .field("progress_interval", &self.progress_interval)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// Redirects followed per request.
pub const MAX_REDIRECTS: usize = 10;

/// What a running download is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Run,
    Pause,
    Cancel,
}

/// How one run of a download ended (a run ends at completion, failure, pause or cancel).
pub(crate) enum RunEnd {
    Completed(Completed),
    Failed(DownloadError, bool),
    Paused(u64),
    Cancelled,
}

struct Job {
    url: Url,
    dir: PathBuf,
    hint: String,
    state: DownloadState,
    /// What the user last asked for; reconciled with how a run ended.
    want: Control,
    ctl: Option<watch::Sender<Control>>,
    path: Option<PathBuf>,
    bytes: u64,
    total: Option<u64>,
    rate: f64,
    hash: Option<String>,
    error: Option<String>,
    outcome: watch::Sender<Option<Outcome>>,
}

struct State {
    next_id: u64,
    jobs: HashMap<DownloadId, Job>,
    queue: VecDeque<DownloadId>,
    active: usize,
    concurrency: usize,
    /// Final paths held by downloads not yet finished, so two never share a name or a part.
    claimed: HashMap<PathBuf, DownloadId>,
}

pub(crate) struct Inner {
    pub(crate) cfg: DownloadConfig,
    pub(crate) client: reqwest::Client,
    rt: tokio::runtime::Handle,
    state: Mutex<State>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<DownloadEvent>>>,
}

/// The download queue. Cheap to clone (shared); methods never block on the network.
///
/// Create it inside a tokio runtime ([`DownloadManager::new`]) or hand it one
/// ([`DownloadManager::with_runtime`]); downloads run as tasks on that runtime.
#[derive(Clone)]
pub struct DownloadManager {
    inner: Arc<Inner>,
}

impl DownloadManager {
    /// Panics outside a tokio runtime; see [`DownloadManager::with_runtime`].
    pub fn new(cfg: DownloadConfig) -> Self {
        Self::with_runtime(cfg, tokio::runtime::Handle::current())
    }

    pub fn with_runtime(cfg: DownloadConfig, rt: tokio::runtime::Handle) -> Self {
        let client = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
                .connect_timeout(cfg.connect_timeout)
                // Ranges are over the stored bytes; a compressed representation would break them.
                .no_gzip()
                .user_agent(concat!(
                    "Earshot/",
                    env!("CARGO_PKG_VERSION"),
                    " (podcast player)"
                ))
                .build()
                .expect("HTTP client configuration is valid")
        };
        let concurrency = cfg.concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                cfg,
                client,
                rt,
                state: Mutex::new(State {
                    next_id: 1,
                    jobs: HashMap::new(),
                    queue: VecDeque::new(),
                    active: 0,
                    concurrency,
                    claimed: HashMap::new(),
                }),
                subscribers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Every event from now on, for every download, in order per download. Drop the receiver
    /// to unsubscribe. (Progress events are throttled, so an idle reader costs little.)
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<DownloadEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.subscribers.lock().unwrap().push(tx);
        rx
    }

    /// Queues `url` for download into `dest_dir` (created if missing). The file is named from
    /// `name_hint` (e.g. the episode title; may be empty) via [`safe_file_name`], made unique in
    /// the folder. If the folder holds a `.part` of the same URL from an earlier run, the
    /// download resumes it (and keeps its name).
    pub fn enqueue(&self, url: Url, dest_dir: impl Into<PathBuf>, name_hint: &str) -> DownloadId {
        let mut st = self.inner.state.lock().unwrap();
        let id = DownloadId(st.next_id);
        st.next_id += 1;
        let (outcome, _) = watch::channel(None);
        st.jobs.insert(
            id,
            Job {
                url,
                dir: dest_dir.into(),
                hint: name_hint.to_string(),
                state: DownloadState::Queued,
                want: Control::Run,
                ctl: None,
                path: None,
                bytes: 0,
                total: None,
                rate: 0.0,
                hash: None,
                error: None,
                outcome,
            },
        );
        st.queue.push_back(id);
        self.inner.emit(DownloadEvent::Queued { id });
        self.inner.pump(&mut st);
        id
    }

    /// Pauses a queued or running download, keeping what has arrived. Returns false if it is
    /// not queued or running.
    pub fn pause(&self, id: DownloadId) -> bool {
        let mut st = self.inner.state.lock().unwrap();
        let Some(job) = st.jobs.get_mut(&id) else {
            return false;
        };
        match job.state {
            DownloadState::Queued => {
                job.state = DownloadState::Paused;
                job.want = Control::Pause;
                job.rate = 0.0;
                let bytes = job.bytes;
                st.queue.retain(|q| *q != id);
                self.inner.emit(DownloadEvent::Paused { id, bytes });
                true
            }
            DownloadState::Running => {
                job.want = Control::Pause;
                if let Some(ctl) = &job.ctl {
                    let _ = ctl.send(Control::Pause);
                }
                true
            }
            _ => false,
        }
    }

    /// Resumes a paused download, or retries a failed one (from its `.part` when kept).
    /// Returns false if there is nothing to resume.
    pub fn resume(&self, id: DownloadId) -> bool {
        let mut st = self.inner.state.lock().unwrap();
        let Some(job) = st.jobs.get_mut(&id) else {
            return false;
        };
        match job.state {
            DownloadState::Paused | DownloadState::Failed => {
                job.state = DownloadState::Queued;
                job.want = Control::Run;
                job.error = None;
                job.outcome.send_replace(None);
                st.queue.push_back(id);
                self.inner.emit(DownloadEvent::Queued { id });
                self.inner.pump(&mut st);
                true
            }
            DownloadState::Running if job.want == Control::Pause => {
                job.want = Control::Run;
                if let Some(ctl) = &job.ctl {
                    let _ = ctl.send(Control::Run);
                }
                true
            }
            _ => false,
        }
    }

    /// Cancels a download that has not finished, removing its partial file. Returns false if it
    /// had already completed (or was cancelled).
    pub fn cancel(&self, id: DownloadId) -> bool {
        let mut st = self.inner.state.lock().unwrap();
        let Some(job) = st.jobs.get_mut(&id) else {
            return false;
        };
        match job.state {
            DownloadState::Running => {
                job.want = Control::Cancel;
                if let Some(ctl) = &job.ctl {
                    let _ = ctl.send(Control::Cancel);
                }
                true
            }
            DownloadState::Queued | DownloadState::Paused | DownloadState::Failed => {
                st.queue.retain(|q| *q != id);
                self.inner.cancelled(&mut st, id);
                true
            }
            _ => false,
        }
    }

    /// Pauses everything queued or running (e.g. when the app quits): parts are kept, and a
    /// later enqueue of the same URLs into the same folders resumes them.
    pub fn pause_all(&self) {
        let ids: Vec<DownloadId> = {
            let st = self.inner.state.lock().unwrap();
            st.jobs
                .iter()
                .filter(|(_, j)| matches!(j.state, DownloadState::Queued | DownloadState::Running))
                .map(|(id, _)| *id)
                .collect()
        };
        for id in ids {
            self.pause(id);
        }
    }

    /// Changes how many downloads run at once (at least 1). Running ones beyond a lowered limit
    /// finish; no new one starts until below it.
    pub fn set_concurrency(&self, n: usize) {
        let mut st = self.inner.state.lock().unwrap();
        st.concurrency = n.max(1);
        self.inner.pump(&mut st);
    }

    pub fn concurrency(&self) -> usize {
        self.inner.state.lock().unwrap().concurrency
    }

    pub fn get(&self, id: DownloadId) -> Option<DownloadInfo> {
        let st = self.inner.state.lock().unwrap();
        st.jobs.get(&id).map(|j| info(id, j))
    }

    /// Every download this manager knows, by id.
    pub fn snapshot(&self) -> Vec<DownloadInfo> {
        let st = self.inner.state.lock().unwrap();
        let mut all: Vec<DownloadInfo> = st.jobs.iter().map(|(id, j)| info(*id, j)).collect();
        all.sort_by_key(|i| i.id);
        all
    }

    /// Forgets a finished (completed, failed or cancelled) download. Returns whether it did.
    pub fn forget(&self, id: DownloadId) -> bool {
        let mut st = self.inner.state.lock().unwrap();
        if st.jobs.get(&id).is_some_and(|j| j.state.is_terminal()) {
            st.jobs.remove(&id);
            true
        } else {
            false
        }
    }

    /// Waits until the download completes, fails or is cancelled (a paused download is waited
    /// for until resumed and finished). `None` for an unknown id.
    pub async fn wait(&self, id: DownloadId) -> Option<Outcome> {
        let mut rx = {
            let st = self.inner.state.lock().unwrap();
            st.jobs.get(&id)?.outcome.subscribe()
        };
        let outcome = rx.wait_for(|o| o.is_some()).await.ok()?;
        outcome.clone()
    }
}

fn info(id: DownloadId, j: &Job) -> DownloadInfo {
    DownloadInfo {
        id,
        url: j.url.to_string(),
        dir: j.dir.clone(),
        name_hint: j.hint.clone(),
        state: j.state,
        path: j.path.clone(),
        bytes: j.bytes,
        total: j.total,
        rate: j.rate,
        hash: j.hash.clone(),
        error: j.error.clone(),
    }
}

impl Inner {
    pub(crate) fn emit(&self, event: DownloadEvent) {
        let mut subs = self.subscribers.lock().unwrap();
        subs.retain(|tx| tx.send(event.clone()).is_ok());
    }

    /// Starts queued downloads while there are free slots.
    fn pump(self: &Arc<Self>, st: &mut State) {
        while st.active < st.concurrency {
            let Some(id) = st.queue.pop_front() else {
                break;
            };
            let Some(job) = st.jobs.get_mut(&id) else {
                continue;
            };
            if job.state != DownloadState::Queued {
                continue;
            }
            let (ctl_tx, ctl_rx) = watch::channel(Control::Run);
            job.state = DownloadState::Running;
            job.want = Control::Run;
            job.ctl = Some(ctl_tx);
            st.active += 1;
            let spec = transfer::Spec {
                id,
                url: job.url.clone(),
                dir: job.dir.clone(),
                hint: job.hint.clone(),
                known_path: job.path.clone(),
            };
            self.emit(DownloadEvent::Started { id });
            let inner = self.clone();
            self.rt.spawn(async move {
                let end = transfer::run(&inner, spec, ctl_rx).await;
                inner.finish(id, end);
            });
        }
    }

    /// Records how a run ended, reconciled with what the user asked meanwhile.
    fn finish(self: &Arc<Self>, id: DownloadId, end: RunEnd) {
        let mut st = self.state.lock().unwrap();
        st.active = st.active.saturating_sub(1);
        let Some(job) = st.jobs.get_mut(&id) else {
            self.pump(&mut st);
            return;
        };
        job.ctl = None;
        job.rate = 0.0;
        match end {
            RunEnd::Completed(done) => {
                job.state = DownloadState::Completed;
                job.bytes = done.size;
                job.total = Some(done.size);
                job.hash = Some(done.hash.clone());
                job.path = Some(done.path.clone());
                st.claimed.retain(|_, owner| *owner != id);
                // The event first: whoever `wait`s then finds it already sent.
                self.emit(DownloadEvent::Completed {
                    id,
                    path: done.path.clone(),
                    size: done.size,
                    hash: done.hash.clone(),
                });
                self.set_outcome(&st, id, Outcome::Completed(done));
            }
            RunEnd::Failed(error, part_kept) => {
                job.state = DownloadState::Failed;
                job.error = Some(error.to_string());
                st.claimed.retain(|_, owner| *owner != id);
                self.emit(DownloadEvent::Failed {
                    id,
                    message: error.to_string(),
                    kind: error.kind(),
                    retryable: error.retryable(),
                    part_kept,
                });
                self.set_outcome(&st, id, Outcome::Failed { error, part_kept });
            }
            RunEnd::Paused(bytes) => {
                job.bytes = bytes;
                match job.want {
                    Control::Run => {
                        // Resumed before the pause took effect: queue again.
                        job.state = DownloadState::Queued;
                        st.queue.push_front(id);
                        self.emit(DownloadEvent::Queued { id });
                    }
                    Control::Pause => {
                        job.state = DownloadState::Paused;
                        self.emit(DownloadEvent::Paused { id, bytes });
                    }
                    Control::Cancel => self.cancelled(&mut st, id),
                }
            }
            RunEnd::Cancelled => self.cancelled(&mut st, id),
        }
        self.pump(&mut st);
    }

    /// Marks `id` cancelled, removing its partial file and releasing its name.
    fn cancelled(&self, st: &mut State, id: DownloadId) {
        let Some(job) = st.jobs.get_mut(&id) else {
            return;
        };
        if let Some(path) = &job.path {
            if st.claimed.get(path).is_none_or(|owner| *owner == id) {
                part::remove_part(path);
            }
        }
        job.state = DownloadState::Cancelled;
        job.want = Control::Cancel;
        job.ctl = None;
        job.rate = 0.0;
        st.claimed.retain(|_, owner| *owner != id);
        self.emit(DownloadEvent::Cancelled { id });
        self.set_outcome(st, id, Outcome::Cancelled);
    }

    fn set_outcome(&self, st: &State, id: DownloadId, outcome: Outcome) {
        if let Some(job) = st.jobs.get(&id) {
            job.outcome.send_replace(Some(outcome));
        }
    }

    /// Claims a `.part` of `url` left in `dir` by an earlier run (this download's own first,
    /// if it has a path already). Returns its final path.
    pub(crate) fn claim_resumable(
        &self,
        id: DownloadId,
        dir: &Path,
        url: &str,
        known: Option<&Path>,
    ) -> Option<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(k) = known {
            if part::read_meta(k).is_some_and(|m| m.url == url) {
                candidates.push(k.to_path_buf());
            }
        }
        candidates.extend(part::resumable_parts(dir, url));
        let mut st = self.state.lock().unwrap();
        let chosen = candidates
            .into_iter()
            .find(|c| st.claimed.get(c).is_none_or(|owner| *owner == id))?;
        st.claimed.insert(chosen.clone(), id);
        if let Some(job) = st.jobs.get_mut(&id) {
            job.path = Some(chosen.clone());
        }
        Some(chosen)
    }

    /// Claims a fresh, unique final path in `dir` for the safe name `base`.
    pub(crate) fn claim_new(&self, id: DownloadId, dir: &Path, base: &str) -> PathBuf {
        let mut st = self.state.lock().unwrap();
        st.claimed.retain(|_, owner| *owner != id);
        let taken: HashSet<PathBuf> = st.claimed.keys().cloned().collect();
        let path = unique_path(dir, base, |p| taken.contains(p));
        st.claimed.insert(path.clone(), id);
        if let Some(job) = st.jobs.get_mut(&id) {
            job.path = Some(path.clone());
        }
        path
    }

    /// Records progress for snapshots and tells subscribers.
    pub(crate) fn progress(&self, id: DownloadId, bytes: u64, total: Option<u64>, rate: f64) {
        {
            let mut st = self.state.lock().unwrap();
            if let Some(job) = st.jobs.get_mut(&id) {
                job.bytes = bytes;
                job.total = total;
                job.rate = rate;
            }
        }
        self.emit(DownloadEvent::Progress {
            id,
            bytes,
            total,
            rate,
        });
    }
}

/// Downloads `url` into `dir` with a manager of its own and waits for the end: what
/// `earshot-cli download` runs. `on_event` sees every event (e.g. to print retries).
pub async fn download_one(
    url: Url,
    dir: &Path,
    name_hint: &str,
    cfg: DownloadConfig,
    mut on_event: impl FnMut(&DownloadEvent),
) -> Result<Completed, DownloadError> {
    let manager = DownloadManager::new(cfg);
    let mut events = manager.subscribe();
    let id = manager.enqueue(url, dir, name_hint);
    loop {
        let Some(event) = events.recv().await else {
            break;
        };
        on_event(&event);
        match event {
            DownloadEvent::Completed { .. }
            | DownloadEvent::Failed { .. }
            | DownloadEvent::Cancelled { .. } => break,
            _ => {}
        }
    }
    match manager.wait(id).await {
        Some(Outcome::Completed(done)) => Ok(done),
        Some(Outcome::Failed { error, .. }) => Err(error),
        _ => Err(DownloadError::Network {
            url: String::new(),
            cause: "the download was cancelled".into(),
        }),
    }
}
