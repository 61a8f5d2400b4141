//! The player: one dedicated thread owns the decoder and the output. It takes
//! [`PlayerCommand`]s in through one channel and reports [`PlayerEvent`]s out through another.
//!
//! Position is measured where the listener hears it: the frames the output device has taken
//! from the stream (see [`stream`]), less the device's buffer while playing.

pub mod decode;
mod engine;
pub mod http_source;
pub mod output;
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
    /// Sent several times a second while playing. `at` is when the position was read.
    Position {
        position: f64,
        playing: bool,
        at: Instant,
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
