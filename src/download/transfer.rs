//! One run of one download: find an earlier part, then attempts (each one HTTP request) with
//! backoff between failures, until the file is complete, the user pauses or cancels, or an
//! error that retrying cannot fix.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::sync::{mpsc, watch};
use url::Url;

use super::error::{io_error, reqwest_cause, DownloadError};
use super::hash::ContentHasher;
use super::part::{self, part_path, PartMeta};
use super::storage::{PartFile, Storage};
use super::{safe_file_name, Completed, Control, DownloadEvent, DownloadId, Inner, RunEnd};

pub(crate) struct Spec {
    pub id: DownloadId,
    pub url: Url,
    pub dir: PathBuf,
    pub hint: String,
    /// The final path chosen by an earlier run of this download, if any.
    pub known_path: Option<PathBuf>,
}

/// The `.part` this run writes to.
struct PartState {
    /// The final path; the data is in `part_path(path)`.
    path: PathBuf,
    meta: PartMeta,
    /// Bytes in the `.part`, all hashed into `hasher`.
    len: u64,
    hasher: ContentHasher,
}

enum Step {
    /// The body is complete and the `.part` holds the whole file.
    Done,
    /// A short range arrived whole; ask for the rest (not a failure).
    Continue,
    Interrupted(Control),
}

struct Run<'a> {
    inner: &'a Arc<Inner>,
    spec: Spec,
    url_str: String,
    ctl: watch::Receiver<Control>,
    part: Option<PartState>,
    meter: RateMeter,
    last_progress: Option<Instant>,
}

pub(crate) async fn run(inner: &Arc<Inner>, spec: Spec, ctl: watch::Receiver<Control>) -> RunEnd {
    let url_str = spec.url.to_string();
    let mut run = Run {
        inner,
        spec,
        url_str,
        ctl,
        part: None,
        meter: RateMeter::default(),
        last_progress: None,
    };
    run.run().await
}

/// Resolves when the user asks for something other than `Run` (never, if the manager is gone).
async fn interrupted(ctl: &mut watch::Receiver<Control>) -> Control {
    loop {
        let c = *ctl.borrow_and_update();
        if c != Control::Run {
            return c;
        }
        if ctl.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Run<'_> {
    fn id(&self) -> DownloadId {
        self.spec.id
    }

    fn file_name(&self) -> String {
        self.part
            .as_ref()
            .and_then(|p| p.path.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn io(&self, e: &io::Error) -> DownloadError {
        io_error(e, &self.file_name(), &self.spec.dir)
    }

    fn bad(&self, reason: impl Into<String>) -> DownloadError {
        DownloadError::BadResponse {
            url: self.url_str.clone(),
            reason: reason.into(),
        }
    }

    fn stalled(&self) -> DownloadError {
        DownloadError::Stalled {
            url: self.url_str.clone(),
            secs: self.inner.cfg.stall_timeout.as_secs().max(1),
        }
    }

    fn net_error(&self, e: reqwest::Error) -> DownloadError {
        if e.is_timeout() {
            return self.stalled();
        }
        if e.is_redirect() {
            return DownloadError::TooManyRedirects {
                url: self.url_str.clone(),
                max: super::MAX_REDIRECTS,
            };
        }
        let cause = reqwest_cause(&e);
        let cause = if e.is_connect() {
            format!("could not connect ({cause})")
        } else if e.is_body() || e.is_decode() {
            format!("the connection broke off ({cause})")
        } else {
            cause
        };
        DownloadError::Network {
            url: self.url_str.clone(),
            cause,
        }
    }

    fn new_hasher(&self) -> ContentHasher {
        self.inner.cfg.hash.hasher()
    }

    fn part_len(&self) -> u64 {
        self.part.as_ref().map_or(0, |p| p.len)
    }

    async fn run(&mut self) -> RunEnd {
        if !matches!(self.spec.url.scheme(), "http" | "https") {
            return RunEnd::Failed(
                DownloadError::BadUrl {
                    url: self.url_str.clone(),
                },
                false,
            );
        }
        let dir = self.spec.dir.clone();
        if let Err(e) = ensure_dir(&dir) {
            return RunEnd::Failed(self.io(&e), false);
        }
        if let Some(path) = self.inner.claim_resumable(
            self.id(),
            &dir,
            &self.url_str,
            self.spec.known_path.as_deref(),
        ) {
            if let Err(error) = self.load_part(path).await {
                return self.failed(error);
            }
        }

        let cfg = &self.inner.cfg;
        let mut failures = 0u32;
        let mut rng = XorShift::new(self.id().0);
        loop {
            let now = *self.ctl.borrow();
            match now {
                Control::Run => {}
                Control::Pause => return self.paused(),
                Control::Cancel => return self.cancel(),
            }
            let before = self.part_len();
            let result = match self.attempt().await {
                Ok(Step::Done) => match self.finalize() {
                    Ok(done) => {
                        self.progress(done.size, Some(done.size), true);
                        return RunEnd::Completed(done);
                    }
                    Err(e) => Err(e),
                },
                other => other,
            };
            match result {
                Ok(Step::Done) | Ok(Step::Continue) => failures = 0,
                Ok(Step::Interrupted(Control::Pause)) => return self.paused(),
                Ok(Step::Interrupted(_)) => return self.cancel(),
                Err(e) if e.retryable() => {
                    if self.part_len() > before {
                        failures = 0;
                    }
                    failures += 1;
                    if failures >= cfg.max_attempts.max(1) {
                        return self.failed(e);
                    }
                    let delay = backoff(cfg.backoff_base, cfg.backoff_max, failures, &mut rng);
                    tracing::info!(id = %self.id(), %e, ?delay, "download attempt failed; retrying");
                    self.inner.emit(DownloadEvent::Retrying {
                        id: self.id(),
                        attempt: failures,
                        delay_ms: delay.as_millis() as u64,
                        message: e.to_string(),
                    });
                    tokio::select! {
                        biased;
                        c = interrupted(&mut self.ctl) => {
                            return if c == Control::Pause { self.paused() } else { self.cancel() };
                        }
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
                Err(e) => return self.failed(e),
            }
        }
    }

    fn failed(&mut self, error: DownloadError) -> RunEnd {
        let mut kept = false;
        if let Some(p) = &self.part {
            if error.keeps_part() {
                kept = part_path(&p.path).exists();
            } else {
                part::remove_part(&p.path);
            }
        }
        RunEnd::Failed(error, kept)
    }

    fn paused(&mut self) -> RunEnd {
        RunEnd::Paused(self.part_len())
    }

    fn cancel(&mut self) -> RunEnd {
        if let Some(p) = &self.part {
            part::remove_part(&p.path);
        }
        RunEnd::Cancelled
    }

    /// Takes over the `.part` of an earlier run: reads its meta and hashes what it holds.
    async fn load_part(&mut self, path: PathBuf) -> Result<(), DownloadError> {
        let meta = part::read_meta(&path).unwrap_or_else(|| PartMeta {
            url: self.url_str.clone(),
            ..PartMeta::default()
        });
        // Keep the name (it was claimed); the data only if it can be validated and fits.
        self.part = Some(PartState {
            path: path.clone(),
            meta: meta.clone(),
            len: 0,
            hasher: self.new_hasher(),
        });
        if meta.if_range().is_none() {
            self.reset_part()?;
        } else {
            let file = part_path(&path);
            let kind = self.inner.cfg.hash;
            let (len, hasher) =
                tokio::task::spawn_blocking(move || part::hash_existing(&file, kind))
                    .await
                    .map_err(io::Error::other)
                    .and_then(|r| r)
                    .map_err(|e| self.io(&e))?;
            tracing::info!(id = %self.id(), path = %path.display(), len, "resuming an earlier part");
            if meta.total.is_some_and(|t| len > t) {
                self.reset_part()?;
            } else if let Some(p) = self.part.as_mut() {
                p.len = len;
                p.hasher = hasher;
            }
        }
        self.progress(self.part_len(), meta.total, true);
        Ok(())
    }

    /// Empties the `.part` (the file changed, or it cannot be trusted): the next attempt
    /// starts from zero.
    fn reset_part(&mut self) -> Result<(), DownloadError> {
        let Some(p) = self.part.as_mut() else {
            return Ok(());
        };
        p.len = 0;
        p.hasher = self.inner.cfg.hash.hasher();
        self.meter = RateMeter::default();
        let file = part_path(&p.path);
        match std::fs::OpenOptions::new().write(true).open(&file) {
            Ok(f) => f.set_len(0).map_err(|e| self.io(&e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(&e)),
        }
    }

    /// One HTTP request: from the start, or for the rest of the part (`Range` + `If-Range`).
    async fn attempt(&mut self) -> Result<Step, DownloadError> {
        let resume = self
            .part
            .as_ref()
            .filter(|p| p.len > 0)
            .and_then(|p| p.meta.if_range().map(|v| (p.len, v.to_string())));
        let offset = resume.as_ref().map_or(0, |(len, _)| *len);
        let mut request = self.inner.client.get(self.spec.url.clone());
        if let Some((from, validator)) = &resume {
            request = request
                .header(RANGE, format!("bytes={from}-"))
                .header(IF_RANGE, validator.as_str());
        }
        let stall = self.inner.cfg.stall_timeout;
        let response = tokio::select! {
            biased;
            c = interrupted(&mut self.ctl) => return Ok(Step::Interrupted(c)),
            r = tokio::time::timeout(stall, request.send()) => match r {
                Err(_) => return Err(self.stalled()),
                Ok(Err(e)) => return Err(self.net_error(e)),
                Ok(Ok(r)) => r,
            },
        };
        let status = response.status();
        let headers = response.headers();
        let etag = header(headers, ETAG);
        let last_modified = header(headers, LAST_MODIFIED);
        let content_type = header(headers, CONTENT_TYPE);
        let content_length = response.content_length();

        // Where this body's bytes go, and where it must end.
        let (append, total, end_at) = match status.as_u16() {
            206 if offset > 0 => {
                let Some((start, end, total)) =
                    header(headers, CONTENT_RANGE).and_then(|v| parse_content_range(&v))
                else {
                    return Err(self.bad("a 206 answer without a valid Content-Range"));
                };
                if start != offset {
                    return Err(self.bad(format!(
                        "asked for the bytes from {offset}, got the bytes from {start}"
                    )));
                }
                if content_length.is_some_and(|cl| cl != end - start + 1) {
                    return Err(self.bad(format!(
                        "Content-Length {} disagrees with Content-Range {start}-{end}",
                        content_length.unwrap_or_default()
                    )));
                }
                let p = self.part.as_ref().expect("resuming a part");
                let changed = matches!((p.meta.total, total), (Some(a), Some(b)) if a != b)
                    || matches!((&p.meta.etag, &etag), (Some(a), Some(b)) if a != b);
                if changed {
                    self.reset_part()?;
                    return Err(self.bad("the file changed on the server; starting again"));
                }
                let total = total.or(p.meta.total);
                if total.is_some_and(|t| end >= t) {
                    return Err(self.bad(format!(
                        "Content-Range {start}-{end} runs past the end ({})",
                        total.unwrap_or_default()
                    )));
                }
                (true, total, Some(end + 1))
            }
            200 => {
                // A fresh download, or a restart: the server ignored the range or the file
                // changed (If-Range did not match). Either way: from zero.
                let meta = PartMeta {
                    url: self.url_str.clone(),
                    etag,
                    last_modified,
                    total: content_length,
                    content_type,
                };
                if offset > 0 {
                    tracing::info!(id = %self.id(), offset, "server sent the whole file; restarting from zero");
                }
                if self.part.is_none() {
                    let base = safe_file_name(
                        &self.spec.hint,
                        &self.spec.url,
                        meta.content_type.as_deref(),
                    );
                    let path = self.inner.claim_new(self.id(), &self.spec.dir, &base);
                    self.part = Some(PartState {
                        path,
                        meta: meta.clone(),
                        len: 0,
                        hasher: self.new_hasher(),
                    });
                }
                let fresh = self.new_hasher();
                let p = self.part.as_mut().expect("set above");
                p.meta = meta;
                p.len = 0;
                p.hasher = fresh;
                self.meter = RateMeter::default();
                let path = p.path.clone();
                let meta = p.meta.clone();
                // The meta goes first: a part on disk always has one.
                part::write_meta(&path, &meta).map_err(|e| self.io(&e))?;
                (false, content_length, content_length)
            }
            416 if offset > 0 => {
                let total = header(headers, CONTENT_RANGE).and_then(|v| {
                    v.trim()
                        .strip_prefix("bytes */")
                        .and_then(|t| t.trim().parse::<u64>().ok())
                });
                let p = self.part.as_ref().expect("resuming a part");
                if total == Some(offset) && p.meta.total.is_none_or(|t| t == offset) {
                    // The part already holds the whole file (an earlier run stopped just
                    // before renaming it).
                    return Ok(Step::Done);
                }
                self.reset_part()?;
                return Err(self.bad("the server cannot send the rest (416); starting again"));
            }
            408 | 429 => {
                return Err(DownloadError::ServerError {
                    url: self.url_str.clone(),
                    status: status.to_string(),
                })
            }
            _ if status.is_server_error() => {
                return Err(DownloadError::ServerError {
                    url: self.url_str.clone(),
                    status: status.to_string(),
                })
            }
            _ => {
                return Err(DownloadError::Refused {
                    url: self.url_str.clone(),
                    status: status.to_string(),
                })
            }
        };

        // A copy of the hash state: the part keeps its own until the writer hands back the
        // state that covers what it wrote (so a writer that fails to open changes nothing).
        let (path, hasher, len) = {
            let p = self.part.as_ref().expect("a part is chosen");
            (p.path.clone(), p.hasher.clone(), p.len)
        };
        let writer = Writer::open(
            self.inner.cfg.storage.clone(),
            part_path(&path),
            !append,
            hasher,
            len,
        )
        .await
        .map_err(|e| self.io(&e))?;

        let mut response = response;
        let mut received = len;
        // Network chunks can be small (a 16 KB TLS record); hand the writer (and hasher) big
        // batches so the threads wake a few hundred times per 100 MB, not tens of thousands.
        // A batch is the chunks themselves, not a copy: on loopback they average ~400 KB, and
        // gathering them into one buffer cost a memcpy (two, with its regrowth) of every byte.
        let mut batch = Batch::new();
        let mut batch_len = 0usize;
        let ended = loop {
            tokio::select! {
                biased;
                c = interrupted(&mut self.ctl) => break Ok(Some(c)),
                r = tokio::time::timeout(stall, response.chunk()) => match r {
                    Err(_) => break Err(self.stalled()),
                    Ok(Err(e)) => break Err(self.net_error(e)),
                    Ok(Ok(None)) => break Ok(None),
                    Ok(Ok(Some(chunk))) => {
                        let n = chunk.len() as u64;
                        if end_at.is_some_and(|e| received + n > e) {
                            break Err(self.bad("the server sent more bytes than it announced"));
                        }
                        batch_len += chunk.len();
                        batch.push(chunk);
                        if batch_len >= WRITE_BATCH {
                            batch_len = 0;
                            if writer.send(std::mem::take(&mut batch)).await.is_err() {
                                // The writer stopped on an error; `finish` reports it.
                                break Ok(None);
                            }
                        }
                        received += n;
                        self.progress(received, total, false);
                    }
                },
            }
        };
        drop(response);
        // What arrived is good whatever ended the body: keep it (a resume continues after it).
        if !batch.is_empty() {
            let _ = writer.send(batch).await;
        }
        let written = writer.finish().await;
        let p = self.part.as_mut().expect("a part is chosen");
        match written {
            Ok((hasher, len)) => {
                p.hasher = hasher;
                p.len = len;
            }
            Err(e) => return Err(self.io(&e)),
        }
        let len = p.len;
        match ended? {
            Some(c) => Ok(Step::Interrupted(c)),
            None => {
                if let Some(end) = end_at {
                    if len != end {
                        return Err(self.bad(format!("the body ended after {len} of {end} bytes")));
                    }
                }
                if total.is_some_and(|t| len < t) {
                    Ok(Step::Continue)
                } else {
                    Ok(Step::Done)
                }
            }
        }
    }

    /// Checks the complete part and moves it to its final name (never over another file).
    fn finalize(&mut self) -> Result<Completed, DownloadError> {
        let p = self.part.as_ref().expect("a complete part");
        let file = part_path(&p.path);
        let on_disk = match std::fs::metadata(&file) {
            Ok(m) => m.len(),
            Err(e) => return Err(self.io(&e)),
        };
        if on_disk != p.len {
            let reason = format!(
                "the partial file holds {on_disk} bytes, not the {} received",
                p.len
            );
            self.reset_part()?;
            return Err(self.bad(reason));
        }
        if let Some(total) = p.meta.total {
            if p.len != total {
                return Err(self.bad(format!("got {} of {total} bytes", p.len)));
            }
        }
        let size = p.len;
        let hash = p.hasher.clone().finalize_labelled();
        let claimed = p.path.clone();
        let mut target = claimed.clone();
        loop {
            match std::fs::hard_link(&file, &target) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&file);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(_) if std::fs::symlink_metadata(&target).is_err() => {
                    // No hard links here (FAT, some network shares): rename, the name being free.
                    std::fs::rename(&file, &target).map_err(|e| self.io(&e))?;
                    break;
                }
                Err(_) => {}
            }
            // Something took the name meanwhile: never overwrite it; take the next free one.
            let base = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            target = self.inner.claim_new(self.id(), &self.spec.dir, &base);
        }
        part::remove_part(&claimed);
        if let Ok(d) = std::fs::File::open(&self.spec.dir) {
            let _ = d.sync_all();
        }
        Ok(Completed {
            path: target,
            size,
            hash,
        })
    }

    fn progress(&mut self, bytes: u64, total: Option<u64>, force: bool) {
        let now = Instant::now();
        let due = self
            .last_progress
            .is_none_or(|t| now.duration_since(t) >= self.inner.cfg.progress_interval);
        if force || due {
            let rate = self.meter.update(now, bytes);
            self.last_progress = Some(now);
            self.inner.progress(self.id(), bytes, total, rate);
        }
    }
}

fn ensure_dir(dir: &Path) -> io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::from(io::ErrorKind::NotADirectory)),
        Err(_) => std::fs::create_dir_all(dir),
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `bytes 100-199/5000` → (100, 199, Some(5000)); `bytes 100-199/*` → (100, 199, None).
pub(crate) fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.trim().split_once('-')?;
    let (start, end) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, end, total))
}

/// How much is written between fsyncs while downloading: bounds what a crash can lose, and
/// spreads the cost of the final fsync over the download.
const SYNC_EVERY: u64 = 32 << 20;

/// Bytes gathered from the network before they go to the writing and hashing threads.
const WRITE_BATCH: usize = 1 << 20;

/// Network chunks, in order, handed to the writer together.
type Batch = Vec<bytes::Bytes>;

/// Appends to a `.part` on one blocking thread, hashes on another and fsyncs on a third, so
/// the network, disk writes, hashing and the disk's writeback all overlap.
///
/// Measured on 2 cores (`earshot-bench download`, 200 MiB on loopback): hashing BLAKE3 in the
/// writing thread instead saves nothing (the writer waits on the disk, and the hash then
/// waits with it), and SHA-256 there is ~30 % slower; the periodic fsyncs on the writing thread
/// itself held writes up for the whole writeback of each 32 MiB (0.7× curl, against ~1× now).
struct Writer {
    data: mpsc::Sender<Batch>,
    hash: mpsc::Sender<Batch>,
    write_join: tokio::task::JoinHandle<io::Result<u64>>,
    hash_join: tokio::task::JoinHandle<ContentHasher>,
    sync_join: tokio::task::JoinHandle<io::Result<()>>,
}

impl Writer {
    async fn open(
        storage: Arc<dyn Storage>,
        path: PathBuf,
        truncate: bool,
        hasher: ContentHasher,
        len: u64,
    ) -> io::Result<Self> {
        let (mut file, storage, path) = tokio::task::spawn_blocking(move || {
            storage
                .open_part(&path, truncate)
                .map(|f| (f, storage, path))
        })
        .await
        .map_err(io::Error::other)??;
        let (data, mut data_rx) = mpsc::channel::<Batch>(64);
        let (hash, mut hash_rx) = mpsc::channel::<Batch>(64);
        // The periodic fsyncs go through a second handle of the same file (fsync covers the
        // file, whichever handle wrote), opened at the first one: the writer asks and goes on
        // writing. At most one request waits; a sync covers everything written before it.
        let (sync_tx, sync_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let sync_join = tokio::task::spawn_blocking(move || {
            let mut handle: Option<Box<dyn PartFile>> = None;
            while sync_rx.recv().is_ok() {
                let h = match handle.as_mut() {
                    Some(h) => h,
                    None => match storage.open_part(&path, false) {
                        Ok(h) => handle.insert(h),
                        Err(e) => {
                            // Only the intermediate syncs are lost; the writer's final one
                            // still makes the file durable.
                            tracing::debug!(path = %path.display(), %e, "no handle to sync");
                            while sync_rx.recv().is_ok() {}
                            return Ok(());
                        }
                    },
                };
                h.sync()?;
            }
            Ok(())
        });
        let write_join = tokio::task::spawn_blocking(move || {
            let mut len = len;
            let mut unsynced = 0u64;
            while let Some(batch) = data_rx.blocking_recv() {
                for chunk in &batch {
                    file.write_all(chunk)?;
                    len += chunk.len() as u64;
                    unsynced += chunk.len() as u64;
                }
                if unsynced >= SYNC_EVERY {
                    let _ = sync_tx.try_send(());
                    unsynced = 0;
                }
            }
            drop(sync_tx);
            file.sync()?;
            Ok(len)
        });
        let hash_join = tokio::task::spawn_blocking(move || {
            let mut hasher = hasher;
            while let Some(batch) = hash_rx.blocking_recv() {
                for chunk in &batch {
                    hasher.update(chunk);
                }
            }
            hasher
        });
        Ok(Self {
            data,
            hash,
            write_join,
            hash_join,
            sync_join,
        })
    }

    /// Queues `batch`; fails when the writing thread stopped on an error (see `finish`).
    async fn send(&self, batch: Batch) -> Result<(), ()> {
        // Clones the handles to the chunks, not the bytes.
        self.data.send(batch.clone()).await.map_err(|_| ())?;
        self.hash.send(batch).await.map_err(|_| ())
    }

    /// Writes what is queued, fsyncs, and returns the hash state and the part's length.
    async fn finish(self) -> io::Result<(ContentHasher, u64)> {
        drop(self.data);
        drop(self.hash);
        let len = self.write_join.await.map_err(io::Error::other)??;
        // An error the disk reported to an intermediate sync fails the write too.
        self.sync_join.await.map_err(io::Error::other)??;
        let hasher = self.hash_join.await.map_err(io::Error::other)?;
        Ok((hasher, len))
    }
}

/// Bytes per second over the last few seconds.
#[derive(Default)]
struct RateMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    fn update(&mut self, now: Instant, bytes: u64) -> f64 {
        if self.samples.back().is_some_and(|(_, b)| *b > bytes) {
            self.samples.clear();
        }
        self.samples.push_back((now, bytes));
        while self.samples.len() > 2
            && now.duration_since(self.samples[0].0) > Duration::from_secs(3)
        {
            self.samples.pop_front();
        }
        let (t0, b0) = self.samples[0];
        let dt = now.duration_since(t0).as_secs_f64();
        if dt < 0.05 {
            return 0.0;
        }
        (bytes - b0) as f64 / dt
    }
}

/// Exponential backoff with "equal jitter": between half and all of `base · 2^(n-1)`,
/// capped at `max`.
fn backoff(base: Duration, max: Duration, failures: u32, rng: &mut XorShift) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let d = exp.min(max);
    let half = d / 2;
    let spread = (d - half).as_nanos() as u64;
    half + Duration::from_nanos(rng.next() % (spread + 1))
}

struct XorShift(u64);

impl XorShift {
    fn new(salt: u64) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x1234_5678);
        Self((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/5000"),
            Some((100, 199, Some(5000)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(parse_content_range("bytes 9-1/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut rng = XorShift::new(7);
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for n in 1..10 {
            let d = backoff(base, max, n, &mut rng);
            let full = (base * 2u32.pow(n - 1)).min(max);
            assert!(d >= full / 2 && d <= full, "{n}: {d:?} vs {full:?}");
        }
    }
}
