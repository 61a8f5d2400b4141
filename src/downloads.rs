//! Episode downloads: the [`DownloadManager`] joined to the library. The library is the record
//! that outlives a run (what is queued, paused, failed or done; the finished file's size and
//! content hash, labelled with its kind as the manager gives it: `blake3:<hex>` in the app);
//! the manager moves the bytes. On start, downloads a crash or quit interrupted are
//! queued again and resume from their `.part`, and finished files the library lists are checked
//! against the disk.
//!
//! Files live under `<data dir>/downloads/p<podcast id>/`, named by
//! [`crate::download::safe_file_name`] from the episode title: never a path from a feed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use url::Url;

use crate::download::{
    meta_path, part_path, DownloadConfig, DownloadEvent, DownloadId, DownloadManager, PartMeta,
};
use crate::error::{Error, Result};
use crate::library::{DownloadRecord, EpisodeId, Library, PodcastId};

/// A change to one episode's download, for the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadUpdate {
    pub episode_id: EpisodeId,
    /// `queued`, `running`, `retrying`, `paused`, `failed`, `done` or `none` (cancelled or
    /// deleted).
    pub state: String,
    pub bytes: u64,
    pub total: Option<u64>,
    /// Bytes per second over the last seconds, while running.
    pub rate: f64,
    pub message: Option<String>,
}

/// A row of the downloads view: the library's record plus the live rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadRow {
    #[serde(flatten)]
    pub record: DownloadRecord,
    pub rate: f64,
}

type Listener = Box<dyn Fn(&DownloadUpdate) + Send + Sync>;

struct Inner {
    manager: DownloadManager,
    library: Arc<Mutex<Library>>,
    data_dir: PathBuf,
    live: Mutex<Live>,
    listeners: Mutex<Vec<Listener>>,
    /// Set on quit: the pauses that follow are not the listener's, so the library keeps
    /// saying "running" and the next start resumes them.
    quitting: std::sync::atomic::AtomicBool,
}

impl Drop for Inner {
    /// The app is quitting (or a test drops the service): stop transfers, keeping their
    /// `.part`s; the library still says they were under way, so the next start resumes them.
    fn drop(&mut self) {
        self.manager.pause_all();
    }
}

#[derive(Default)]
struct Live {
    by_episode: HashMap<EpisodeId, DownloadId>,
    by_id: HashMap<DownloadId, EpisodeId>,
}

#[derive(Clone)]
pub struct Downloads {
    inner: Arc<Inner>,
}

impl Downloads {
    /// Starts the service on `rt` and picks up what an earlier run left (see module docs).
    pub fn start(
        library: Arc<Mutex<Library>>,
        data_dir: &Path,
        cfg: DownloadConfig,
        rt: tokio::runtime::Handle,
    ) -> Result<Self> {
        let manager = DownloadManager::with_runtime(cfg, rt.clone());
        let events = manager.subscribe();
        let this = Self {
            inner: Arc::new(Inner {
                manager,
                library,
                data_dir: data_dir.to_path_buf(),
                live: Mutex::new(Live::default()),
                listeners: Mutex::new(Vec::new()),
                quitting: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        let weak = Arc::downgrade(&this.inner);
        rt.spawn(async move {
            let mut events = events;
            while let Some(ev) = events.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                Downloads { inner }.on_event(ev);
            }
        });
        this.recover()?;
        Ok(this)
    }

    /// Called with every [`DownloadUpdate`], from the download runtime's threads.
    pub fn on_update(&self, f: impl Fn(&DownloadUpdate) + Send + Sync + 'static) {
        self.inner.listeners.lock().unwrap().push(Box::new(f));
    }

    pub fn manager(&self) -> &DownloadManager {
        &self.inner.manager
    }

    fn library(&self) -> MutexGuard<'_, Library> {
        self.inner
            .library
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        self.inner.live.lock().unwrap()
    }

    fn podcast_dir(&self, podcast: PodcastId) -> PathBuf {
        self.inner
            .data_dir
            .join("downloads")
            .join(format!("p{}", podcast.0))
    }

    fn notify(&self, u: DownloadUpdate) {
        for l in self.inner.listeners.lock().unwrap().iter() {
            l(&u);
        }
    }

    /// Queues an episode's audio for download. Already downloaded or under way: nothing to do.
    pub fn download(&self, episode: EpisodeId) -> Result<()> {
        if self.live().by_episode.contains_key(&episode) {
            return Ok(());
        }
        let src = self.library().download_source(episode)?;
        if src.local_file.is_some() {
            return Ok(());
        }
        let url = match src.enclosure_url.as_deref().map(Url::parse) {
            Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                return Err(Error::NotFound(format!(
                    "an audio file to download for \"{}\" (the feed gives no http(s) link for it)",
                    src.title
                )))
            }
        };
        let dir = self.podcast_dir(src.podcast);
        // Registered before the manager can emit anything about it.
        let mut live = self.live();
        self.library()
            .set_download_state(episode, Some("queued"), 0, None, None)?;
        let id = self.inner.manager.enqueue(url, dir, &src.title);
        live.by_episode.insert(episode, id);
        live.by_id.insert(id, episode);
        Ok(())
    }

    pub fn pause(&self, episode: EpisodeId) -> Result<()> {
        let id = self.live().by_episode.get(&episode).copied();
        match id {
            Some(id) => {
                self.inner.manager.pause(id);
                Ok(())
            }
            None => Err(Error::NotFound(format!(
                "a download of episode {}",
                episode.0
            ))),
        }
    }

    /// Continues a paused or failed download (from its `.part`), in this run or after a restart.
    pub fn resume(&self, episode: EpisodeId) -> Result<()> {
        let id = self.live().by_episode.get(&episode).copied();
        match id {
            Some(id) if self.inner.manager.resume(id) => Ok(()),
            Some(_) => Ok(()),
            None => self.download(episode),
        }
    }

    /// Stops a download and removes its partial file.
    pub fn cancel(&self, episode: EpisodeId) -> Result<()> {
        let id = self.live().by_episode.get(&episode).copied();
        if let Some(id) = id {
            if self.inner.manager.cancel(id) {
                return Ok(());
            }
        }
        // Not running in this process (paused or failed in an earlier run): remove its part.
        let src = self.library().download_source(episode)?;
        if let Some(url) = src.enclosure_url.as_deref() {
            remove_parts_of(&self.podcast_dir(src.podcast), url);
        }
        self.library()
            .set_download_state(episode, None, 0, None, None)?;
        self.forget_live(episode);
        self.notify(update(episode, "none", 0, None));
        Ok(())
    }

    /// Deletes a downloaded file (the episode streams again afterwards), or cancels a download
    /// under way. Bundled audio is never deleted.
    pub fn delete(&self, episode: EpisodeId) -> Result<()> {
        if self.live().by_episode.contains_key(&episode) {
            return self.cancel(episode);
        }
        let rel = self.library().forget_download(episode)?;
        if let Some(rel) = rel {
            if let Some(path) = Library::resolve_local(&self.inner.data_dir, &rel) {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&path, e)),
                }
            }
        }
        self.notify(update(episode, "none", 0, None));
        Ok(())
    }

    /// Cancels a podcast's downloads and deletes its files (before unsubscribing).
    pub fn delete_podcast(&self, podcast: PodcastId) -> Result<()> {
        let records = self.library().downloads()?;
        for r in records.iter().filter(|r| r.podcast_id == podcast) {
            self.delete(r.episode_id)?;
        }
        let dir = self.podcast_dir(podcast);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }

    /// Every download the library records, with the live rate of those running.
    pub fn list(&self) -> Result<Vec<DownloadRow>> {
        let records = self.library().downloads()?;
        let live: HashMap<EpisodeId, DownloadId> = self.live().by_episode.clone();
        Ok(records
            .into_iter()
            .map(|mut record| {
                let mut rate = 0.0;
                if let Some(info) = live
                    .get(&record.episode_id)
                    .and_then(|id| self.inner.manager.get(*id))
                {
                    if record.state != "done" {
                        record.bytes = info.bytes;
                        record.total = info.total.or(record.total);
                        rate = info.rate;
                    }
                }
                DownloadRow { record, rate }
            })
            .collect())
    }

    /// Stops transfers on quit, keeping their `.part`s (resumed at the next start).
    pub fn shutdown(&self) {
        self.inner
            .quitting
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.inner.manager.pause_all();
    }

    pub fn set_concurrency(&self, n: usize) {
        self.inner.manager.set_concurrency(n);
    }

    /// Queues up to `limit` new, unplayed, not yet downloaded episodes of a podcast; returns how
    /// many were queued.
    pub fn auto_download(&self, podcast: PodcastId, limit: usize) -> Result<usize> {
        let ids = self.library().new_undownloaded(podcast, limit)?;
        let mut queued = 0;
        for id in ids {
            match self.download(id) {
                Ok(()) => queued += 1,
                Err(e) => tracing::warn!("auto-download of episode {}: {e}", id.0),
            }
        }
        Ok(queued)
    }

    /// Deletes the downloaded files of played episodes, except `keep` (the one loaded);
    /// unplayed ones are kept. Returns how many were deleted.
    pub fn cleanup_played(&self, keep: Option<EpisodeId>) -> Result<usize> {
        let records = self.library().downloads()?;
        let mut n = 0;
        for r in records
            .iter()
            .filter(|r| r.played && r.state == "done" && Some(r.episode_id) != keep)
        {
            self.delete(r.episode_id)?;
            n += 1;
        }
        Ok(n)
    }

    /// Queues again what was queued or running when the last run ended; forgets finished files
    /// that are gone from the disk (the episode streams again).
    fn recover(&self) -> Result<()> {
        let records = self.library().downloads()?;
        for r in records {
            match r.state.as_str() {
                "queued" | "running" => {
                    self.library()
                        .set_download_state(r.episode_id, None, 0, None, None)?;
                    if let Err(e) = self.download(r.episode_id) {
                        tracing::warn!("resuming download of episode {}: {e}", r.episode_id.0);
                    }
                }
                "done" => {
                    let on_disk = r
                        .local_file
                        .as_deref()
                        .and_then(|rel| Library::resolve_local(&self.inner.data_dir, rel))
                        .and_then(|p| std::fs::metadata(p).ok())
                        .map(|m| m.len());
                    if on_disk.is_none() || (r.size.is_some() && on_disk != r.size) {
                        tracing::warn!(
                            "downloaded file of episode {} is missing or changed; it will stream",
                            r.episode_id.0
                        );
                        self.library().forget_download(r.episode_id)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn forget_live(&self, episode: EpisodeId) {
        let mut live = self.live();
        if let Some(id) = live.by_episode.remove(&episode) {
            live.by_id.remove(&id);
            self.inner.manager.forget(id);
        }
    }

    fn on_event(&self, ev: DownloadEvent) {
        let Some(episode) = self.live().by_id.get(&ev.id()).copied() else {
            return;
        };
        if self
            .inner
            .quitting
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let lib_result = match &ev {
            DownloadEvent::Queued { .. } => {
                self.record(episode, "queued", None);
                None
            }
            DownloadEvent::Started { .. } => {
                self.record(episode, "running", None);
                None
            }
            DownloadEvent::Progress {
                bytes, total, rate, ..
            } => Some(DownloadUpdate {
                episode_id: episode,
                state: "running".into(),
                bytes: *bytes,
                total: *total,
                rate: *rate,
                message: None,
            }),
            DownloadEvent::Retrying {
                attempt,
                delay_ms,
                message,
                ..
            } => Some(DownloadUpdate {
                message: Some(format!(
                    "{message} (retry {attempt} in {:.0} s)",
                    *delay_ms as f64 / 1000.0
                )),
                ..self.live_update(episode, "retrying")
            }),
            DownloadEvent::Paused { bytes, .. } => {
                let total = self.live_update(episode, "paused").total;
                let _ =
                    self.library()
                        .set_download_state(episode, Some("paused"), *bytes, total, None);
                Some(update(episode, "paused", *bytes, total))
            }
            DownloadEvent::Completed {
                path, size, hash, ..
            } => {
                self.forget_live(episode);
                Some(self.complete(episode, path, *size, hash))
            }
            DownloadEvent::Failed { message, .. } => {
                let u = self.live_update(episode, "failed");
                let _ = self.library().set_download_state(
                    episode,
                    Some("failed"),
                    u.bytes,
                    u.total,
                    Some(message),
                );
                Some(DownloadUpdate {
                    message: Some(message.clone()),
                    ..u
                })
            }
            DownloadEvent::Cancelled { .. } => {
                self.forget_live(episode);
                let _ = self
                    .library()
                    .set_download_state(episode, None, 0, None, None);
                Some(update(episode, "none", 0, None))
            }
        };
        let u = lib_result.unwrap_or_else(|| {
            self.live_update(
                episode,
                match ev {
                    DownloadEvent::Queued { .. } => "queued",
                    _ => "running",
                },
            )
        });
        self.notify(u);
    }

    fn record(&self, episode: EpisodeId, state: &str, error: Option<&str>) {
        let u = self.live_update(episode, state);
        if let Err(e) =
            self.library()
                .set_download_state(episode, Some(state), u.bytes, u.total, error)
        {
            tracing::warn!("recording download state of episode {}: {e}", episode.0);
        }
    }

    fn live_update(&self, episode: EpisodeId, state: &str) -> DownloadUpdate {
        let id = self.live().by_episode.get(&episode).copied();
        let info = id.and_then(|id| self.inner.manager.get(id));
        DownloadUpdate {
            episode_id: episode,
            state: state.into(),
            bytes: info.as_ref().map(|i| i.bytes).unwrap_or(0),
            total: info.as_ref().and_then(|i| i.total),
            rate: info.as_ref().map(|i| i.rate).unwrap_or(0.0),
            message: None,
        }
    }

    /// Records a finished file. If it cannot be recorded (the episode was removed meanwhile,
    /// or the path is not under the data directory), the file is deleted rather than left
    /// unaccounted for.
    fn complete(&self, episode: EpisodeId, path: &Path, size: u64, hash: &str) -> DownloadUpdate {
        let rel = path
            .strip_prefix(&self.inner.data_dir)
            .ok()
            .and_then(|p| p.to_str())
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"));
        let stored = match rel {
            Some(rel) => self
                .library()
                .record_download(episode, &rel, size, hash)
                .map_err(|e| e.to_string()),
            None => Err(format!("{} is outside the data directory", path.display())),
        };
        match stored {
            Ok(()) => {
                self.adopt_embedded_chapters(episode, path);
                update(episode, "done", size, Some(size))
            }
            Err(message) => {
                tracing::warn!(
                    "could not record download of episode {}: {message}",
                    episode.0
                );
                let _ = std::fs::remove_file(path);
                DownloadUpdate {
                    message: Some(message),
                    ..update(episode, "none", 0, None)
                }
            }
        }
    }
}

impl Downloads {
    /// Chapters embedded in a downloaded file (ID3, MP4, Vorbis comments) replace chapters
    /// taken from show notes; a feed's chapters file still wins (see `chapters::merge`).
    fn adopt_embedded_chapters(&self, episode: EpisodeId, path: &Path) {
        let found = match crate::chapters::embedded_chapters(path) {
            Ok((source, chapters)) if !chapters.is_empty() => (source, chapters),
            Ok(_) => return,
            Err(e) => {
                tracing::debug!("no embedded chapters in {}: {e}", path.display());
                return;
            }
        };
        let mut lib = self.library();
        let current = lib
            .chapter_sources(episode)
            .ok()
            .and_then(|(_, from)| from)
            .and_then(|from| crate::chapters::ChapterSource::parse(&from));
        let better = match current {
            None => true,
            Some(c) => found.0.rank() < c.rank(),
        };
        let has_chapters = lib
            .chapters(episode)
            .map(|c| !c.is_empty())
            .unwrap_or(false);
        if better || !has_chapters {
            if let Err(e) = lib.replace_chapters(episode, found.0.as_str(), &found.1) {
                tracing::warn!("storing chapters of episode {}: {e}", episode.0);
            }
        }
    }
}

fn update(episode: EpisodeId, state: &str, bytes: u64, total: Option<u64>) -> DownloadUpdate {
    DownloadUpdate {
        episode_id: episode,
        state: state.into(),
        bytes,
        total,
        rate: 0.0,
        message: None,
    }
}

/// Removes the `.part` and `.part.meta` of `url` in `dir`, if an earlier run left them.
fn remove_parts_of(dir: &Path, url: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(final_name) = name.strip_suffix(".part.meta") else {
            continue;
        };
        let final_path = dir.join(final_name);
        let meta: Option<PartMeta> = std::fs::read(meta_path(&final_path))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if meta.is_some_and(|m| m.url == url) {
            let _ = std::fs::remove_file(part_path(&final_path));
            let _ = std::fs::remove_file(meta_path(&final_path));
        }
    }
}
