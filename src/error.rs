//! One error type for the core, folded from each area's failures.
//!
//! Every message is written for a person: it says what failed and, where it can, what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} is not valid: {reason}")]
    Parse { what: String, reason: String },
    #[error("library database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("library database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("{0} was not found in the library")]
    NotFound(String),
    #[error("{0}")]
    Audio(#[from] crate::player::AudioError),
    /// A download failed; the message names the file and the cause.
    #[error("{0}")]
    Download(#[from] crate::download::DownloadError),
    /// A feed could not be fetched or read; the message names the feed and the cause.
    #[error("{0}")]
    Feed(String),
    /// Playback stopped on an error the player already put in words.
    #[error("{0}")]
    Playback(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn parse(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Parse {
            what: what.into(),
            reason: reason.into(),
        }
    }
    /// A short machine-readable kind, used at the IPC boundary.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Parse { .. } => "parse",
            Error::Db(_) | Error::Migration(_) => "database",
            Error::NotFound(_) => "not_found",
            Error::Audio(_) | Error::Playback(_) => "audio",
            Error::Feed(_) => "feed",
            Error::Download(_) => "download",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
