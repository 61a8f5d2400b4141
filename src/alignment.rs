//! Background alignment (issue 8): an episode whose audio is on this machine gets its stored
//! transcript put in step with that audio, one job at a time on a worker thread.
//!
//! - An **untimed** transcript (HTML / text paragraphs, stored with even-spread estimates) is
//!   aligned with [`crate::align::align_untimed`], anchored by its inline times and the
//!   episode's chapters; the aligned segments replace the estimates. Times measured from the
//!   audio stay `estimated` (the listener sees them marked ≈); only paragraph starts the
//!   source wrote down are not.
//! - A **timed** transcript of a downloaded file is checked with
//!   [`crate::align::correct_drift`]; when an ad moved the audio under it, the corrected
//!   segments are stored (the publisher's times kept where they match), and the publisher's
//!   chapters (a chapters file, the show notes) are shifted by the same offsets.
//!
//! Jobs start when a download finishes ([`Alignment::follow_downloads`]) and when an episode
//! is loaded ([`Alignment::follow_session`]) or opened ([`Alignment::ensure`]); the result is
//! kept in the library with the audio's identity (size and modification time), so it is not
//! done again unless the file changes. Jobs queued or running when the app quit are queued
//! again at the next start. Every change is reported as an [`AlignmentUpdate`].

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::Serialize;

use crate::downloads::Downloads;
use crate::error::{Error, Result};
use crate::library::{DriftShift, DriftSummary, EpisodeId, Library};
use crate::session::Session;
use crate::transcript::{Segment, UntimedTranscript};

/// A change to one episode's alignment, for the UI (Tauri event `alignment`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlignmentUpdate {
    pub episode_id: EpisodeId,
    /// `align` (an untimed transcript) or `drift` (a timed one checked against this copy).
    pub kind: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// 0–1 (1 when done).
    pub progress: f64,
    /// Why it failed, as a sentence a person can act on.
    pub error: Option<String>,
    /// Drift correction's shifts (empty when the times already matched, and for `align`).
    pub shifts: Vec<DriftShift>,
    /// The episode's chapters were moved by the same shifts.
    pub chapters_shifted: bool,
}

/// What a job on an episode would do.
#[derive(Debug, Clone)]
struct Plan {
    kind: &'static str,
    audio: PathBuf,
    audio_id: String,
}

type Listener = Arc<dyn Fn(&AlignmentUpdate) + Send + Sync>;

#[derive(Default)]
struct Work {
    queue: VecDeque<EpisodeId>,
    current: Option<Running>,
    stop: bool,
}

struct Running {
    episode: EpisodeId,
    kind: &'static str,
    cancel: Arc<AtomicBool>,
    progress: f64,
}

struct Inner {
    library: Arc<Mutex<Library>>,
    data_dir: PathBuf,
    work: Mutex<Work>,
    wake: Condvar,
    listeners: Mutex<Vec<Listener>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The alignment service. Cheap to clone.
#[derive(Clone)]
pub struct Alignment {
    inner: Arc<Inner>,
}

/// The identity of an audio file: its size and modification time. A file that is replaced or
/// re-downloaded gets a new one, and its alignment is done again.
pub fn audio_identity(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok(format!("size:{};mtime:{mtime}", meta.len()))
}

impl Alignment {
    /// Starts the worker thread and queues again what an earlier run left queued or running.
    pub fn start(library: Arc<Mutex<Library>>, data_dir: &Path) -> Result<Self> {
        let unfinished = lock(&library).unfinished_alignments()?;
        let inner = Arc::new(Inner {
            library,
            data_dir: data_dir.to_path_buf(),
            work: Mutex::new(Work {
                queue: unfinished.into_iter().collect(),
                ..Work::default()
            }),
            wake: Condvar::new(),
            listeners: Mutex::new(Vec::new()),
            worker: Mutex::new(None),
        });
        let worker = inner.clone();
        let handle = std::thread::Builder::new()
            .name("earshot-align".into())
            .spawn(move || run_worker(worker))
            .map_err(|e| Error::io("alignment thread", e))?;
        *inner.worker.lock().unwrap() = Some(handle);
        Ok(Self { inner })
    }

    /// Called with every [`AlignmentUpdate`], from the worker thread (or the caller's, for
    /// queueing and cancelling). A listener may call back into the service.
    pub fn on_update(&self, f: impl Fn(&AlignmentUpdate) + Send + Sync + 'static) {
        self.inner.listeners.lock().unwrap().push(Arc::new(f));
    }

    /// Starts a job when a download finishes.
    pub fn follow_downloads(&self, downloads: &Downloads) {
        let weak = Arc::downgrade(&self.inner);
        downloads.on_update(move |u| {
            if u.state == "done" {
                with(&weak, |a| a.ensure_logged(u.episode_id));
            }
        });
    }

    /// Starts a job when an episode is loaded into the player.
    pub fn follow_session(&self, session: &Session) {
        let weak = Arc::downgrade(&self.inner);
        session.on_load(move |id| with(&weak, |a| a.ensure_logged(id)));
    }

    fn ensure_logged(&self, id: EpisodeId) {
        if let Err(e) = self.ensure(id) {
            tracing::warn!("alignment of episode {}: {e}", id.0);
        }
    }

    /// Queues a job for the episode if it has a local audio file and a transcript to align (or
    /// check for drift) and no result for this audio yet. A job that failed or was cancelled
    /// for this same audio is not started again by itself ([`Alignment::request`] retries).
    /// Returns whether a job was queued.
    pub fn ensure(&self, id: EpisodeId) -> Result<bool> {
        let Some(plan) = self.plan(id)? else {
            return Ok(false);
        };
        if self.is_pending(id) {
            return Ok(false);
        }
        let record = self.library().alignment_record(id)?;
        if let Some(r) = &record {
            if r.kind == plan.kind && r.audio_id.as_deref() == Some(plan.audio_id.as_str()) {
                if matches!(r.state.as_str(), "queued" | "running") {
                    // Recorded as under way but not in this process (e.g. added behind its back).
                    return self.enqueue(id, &plan).map(|()| true);
                }
                // Chapters re-stored since the drift was found carry the publisher's times.
                if r.kind == "drift" && !r.chapters_shifted {
                    if let Some(report) = r.report.as_ref().filter(|r| !r.shifts.is_empty()) {
                        if self.library().shift_chapters(id, report)? {
                            self.notify(&self.update_from_record(id)?);
                        }
                    }
                }
                return Ok(false);
            }
        }
        self.enqueue(id, &plan)?;
        Ok(true)
    }

    /// Starts (or retries) the episode's job now, whatever was found before. An error says why
    /// there is nothing to align.
    pub fn request(&self, id: EpisodeId) -> Result<()> {
        let plan = self.plan(id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "a downloaded audio file and a transcript to line up with it for episode {} \
                 (download the episode first)",
                id.0
            ))
        })?;
        // Under way and not being cancelled: nothing to do. Being cancelled (Cancel, then
        // Retry at once): queued to run again after it stops.
        let stopping_this = {
            let work = self.work();
            match work.current.as_ref().filter(|r| r.episode == id) {
                Some(r) => r.cancel.load(Ordering::SeqCst),
                None => false,
            }
        };
        if self.is_pending(id) && !stopping_this {
            return Ok(());
        }
        self.enqueue(id, &plan)
    }

    /// Cancels the episode's job: a queued one is dropped, a running one stops at its next
    /// progress step. The stored transcript is left as it was; the state says `cancelled`.
    pub fn cancel(&self, id: EpisodeId) -> Result<()> {
        let dropped = {
            let mut work = self.work();
            if let Some(r) = work.current.as_ref().filter(|r| r.episode == id) {
                r.cancel.store(true, Ordering::SeqCst);
                return Ok(());
            }
            let before = work.queue.len();
            work.queue.retain(|e| *e != id);
            work.queue.len() != before
        };
        let record = self.library().alignment_record(id)?;
        if let Some(r) = record {
            if dropped || matches!(r.state.as_str(), "queued" | "running") {
                self.library().set_alignment_state(
                    id,
                    &r.kind,
                    "cancelled",
                    r.audio_id.as_deref(),
                    None,
                )?;
                self.notify(&self.update_from_record(id)?);
            }
        }
        Ok(())
    }

    /// The episode's alignment as the UI shows it: live progress while running, else what the
    /// library recorded; `None` when none was ever started.
    pub fn status(&self, id: EpisodeId) -> Result<Option<AlignmentUpdate>> {
        {
            let work = self.work();
            if let Some(r) = work.current.as_ref().filter(|r| r.episode == id) {
                return Ok(Some(live(id, r.kind, "running", r.progress)));
            }
        }
        if self.library().alignment_record(id)?.is_none() {
            return Ok(None);
        }
        self.update_from_record(id).map(Some)
    }

    /// Stops the worker (the job under way stops at its next progress step and stays recorded
    /// as running, so the next start queues it again) and waits for it.
    pub fn shutdown(&self) {
        {
            let mut work = self.work();
            work.stop = true;
            if let Some(r) = &work.current {
                r.cancel.store(true, Ordering::SeqCst);
            }
        }
        self.inner.wake.notify_all();
        // Called from the worker itself (a listener): it ends after this job; a later call
        // from another thread waits for it.
        let handle = {
            let mut worker = self.inner.worker.lock().unwrap();
            match worker.as_ref() {
                Some(h) if h.thread().id() != std::thread::current().id() => worker.take(),
                _ => None,
            }
        };
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    fn library(&self) -> MutexGuard<'_, Library> {
        lock(&self.inner.library)
    }

    fn work(&self) -> MutexGuard<'_, Work> {
        self.inner.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_pending(&self, id: EpisodeId) -> bool {
        let work = self.work();
        work.queue.contains(&id) || work.current.as_ref().is_some_and(|r| r.episode == id)
    }

    fn enqueue(&self, id: EpisodeId, plan: &Plan) -> Result<()> {
        self.library()
            .set_alignment_state(id, plan.kind, "queued", Some(&plan.audio_id), None)?;
        // Announced before the worker can take it (and say "running").
        self.notify(&live(id, plan.kind, "queued", 0.0));
        {
            let mut work = self.work();
            if !work.queue.contains(&id) {
                work.queue.push_back(id);
            }
        }
        self.inner.wake.notify_all();
        Ok(())
    }

    /// What a job on `id` would do now: `None` without a local audio file or a transcript
    /// worth the work.
    fn plan(&self, id: EpisodeId) -> Result<Option<Plan>> {
        let lib = self.library();
        let src = lib.download_source(id)?;
        let Some(audio) = src
            .local_file
            .as_deref()
            .and_then(|rel| Library::resolve_local(&self.inner.data_dir, rel))
            .filter(|p| p.is_file())
        else {
            return Ok(None);
        };
        let kind = match lib.untimed_transcript(id)? {
            Some(u) if u.paragraphs.iter().any(|p| !p.text.trim().is_empty()) => "align",
            // A timed transcript is checked against a file we downloaded (an ad may have been
            // put into this copy); bundled audio is the publisher's own.
            _ if src.downloaded_by_us && lib.segments(id)?.iter().any(|s| !s.estimated) => "drift",
            _ => return Ok(None),
        };
        drop(lib);
        let audio_id = audio_identity(&audio)?;
        Ok(Some(Plan {
            kind,
            audio,
            audio_id,
        }))
    }

    fn notify(&self, u: &AlignmentUpdate) {
        // Called outside the lock: a listener may call back into the service (and notify).
        let listeners: Vec<Listener> = self.inner.listeners.lock().unwrap().clone();
        for l in &listeners {
            l(u);
        }
    }

    fn update_from_record(&self, id: EpisodeId) -> Result<AlignmentUpdate> {
        let r = self
            .library()
            .alignment_record(id)?
            .ok_or_else(|| Error::NotFound(format!("an alignment of episode {}", id.0)))?;
        let shifts = r.report.map(|r| r.shifts).unwrap_or_default();
        Ok(AlignmentUpdate {
            episode_id: id,
            progress: if r.state == "done" { 1.0 } else { 0.0 },
            error: r.error,
            chapters_shifted: r.chapters_shifted && !shifts.is_empty(),
            shifts,
            kind: r.kind,
            state: r.state,
        })
    }

    /// Runs one job (on the worker thread).
    fn run(&self, id: EpisodeId, cancel: &Arc<AtomicBool>) {
        let outcome = self.run_job(id, cancel);
        let stopping = self.work().stop;
        let kind = self.work().current.as_ref().map_or("align", |r| r.kind);
        let result = match outcome {
            Ok(()) => self.update_from_record(id),
            // Quitting: left recorded as running, so the next start queues it again.
            Err(_) if stopping && cancel.load(Ordering::SeqCst) => return,
            // Retried while it was stopping: the queued run takes over.
            Err(_) if cancel.load(Ordering::SeqCst) && self.work().queue.contains(&id) => return,
            Err(_) if cancel.load(Ordering::SeqCst) => self
                .record_end(id, kind, "cancelled", None)
                .and_then(|()| self.update_from_record(id)),
            Err(e) => {
                let sentence = failure_sentence(kind, &e);
                tracing::warn!("alignment of episode {} failed: {e}", id.0);
                self.record_end(id, kind, "failed", Some(&sentence))
                    .and_then(|()| self.update_from_record(id))
            }
        };
        match result {
            Ok(u) => self.notify(&u),
            Err(e) => tracing::warn!("recording the alignment of episode {}: {e}", id.0),
        }
    }

    fn record_end(
        &self,
        id: EpisodeId,
        kind: &str,
        state: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let lib = self.library();
        let audio_id = lib.alignment_record(id)?.and_then(|r| r.audio_id);
        lib.set_alignment_state(id, kind, state, audio_id.as_deref(), error)
    }

    fn run_job(&self, id: EpisodeId, cancel: &Arc<AtomicBool>) -> Result<()> {
        let plan = self.plan(id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "the audio file of episode {} (it is no longer on this machine)",
                id.0
            ))
        })?;
        if let Some(r) = self.work().current.as_mut() {
            r.kind = plan.kind;
            r.progress = 0.0;
        }
        self.library()
            .set_alignment_state(id, plan.kind, "running", Some(&plan.audio_id), None)?;
        self.notify(&live(id, plan.kind, "running", 0.0));
        match plan.kind {
            "align" => self.run_align(id, &plan, cancel),
            _ => self.run_drift(id, &plan, cancel),
        }
    }

    /// Progress, at most every 1 % or 250 ms; `false` once cancelled.
    fn progress_fn<'a>(
        &'a self,
        id: EpisodeId,
        kind: &'static str,
        cancel: &'a AtomicBool,
    ) -> impl FnMut(f32) -> bool + 'a {
        let mut last = (0.0f64, Instant::now());
        move |f: f32| {
            if cancel.load(Ordering::SeqCst) {
                return false;
            }
            let f = (f as f64).clamp(0.0, 1.0);
            if f - last.0 >= 0.01 || last.1.elapsed() >= Duration::from_millis(250) {
                last = (f, Instant::now());
                if let Some(r) = self.work().current.as_mut() {
                    r.progress = f;
                }
                self.notify(&live(id, kind, "running", f));
            }
            !cancel.load(Ordering::SeqCst)
        }
    }

    fn run_align(&self, id: EpisodeId, plan: &Plan, cancel: &Arc<AtomicBool>) -> Result<()> {
        let (untimed, chapters) = {
            let lib = self.library();
            let untimed: UntimedTranscript = lib
                .untimed_transcript(id)?
                .ok_or_else(|| Error::NotFound(format!("an untimed transcript of {}", id.0)))?;
            (untimed, lib.chapters(id)?)
        };
        let mut segments = crate::align::align_untimed(
            &untimed,
            &plan.audio,
            &chapters,
            self.progress_fn(id, "align", cancel),
        )?;
        mark_measured(&untimed, &mut segments);
        if cancel.load(Ordering::SeqCst) {
            return Err(cancelled());
        }
        let mut lib = self.library();
        // The transcript or the file changed while the job ran: this result is of neither.
        if lib.untimed_transcript(id)?.as_ref() != Some(&untimed)
            || audio_identity(&plan.audio)? != plan.audio_id
        {
            return Err(Error::parse(
                "the transcript or its audio",
                "it changed while it was being aligned",
            ));
        }
        lib.store_aligned_segments(id, &plan.audio_id, &segments)
    }

    fn run_drift(&self, id: EpisodeId, plan: &Plan, cancel: &Arc<AtomicBool>) -> Result<()> {
        let original: Vec<Segment> = {
            let lib = self.library();
            match lib.drift_original_segments(id)? {
                Some(o) => o,
                None => lib.segments(id)?,
            }
        };
        let mut progress = self.progress_fn(id, "drift", cancel);
        if !progress(0.05) {
            return Err(cancelled());
        }
        let (fixed, report) = crate::align::correct_drift(&original, &plan.audio)?;
        if !progress(1.0) {
            return Err(cancelled());
        }
        let summary = DriftSummary {
            shifts: report
                .shifts
                .iter()
                .map(|s| DriftShift {
                    from: s.from,
                    offset: s.offset,
                })
                .collect(),
            match_score: report.match_score,
            match_score_before: report.match_score_before,
        };
        let mut lib = self.library();
        if audio_identity(&plan.audio)? != plan.audio_id {
            return Err(Error::parse(
                "the audio file",
                "it changed while it was being checked",
            ));
        }
        // Cues of an ad this copy lacks come back empty, at the cut: they are not in this
        // audio, so they are not shown (the publisher's originals are kept for an undo).
        let fixed: Vec<Segment> = fixed
            .into_iter()
            .zip(&original)
            .filter(|(f, o)| f.end > f.start || o.end <= o.start)
            .map(|(f, _)| f)
            .collect();
        let segments = if summary.shifts.is_empty() {
            &original
        } else {
            &fixed
        };
        lib.store_drift(id, &plan.audio_id, &original, segments, &summary)?;
        lib.shift_chapters(id, &summary)?;
        Ok(())
    }
}

fn run_worker(inner: Arc<Inner>) {
    let this = Alignment { inner };
    loop {
        let (id, cancel) = {
            let mut work = this.work();
            loop {
                if work.stop {
                    return;
                }
                if let Some(id) = work.queue.pop_front() {
                    let cancel = Arc::new(AtomicBool::new(false));
                    work.current = Some(Running {
                        episode: id,
                        kind: "align",
                        cancel: cancel.clone(),
                        progress: 0.0,
                    });
                    break (id, cancel);
                }
                work = this
                    .inner
                    .wake
                    .wait(work)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| this.run(id, &cancel)));
        if run.is_err() {
            tracing::error!("alignment of episode {} panicked", id.0);
            let kind = this.work().current.as_ref().map_or("align", |r| r.kind);
            let _ = this.record_end(
                id,
                kind,
                "failed",
                Some("Earshot could not align this transcript (an internal error). Retry, or report the episode."),
            );
        }
        this.work().current = None;
    }
}

fn with(weak: &Weak<Inner>, f: impl FnOnce(&Alignment)) {
    if let Some(inner) = weak.upgrade() {
        f(&Alignment { inner });
    }
}

fn lock(lib: &Mutex<Library>) -> MutexGuard<'_, Library> {
    lib.lock().unwrap_or_else(|p| p.into_inner())
}

fn live(id: EpisodeId, kind: &str, state: &str, progress: f64) -> AlignmentUpdate {
    AlignmentUpdate {
        episode_id: id,
        kind: kind.into(),
        state: state.into(),
        progress,
        error: None,
        shifts: Vec::new(),
        chapters_shifted: false,
    }
}

fn cancelled() -> Error {
    Error::Playback("alignment was cancelled".into())
}

/// A failure put as a sentence a person can act on.
fn failure_sentence(kind: &str, e: &Error) -> String {
    let what = if kind == "drift" {
        "Could not check the transcript's times against this audio file"
    } else {
        "Could not line the transcript up with the audio"
    };
    let cause = e.to_string();
    let cause = cause.trim_end_matches('.');
    match e {
        Error::NotFound(_) => format!("{what}: {cause}. Download the episode again, then retry."),
        Error::Parse { .. } => format!("{what}: {cause}. Retry to align it again."),
        _ => format!(
            "{what}: {cause}. The file may be damaged or incomplete: delete the download and \
             download it again, then retry."
        ),
    }
}

/// Aligned times are measured, not written by the publisher: every segment is `estimated`
/// except those whose paragraph began with a time in the source (an anchor at offset 0).
fn mark_measured(untimed: &UntimedTranscript, segments: &mut [Segment]) {
    for s in segments.iter_mut() {
        let written = untimed.paragraphs.iter().any(|p| {
            p.text == s.text
                && p.anchors
                    .first()
                    .is_some_and(|a| a.offset == 0 && (a.seconds - s.start).abs() < 1.0)
        });
        s.estimated = !written;
    }
}
