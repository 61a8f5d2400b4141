//! A listening session: the library, the player thread and the progress keeper joined up.
//! The desktop app and the headless tests both drive Earshot through this type.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::library::QueueItem;
use crate::library::{EpisodeId, Library};
use crate::player::{
    self, AudioOutput, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus,
};
use crate::settings::{clamp_speed, Settings};

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
    /// Playback speed in force (1 = normal; pitch is kept).
    pub speed: f64,
    /// 0–1.
    pub volume: f64,
    pub sleep_timer: Option<SleepTimer>,
}

/// A sleep timer: pause after some minutes of playing, or at the end of the episode or of
/// the current chapter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SleepTimer {
    /// Counts down while playing.
    #[serde(rename_all = "camelCase")]
    Minutes {
        #[serde(default)]
        remaining_secs: f64,
        /// Accepted when setting (`{ kind: "minutes", minutes }`); not sent.
        #[serde(default, skip_serializing)]
        minutes: f64,
    },
    Episode,
    Chapter,
}

/// What the UI hears, on one stream.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    State {
        snapshot: PlayerSnapshot,
    },
    /// `speed`: the UI interpolates `position + elapsed × speed` until the next one.
    Position {
        position: f64,
        playing: bool,
        speed: f64,
    },
    Error {
        message: String,
    },
    /// The up-next queue changed (the app sends it as its own event).
    Queue {
        items: Vec<QueueItem>,
    },
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
    /// For a sleep timer: when the last position event that said "playing" came, and where
    /// the current chapter ends (kind `chapter`).
    sleep_tick: Option<Instant>,
    sleep_chapter_end: Option<f64>,
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
    /// Called after an episode is loaded (e.g. to start aligning its transcript).
    load_hooks: Mutex<Vec<LoadHook>>,
}

type LoadHook = Box<dyn Fn(EpisodeId) + Send + Sync>;

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
                    speed: 1.0,
                    volume: 1.0,
                    sleep_timer: None,
                },
                token: 0,
                last_saved: Instant::now(),
                skip_ranges: Vec::new(),
                skipping_to: None,
                sleep_tick: None,
                sleep_chapter_end: None,
            }),
            sink: Box::new(sink),
            load_hooks: Mutex::new(Vec::new()),
        });
        let settings = {
            let lib = inner.library.lock().unwrap_or_else(|p| p.into_inner());
            Settings::load(&lib).unwrap_or_default()
        };
        let pump = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("earshot-events".into())
            .spawn(move || pump_events(pump, events_rx))
            .expect("spawn event thread");
        let session = Self { inner };
        session.apply_settings(&settings);
        session
    }

    /// Where the library and downloaded audio live.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.inner.data_dir
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
        let (media, start, duration, speed) = {
            let lib = self.library();
            let media = lib.episode(episode)?;
            let title = &media.summary.title;
            let local = media
                .local_file
                .as_deref()
                .map(|rel| (rel, Library::resolve_local(&self.inner.data_dir, rel)));
            let remote = media
                .enclosure_url
                .as_deref()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
            let source = match (local, remote) {
                (Some((_, Some(path))), _) if path.is_file() => Media::File(path),
                // Not downloaded, or its file has gone: stream it.
                (_, Some(url)) => Media::Url(url.to_string()),
                (Some((_, None)), None) => {
                    return Err(Error::NotFound(format!(
                        "a safe path for the audio of \"{title}\""
                    )))
                }
                (Some((rel, Some(path))), None) => {
                    return Err(Error::NotFound(format!(
                        "the audio file of \"{title}\" ({}; expected {rel})",
                        path.display()
                    )))
                }
                (None, None) => {
                    return Err(Error::NotFound(format!(
                        "audio for \"{title}\" (the feed gives no audio file for it)"
                    )))
                }
            };
            let s = &media.summary;
            let start = if s.played { 0.0 } else { s.position_secs };
            let speed = match lib.podcast_speed(s.podcast_id)? {
                Some(v) => clamp_speed(v),
                None => Settings::load(&lib)?.default_speed,
            };
            (source, start, s.duration_secs, speed)
        };
        self.inner
            .player
            .send(PlayerCommand::SetSpeed(speed as f32));
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
                speed,
                volume: st.snapshot.volume,
                sleep_timer: match st.snapshot.sleep_timer {
                    // "End of chapter" means this episode's; minutes and "end of episode"
                    // carry over to the next episode.
                    Some(SleepTimer::Chapter) => None,
                    other => other,
                },
            };
            st.token
        };
        self.library()
            .set_state(LAST_EPISODE_KEY, &episode.0.to_string())?;
        if self.library().queue_remove(episode)? {
            self.emit_queue();
        }
        self.inner.player.send(PlayerCommand::Load {
            media,
            start,
            autoplay,
            token,
        });
        for hook in self
            .inner
            .load_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            hook(episode);
        }
        Ok(self.snapshot())
    }

    /// Calls `f` with every episode loaded from now on (after it is handed to the player).
    pub fn on_load(&self, f: impl Fn(EpisodeId) + Send + Sync + 'static) {
        self.inner
            .load_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(f));
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

    /// Sets the playback speed (0.5–3 in 0.1 steps, pitch kept) and keeps it as the loaded
    /// podcast's speed. Returns the speed applied.
    pub fn set_speed(&self, speed: f64) -> Result<f64> {
        let speed = clamp_speed(speed);
        if let Some(podcast) = self.current_podcast() {
            self.library().set_podcast_speed(podcast, Some(speed))?;
        }
        self.state().snapshot.speed = speed;
        self.inner
            .player
            .send(PlayerCommand::SetSpeed(speed as f32));
        Ok(speed)
    }

    /// Sets the volume (0–1) and remembers it.
    pub fn set_volume(&self, volume: f64) -> Result<f64> {
        let lib = self.library();
        let mut settings = Settings::load(&lib)?;
        settings.volume = volume;
        let settings = settings.save(&lib)?;
        drop(lib);
        self.state().snapshot.volume = settings.volume;
        self.inner
            .player
            .send(PlayerCommand::SetVolume(settings.volume as f32));
        Ok(settings.volume)
    }

    /// Stores the settings (clamped) and applies those the player uses (volume, skip silence,
    /// loudness levelling). Returns what was stored.
    pub fn update_settings(&self, settings: &Settings) -> Result<Settings> {
        let stored = settings.save(&self.library())?;
        self.apply_settings(&stored);
        Ok(stored)
    }

    pub fn settings(&self) -> Result<Settings> {
        Settings::load(&self.library())
    }

    fn apply_settings(&self, s: &Settings) {
        self.state().snapshot.volume = s.volume;
        let p = &self.inner.player;
        p.send(PlayerCommand::SetVolume(s.volume as f32));
        p.send(PlayerCommand::SetSkipSilence(s.skip_silence));
        p.send(PlayerCommand::SetLevelling(s.loudness_levelling));
    }

    pub fn queue(&self) -> Result<Vec<QueueItem>> {
        self.library().queue()
    }

    /// Sends the queue to the UI (after changes made elsewhere, e.g. an unsubscribe).
    pub fn emit_queue(&self) {
        match self.library().queue() {
            Ok(items) => (self.inner.sink)(UiEvent::Queue { items }),
            Err(e) => tracing::warn!("reading the queue: {e}"),
        }
    }

    /// Adds an episode to play next (`next`) or last; an episode already queued moves. The
    /// episode playing now is not queued.
    pub fn queue_add(&self, episode: EpisodeId, next: bool) -> Result<Vec<QueueItem>> {
        if self.snapshot().episode_id != Some(episode) {
            self.library().queue_add(episode, next)?;
            self.emit_queue();
        }
        self.queue()
    }

    pub fn queue_move(&self, episode: EpisodeId, to: usize) -> Result<Vec<QueueItem>> {
        self.library().queue_move(episode, to)?;
        self.emit_queue();
        self.queue()
    }

    pub fn queue_remove(&self, episode: EpisodeId) -> Result<Vec<QueueItem>> {
        self.library().queue_remove(episode)?;
        self.emit_queue();
        self.queue()
    }

    pub fn queue_clear(&self) -> Result<Vec<QueueItem>> {
        self.library().queue_clear()?;
        self.emit_queue();
        self.queue()
    }

    /// Plays the first queued episode now (it leaves the queue).
    pub fn play_next(&self) -> Result<PlayerSnapshot> {
        let next = self.library().queue_pop()?;
        match next {
            Some(id) => {
                self.emit_queue();
                self.load(id, true)
            }
            None => Err(Error::NotFound("an episode in Up Next".into())),
        }
    }

    /// Sets (or with `None` clears) the sleep timer. Returns the timer in force.
    pub fn set_sleep_timer(&self, timer: Option<SleepTimer>) -> Option<SleepTimer> {
        let timer = match timer {
            Some(SleepTimer::Minutes {
                minutes,
                remaining_secs,
            }) => {
                let secs = if minutes > 0.0 {
                    minutes * 60.0
                } else {
                    remaining_secs
                };
                (secs.is_finite() && secs > 0.0).then_some(SleepTimer::Minutes {
                    remaining_secs: secs.min(24.0 * 3600.0),
                    minutes: 0.0,
                })
            }
            other => other,
        };
        let chapter_end = match timer {
            Some(SleepTimer::Chapter) => self.current_chapter_end(),
            _ => None,
        };
        let snapshot = {
            let mut st = self.state();
            st.snapshot.sleep_timer = timer;
            st.sleep_tick = None;
            st.sleep_chapter_end = chapter_end;
            st.snapshot.clone()
        };
        (self.inner.sink)(UiEvent::State { snapshot });
        timer
    }

    /// Where the chapter playing now ends (the episode's end for the last one).
    fn current_chapter_end(&self) -> Option<f64> {
        let snap = self.snapshot();
        let episode = snap.episode_id?;
        let chapters = self.library().chapters(episode).ok()?;
        chapter_end_at(&chapters, snap.position).or(snap.duration)
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
        let mut advance = false;
        let mut sleep_now = false;
        let mut sleep_at = None;
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
                if status != PlayerStatus::Playing {
                    st.sleep_tick = None;
                }
                if status == PlayerStatus::Ended {
                    match st.snapshot.sleep_timer {
                        // "End of episode" (or of its last chapter): stop here.
                        Some(SleepTimer::Episode) | Some(SleepTimer::Chapter) => {
                            st.snapshot.sleep_timer = None;
                        }
                        _ => advance = true,
                    }
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
                if st.snapshot.sleep_timer == Some(SleepTimer::Chapter) {
                    // The listener moved: "end of chapter" now means the chapter here.
                    let lib = inner.library.lock().unwrap_or_else(|p| p.into_inner());
                    let chapters = st
                        .snapshot
                        .episode_id
                        .and_then(|e| lib.chapters(e).ok())
                        .unwrap_or_default();
                    st.sleep_chapter_end =
                        chapter_end_at(&chapters, position).or(st.snapshot.duration);
                }
                Some(UiEvent::State {
                    snapshot: st.snapshot.clone(),
                })
            }
            PlayerEvent::Position {
                position,
                playing,
                speed,
                ..
            } => {
                st.snapshot.position = position;
                // Saved at most SAVE_INTERVAL apart while playing, so a crash or kill -9
                // loses no more than that.
                if st.snapshot.status == PlayerStatus::Playing
                    && st.last_saved.elapsed() >= SAVE_INTERVAL
                {
                    save(&inner, &mut st);
                }
                if playing && st.skipping_to.is_none() {
                    if let Some(to) = skip_target(&st.skip_ranges, position) {
                        st.skipping_to = Some(to);
                        inner.player.send(PlayerCommand::Seek(to));
                    }
                }
                let is_playing = st.snapshot.status == PlayerStatus::Playing;
                sleep_now = sleep_due(&mut st, is_playing, position);
                if sleep_now && st.snapshot.sleep_timer == Some(SleepTimer::Chapter) {
                    sleep_at = st.sleep_chapter_end;
                }
                Some(UiEvent::Position {
                    position,
                    playing,
                    speed: (speed as f64 * 10.0).round() / 10.0,
                })
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
        let session = Session {
            inner: inner.clone(),
        };
        if sleep_now {
            tracing::info!("sleep timer: pausing");
            session.pause();
            // End of chapter: resume at the start of the next one, not a moment into it.
            if let Some(at) = sleep_at {
                session.seek(at);
            }
            let snapshot = {
                let mut st = session.state();
                st.snapshot.sleep_timer = None;
                st.snapshot.clone()
            };
            (inner.sink)(UiEvent::State { snapshot });
        }
        if advance {
            let next = session.library().queue_pop();
            match next {
                Ok(Some(id)) => {
                    session.emit_queue();
                    if let Err(e) = session.load(id, true) {
                        (inner.sink)(UiEvent::Error {
                            message: format!("Could not play the next episode: {e}"),
                        });
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("reading the queue: {e}"),
            }
        }
    }
}

/// Counts a sleep timer down by the time spent playing since the last position event; true
/// when it has run out (or the chapter it waits for has ended).
fn sleep_due(st: &mut State, playing: bool, position: f64) -> bool {
    let now = Instant::now();
    let last = if playing {
        st.sleep_tick.replace(now)
    } else {
        st.sleep_tick.take()
    };
    match &mut st.snapshot.sleep_timer {
        Some(SleepTimer::Minutes { remaining_secs, .. }) => {
            if let Some(last) = last {
                *remaining_secs -= now.duration_since(last).as_secs_f64();
            }
            playing && *remaining_secs <= 0.0
        }
        Some(SleepTimer::Chapter) => {
            playing
                && st
                    .sleep_chapter_end
                    .is_some_and(|end| position >= end - 0.05)
        }
        _ => false,
    }
}

/// The end of the chapter at `position`: its own end, else the next chapter's start.
fn chapter_end_at(chapters: &[crate::chapters::Chapter], position: f64) -> Option<f64> {
    let i = crate::chapters::chapter_at(chapters, position)?;
    chapters[i]
        .end
        .or_else(|| chapters.get(i + 1).map(|c| c.start))
}
