//! What can go wrong with a download, said so a person can act on it, and whether trying again
//! (by the manager, automatically) can help.

use std::io;
use std::path::{Path, PathBuf};

/// Why a download stopped. `retryable()` tells transient network trouble (retried with backoff)
/// from answers and local failures that trying again cannot fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("{url} is not an http(s) address")]
    BadUrl { url: String },
    /// A 4xx answer (other than 408/429): the request itself is refused; not retried.
    #[error("the server refused {url}: it answered {status}")]
    Refused { url: String, status: String },
    /// A 5xx (or 408/429) answer: the server is in trouble; retried.
    #[error("the server failed on {url}: it answered {status}")]
    ServerError { url: String, status: String },
    /// Could not connect, or the connection broke off: retried.
    #[error("the network failed for {url}: {cause}")]
    Network { url: String, cause: String },
    /// Nothing arrived for the stall timeout: retried.
    #[error("no data arrived from {url} for {secs} s")]
    Stalled { url: String, secs: u64 },
    /// An answer that contradicts itself or what came before (lengths, ranges): retried.
    #[error("the server's answer for {url} was inconsistent: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("{url} redirects too many times (more than {max})")]
    TooManyRedirects { url: String, max: usize },
    #[error(
        "the disk is full while saving {file} to {dir}; free some space, then resume the download"
    )]
    DiskFull { file: String, dir: PathBuf },
    #[error("cannot save {file} to {dir}: the folder is on a read-only disk; choose another download folder")]
    ReadOnly { file: String, dir: PathBuf },
    #[error("cannot save {file} to {dir}: permission denied; choose another download folder")]
    PermissionDenied { file: String, dir: PathBuf },
    #[error("cannot save {file} to {dir}: that path is not a folder (or lies inside a file)")]
    NotADirectory { file: String, dir: PathBuf },
    #[error("could not save {file} to {dir}: {cause}")]
    Io {
        file: String,
        dir: PathBuf,
        cause: String,
    },
}

impl DownloadError {
    /// Transient trouble the manager retries with backoff (and that a later resume may fix).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            DownloadError::ServerError { .. }
                | DownloadError::Network { .. }
                | DownloadError::Stalled { .. }
                | DownloadError::BadResponse { .. }
        )
    }

    /// Whether the partial file is worth keeping for a later resume after the download failed
    /// with this error. A refused request (404, 410, 403 …) will not come back: its `.part` is
    /// removed; a full disk or a network failure keep it.
    pub fn keeps_part(&self) -> bool {
        matches!(
            self,
            DownloadError::ServerError { .. }
                | DownloadError::Network { .. }
                | DownloadError::Stalled { .. }
                | DownloadError::BadResponse { .. }
                | DownloadError::DiskFull { .. }
                | DownloadError::Io { .. }
        )
    }

    /// A short machine-readable kind, for the IPC boundary and the database.
    pub fn kind(&self) -> &'static str {
        match self {
            DownloadError::BadUrl { .. } => "bad_url",
            DownloadError::Refused { .. } => "refused",
            DownloadError::ServerError { .. } => "server_error",
            DownloadError::Network { .. } => "network",
            DownloadError::Stalled { .. } => "stalled",
            DownloadError::BadResponse { .. } => "bad_response",
            DownloadError::TooManyRedirects { .. } => "too_many_redirects",
            DownloadError::DiskFull { .. } => "disk_full",
            DownloadError::ReadOnly { .. } => "read_only",
            DownloadError::PermissionDenied { .. } => "permission_denied",
            DownloadError::NotADirectory { .. } => "not_a_directory",
            DownloadError::Io { .. } => "io",
        }
    }
}

/// Maps a local file-system failure while saving `file` into `dir` to a clear, non-retried
/// error: a full disk (ENOSPC, EDQUOT), a read-only disk (EROFS), a folder we may not write
/// (EACCES, EPERM), a "folder" that is a file (ENOTDIR), or anything else with its cause.
pub fn io_error(e: &io::Error, file: &str, dir: &Path) -> DownloadError {
    let file = if file.is_empty() {
        "the download".to_string()
    } else {
        file.to_string()
    };
    let dir = dir.to_path_buf();
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            DownloadError::DiskFull { file, dir }
        }
        io::ErrorKind::ReadOnlyFilesystem => DownloadError::ReadOnly { file, dir },
        io::ErrorKind::PermissionDenied => DownloadError::PermissionDenied { file, dir },
        io::ErrorKind::NotADirectory => DownloadError::NotADirectory { file, dir },
        _ => DownloadError::Io {
            file,
            dir,
            cause: e.to_string(),
        },
    }
}

/// The innermost cause of a reqwest error, which is the part worth showing ("Connection
/// refused", "connection reset").
pub(crate) fn reqwest_cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    msg
}
