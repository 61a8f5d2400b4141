//! The player: one dedicated thread owns the decoder and the output. It takes
//! [`PlayerCommand`]s in through one channel and reports [`PlayerEvent`]s out through another.
//!
//! Position is measured where the listener hears it: the frames the output device has taken
//! from the stream (see [`stream`]), less the device's buffer while playing.

pub mod decode;
pub mod dsp;
mod engine;
pub mod http_source;
pub mod mp3index;
pub mod output;
#[cfg(target_os = "linux")]
pub mod pulse;
pub mod stream;

use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::Sender;
use serde::Serialize;

pub use engine::spawn;
pub use output::{AudioOutput, RodioOutput};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AudioError {
    #[error("No audio output device is available ({0}). Connect headphones or speakers, or check the system sound settings, then press Play again.")]
    NoDevice(String),
    /// The output went away mid-playback (the sound server died or restarted). The player is
    /// paused where the listener stopped hearing; Play connects again.
    #[error("Lost the connection to the sound server (PulseAudio): {0}. Press play to try again.")]
    ConnectionLost(String),
    #[error("Cannot open the audio file {name}: {reason}")]
    Open { name: String, reason: String },
    #[error("The audio file {name} is not in a format Earshot can play: {reason}")]
    Unsupported { name: String, reason: String },
    #[error("The audio file {name} is damaged and cannot be decoded: {reason}")]
    Decode { name: String, reason: String },
}

/// Where a track's audio comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    /// A downloaded or bundled file.
    File(PathBuf),
    /// Streamed from the episode's http(s) URL.
    Url(String),
}

/// What the player thread is told to do. Settings (`Set*`) belong to the player, not to a
/// track: they stay in force across `Load`s until changed.
#[derive(Debug, Clone)]
pub enum PlayerCommand {
    Load {
        media: Media,
        start: f64,
        autoplay: bool,
        token: u64,
    },
    Play,
    Pause,
    Seek(f64),
    Stop,
    Shutdown,
    /// Playback speed, clamped to 0.5–3 (the UI offers 0.1 steps). The pitch is kept (WSOLA
    /// time-stretch); exactly 1 plays the decoded samples untouched. Heard within 15 ms, no
    /// click. Position events carry the speed in force.
    SetSpeed(f32),
    /// Volume, clamped to 0–1.5 (1 = as decoded; above 1 may clip loud audio). Glides to the
    /// new value over ~30 ms.
    SetVolume(f32),
    /// Skip silence: pauses longer than 0.6 s (below -45 dBFS) are shortened to 0.3 s. The
    /// position stays media time (it jumps over what was cut); the media seconds cut so far in
    /// this track are in [`PlayerEvent::Position::silence_skipped`].
    SetSkipSilence(bool),
    /// Loudness levelling: a slowly varying gain brings the short-term loudness (EBU R128, 3 s)
    /// toward -16 LUFS, with a peak limiter so it never clips. Takes effect within ~0.5 s.
    SetLevelling(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlayerStatus {
    Idle,
    Loading,
    Playing,
    Paused,
    Ended,
}

#[derive(Debug, Clone)]
pub enum PlayerEvent {
    /// A track is ready; `position` is where it will start.
    Loaded {
        token: u64,
        duration: Option<f64>,
        position: f64,
    },
    Status {
        status: PlayerStatus,
        position: f64,
    },
    /// Sent several times a second while playing. `at` is when the position was read: until
    /// the next event, the position at time `t` is `position + (t - at) * speed` (if `playing`).
    /// `position` is media time (seconds into the track) heard at `at`, whatever the speed.
    Position {
        position: f64,
        playing: bool,
        at: Instant,
        /// The playback speed in force (1 = normal).
        speed: f32,
        /// Media seconds skip-silence has cut from this track so far (listening time saved is
        /// this divided by the speed).
        silence_skipped: f64,
    },
    Seeked {
        position: f64,
    },
    Error {
        error: AudioError,
        token: Option<u64>,
    },
}

/// A cloneable handle to the player thread.
#[derive(Clone)]
pub struct PlayerHandle {
    tx: Sender<PlayerCommand>,
}

impl PlayerHandle {
    /// Sends a command; a player thread that is gone (app shutting down) is not an error here.
    pub fn send(&self, cmd: PlayerCommand) {
        if self.tx.send(cmd).is_err() {
            tracing::warn!("player thread is gone; command dropped");
        }
    }
}
