//! A listening session: the library, the player thread and the progress keeper joined up.
//! The desktop app and the headless tests both drive Earshot through this type.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::library::{EpisodeId, Library};
use crate::player::{
    self, AudioOutput, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus,
};

/// Progress is written at least this often while playing (and on every pause, seek,
/// episode change, end and quit).
pub const SAVE_INTERVAL: Duration = Duration::from_secs(3);
const LAST_EPISODE_KEY: &str = "last_episode";
/// An episode paused or left this close to its end is marked played.
pub const PLAYED_NEAR_END_SECS: f64 = 10.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerSnapshot {
    pub episode_id: Option<EpisodeId>,
    pub status: PlayerStatus,
    pub position: f64,
    pub duration: Option<f64>,
    pub error: Option<String>,
}

/// What the UI hears, on one stream.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    State { snapshot: PlayerSnapshot },
    Position { position: f64, playing: bool },
    Error { message: String },
}

type Sink = Box<dyn Fn(UiEvent) + Send + Sync>;

struct State {
    snapshot: PlayerSnapshot,
    token: u64,
    last_saved: Instant,
    /// Skipped chapters of the loaded episode: playback jumps from start to end.
    skip_ranges: Vec<(f64, f64)>,
    /// A jump over a skipped chapter is on its way (until the player confirms the seek).
    skipping_to: Option<f64>,
}

/// Where playback should jump to if `position` is inside a skipped range (following
/// back-to-back skipped chapters to the first one that plays).
pub fn skip_target(ranges: &[(f64, f64)], position: f64) -> Option<f64> {
    let mut target = None;
    let mut at = position;
    while let Some(&(_, end)) = ranges.iter().find(|(s, e)| *s <= at && at < *e) {
        target = Some(end);
        at = end;
    }
    target
}

struct Inner {
    library: Arc<Mutex<Library>>,
    data_dir: PathBuf,
    player: PlayerHandle,
    state: Mutex<State>,
    sink: Sink,
}

#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl Session {
    /// Starts the player thread on `output` and a thread that turns its events into progress
    /// writes and UI events (passed to `sink`).
    pub fn start(
        library: Library,
        data_dir: PathBuf,
        output: Box<dyn AudioOutput>,
        sink: impl Fn(UiEvent) + Send + Sync + 'static,
    ) -> Self {
        let (events_tx, events_rx) = crossbeam_channel::unbounded();
        let player = player::spawn(output, events_tx);
        let inner = Arc::new(Inner {
            library: Arc::new(Mutex::new(library)),
            data_dir,
            player,
            state: Mutex::new(State {
                snapshot: PlayerSnapshot {
                    episode_id: None,
                    status: PlayerStatus::Idle,
                    position: 0.0,
                    duration: None,
                    error: None,
                },
                token: 0,
                last_saved: Instant::now(),
                skip_ranges: Vec::new(),
                skipping_to: None,
            }),
            sink: Box::new(sink),
        });
        let pump = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("earshot-events".into())
            .spawn(move || pump_events(pump, events_rx))
            .expect("spawn event thread");
        Self { inner }
    }

    /// The shared library, for work that runs beside the player (subscriptions, refresh).
    pub fn library_handle(&self) -> Arc<Mutex<Library>> {
        self.inner.library.clone()
    }

    pub fn library(&self) -> MutexGuard<'_, Library> {
        self.inner.library.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> PlayerSnapshot {
        self.state().snapshot.clone()
    }

    /// Loads the episode the listener had last, paused where they left it.
    pub fn restore(&self) -> Result<Option<PlayerSnapshot>> {
        let last = self.library().state(LAST_EPISODE_KEY)?;
        match last.and_then(|v| v.parse().ok()) {
            Some(id) => self.load(EpisodeId(id), false).map(Some),
            None => Ok(None),
        }
    }

    /// Opens an episode at its saved position (from the start if it was played to the end).
    pub fn load(&self, episode: EpisodeId, autoplay: bool) -> Result<PlayerSnapshot> {
        let (media, start, duration) = {
            let lib = self.library();
            let media = lib.episode(episode)?;
            let title = &media.summary.title;
            let source = match (media.local_file.as_deref(), media.enclosure_url.as_deref()) {
                (Some(rel), _) => {
                    let path =
                        Library::resolve_local(&self.inner.data_dir, rel).ok_or_else(|| {
                            Error::NotFound(format!("a safe path for the audio of \"{title}\""))
                        })?;
                    if !path.is_file() {
                        return Err(Error::NotFound(format!(
                            "the audio file of \"{title}\" ({})",
                            path.display()
                        )));
                    }
                    Media::File(path)
                }
                // Not downloaded: stream it.
                (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {
                    Media::Url(url.to_string())
                }
                _ => {
                    return Err(Error::NotFound(format!(
                        "audio for \"{title}\" (the feed gives no audio file for it)"
                    )))
                }
            };
            let s = &media.summary;
            let start = if s.played { 0.0 } else { s.position_secs };
            (source, start, s.duration_secs)
        };
        self.save_now();
        let token = {
            let mut st = self.state();
            st.token += 1;
            st.skip_ranges = self.library().skip_ranges(episode).unwrap_or_default();
            st.skipping_to = None;
            st.snapshot = PlayerSnapshot {
                episode_id: Some(episode),
                status: PlayerStatus::Loading,
                position: start,
                duration,
                error: None,
            };
            st.token
        };
        self.library()
            .set_state(LAST_EPISODE_KEY, &episode.0.to_string())?;
        self.inner.player.send(PlayerCommand::Load {
            media,
            start,
            autoplay,
            token,
        });
        Ok(self.snapshot())
    }

    pub fn play(&self) {
        self.inner.player.send(PlayerCommand::Play);
    }

    pub fn pause(&self) {
        self.inner.player.send(PlayerCommand::Pause);
    }

    pub fn toggle(&self) {
        match self.snapshot().status {
            PlayerStatus::Playing => self.pause(),
            _ => self.play(),
        }
    }

    pub fn seek(&self, seconds: f64) {
        if seconds.is_finite() {
            self.inner
                .player
                .send(PlayerCommand::Seek(seconds.max(0.0)));
        }
    }

    /// Seeks relative to the position the listener hears now.
    pub fn skip(&self, delta: f64) {
        let position = self.snapshot().position;
        self.seek(position + delta);
    }

    /// Writes the current position now (used on quit and before switching episodes).
    pub fn save_now(&self) {
        save(&self.inner, &mut self.state());
    }

    /// Skips (or stops skipping) the chapter starting at `start`; remembered per episode and
    /// applied at once if that episode is loaded.
    pub fn set_chapter_skipped(&self, episode: EpisodeId, start: f64, skipped: bool) -> Result<()> {
        let ranges = {
            let lib = self.library();
            lib.set_chapter_skipped(episode, start, skipped)?;
            lib.skip_ranges(episode)?
        };
        let mut st = self.state();
        if st.snapshot.episode_id == Some(episode) {
            st.skip_ranges = ranges;
        }
        Ok(())
    }

    /// Unloads the current episode (saving its place first).
    pub fn stop(&self) {
        self.save_now();
        self.state().snapshot.episode_id = None;
        self.inner.player.send(PlayerCommand::Stop);
    }

    /// The podcast of the loaded episode, if any.
    pub fn current_podcast(&self) -> Option<crate::library::PodcastId> {
        let episode = self.snapshot().episode_id?;
        self.library()
            .episode(episode)
            .ok()
            .map(|m| m.summary.podcast_id)
    }

    /// Saves progress and stops the player thread. Call on quit.
    pub fn shutdown(&self) {
        self.save_now();
        self.inner.player.send(PlayerCommand::Shutdown);
    }
}

fn save(inner: &Inner, st: &mut State) {
    let Some(episode) = st.snapshot.episode_id else {
        return;
    };
    if st.snapshot.status == PlayerStatus::Loading {
        return;
    }
    // Stopping in the last few seconds (the outro) counts as having listened to it.
    let near_end = st
        .snapshot
        .duration
        .is_some_and(|d| d > 0.0 && st.snapshot.position >= d - PLAYED_NEAR_END_SECS);
    let played = st.snapshot.status == PlayerStatus::Ended || near_end;
    let lib = inner.library.lock().unwrap_or_else(|p| p.into_inner());
    match lib.save_progress(episode, st.snapshot.position, played) {
        Ok(()) => st.last_saved = Instant::now(),
        Err(e) => tracing::error!("could not save listening progress: {e}"),
    }
}

fn pump_events(inner: std::sync::Weak<Inner>, rx: Receiver<PlayerEvent>) {
    for event in rx {
        let Some(inner) = inner.upgrade() else { return };
        let mut st = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let ui = match event {
            PlayerEvent::Loaded {
                token,
                duration,
                position,
            } => {
                if token != st.token {
                    continue;
                }
                st.snapshot.duration = duration.or(st.snapshot.duration);
                st.snapshot.position = position;
                None
            }
            PlayerEvent::Status { status, position } => {
                st.snapshot.status = status;
                st.snapshot.position = position;
                if status == PlayerStatus::Idle {
                    // Nothing loaded (the load failed or the player stopped).
                } else if matches!(status, PlayerStatus::Paused | PlayerStatus::Ended) {
                    save(&inner, &mut st);
                }
                if matches!(status, PlayerStatus::Playing) {
                    st.snapshot.error = None;
                }
                Some(UiEvent::State {
                    snapshot: st.snapshot.clone(),
                })
            }
            PlayerEvent::Seeked { position } => {
                st.skipping_to = None;
                st.snapshot.position = position;
                if st.snapshot.status == PlayerStatus::Ended {
                    st.snapshot.status = PlayerStatus::Paused;
                }
                save(&inner, &mut st);
                Some(UiEvent::State {
                    snapshot: st.snapshot.clone(),
                })
            }
            PlayerEvent::Position {
                position, playing, ..
            } => {
                st.snapshot.position = position;
                if playing && st.last_saved.elapsed() >= SAVE_INTERVAL {
                    save(&inner, &mut st);
                }
                if playing && st.skipping_to.is_none() {
                    if let Some(to) = skip_target(&st.skip_ranges, position) {
                        st.skipping_to = Some(to);
                        inner.player.send(PlayerCommand::Seek(to));
                    }
                }
                Some(UiEvent::Position { position, playing })
            }
            PlayerEvent::Error { error, token } => {
                if token.is_some_and(|t| t != st.token) {
                    continue;
                }
                let message = error.to_string();
                st.snapshot.error = Some(message.clone());
                Some(UiEvent::Error { message })
            }
        };
        drop(st);
        if let Some(ui) = ui {
            (inner.sink)(ui);
        }
    }
}
