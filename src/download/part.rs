//! The `.part` file and the `.part.meta` beside it: the validators (ETag, Last-Modified), the
//! expected length and the URL, so that a later run — or another process — can resume.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::hash::{ContentHasher, HashKind};

/// Written beside `<final>.part` as `<final>.part.meta` (JSON) before the first byte of data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    /// The URL as enqueued (before redirects); a later download of the same URL into the same
    /// folder resumes this part.
    pub url: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The full length of the file, when the server said (Content-Length / Content-Range).
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub content_type: Option<String>,
}

impl PartMeta {
    /// The value for `If-Range`: a strong ETag, else Last-Modified. Without one a partial file
    /// cannot be validated, so it is not resumed (the download restarts from zero).
    pub fn if_range(&self) -> Option<&str> {
        match self.etag.as_deref() {
            Some(e) if !e.starts_with("W/") => Some(e),
            _ => self.last_modified.as_deref(),
        }
    }
}

/// `<final>.part`
pub fn part_path(final_path: &Path) -> PathBuf {
    append(final_path, ".part")
}

/// `<final>.part.meta`
pub fn meta_path(final_path: &Path) -> PathBuf {
    append(final_path, ".part.meta")
}

fn append(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub(crate) fn read_meta(final_path: &Path) -> Option<PartMeta> {
    let bytes = std::fs::read(meta_path(final_path)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes the meta atomically (temporary file, fsync, rename).
pub(crate) fn write_meta(final_path: &Path, meta: &PartMeta) -> io::Result<()> {
    let path = meta_path(final_path);
    let tmp = append(final_path, ".part.meta.tmp");
    let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)
}

/// Removes the `.part`, its meta (and a stray temporary meta); missing files are fine.
pub(crate) fn remove_part(final_path: &Path) {
    let _ = std::fs::remove_file(part_path(final_path));
    let _ = std::fs::remove_file(meta_path(final_path));
    let _ = std::fs::remove_file(append(final_path, ".part.meta.tmp"));
}

/// Final paths in `dir` whose `.part.meta` records `url`: parts left by an earlier run.
pub(crate) fn resumable_parts(dir: &Path, url: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let name = name.to_str()?;
            let stem = name.strip_suffix(".part.meta")?;
            (!stem.is_empty()).then(|| dir.join(stem))
        })
        .filter(|final_path| read_meta(final_path).is_some_and(|m| m.url == url))
        .collect();
    found.sort();
    found
}

/// Hashes what a `.part` already holds with `kind` (the manager's, so the appended bytes
/// continue the same hash): (its length, the hash state to continue from). A missing part is
/// empty.
pub(crate) fn hash_existing(part: &Path, kind: HashKind) -> io::Result<(u64, ContentHasher)> {
    let mut hasher = kind.hasher();
    let mut file = match std::fs::File::open(part) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((0, hasher)),
        Err(e) => return Err(e),
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((len, hasher))
}
