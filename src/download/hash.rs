//! The content hash computed while a download is written: SHA-256 (what `earshot-cli download`
//! prints) or BLAKE3 (what the app records: several times faster, so hashing never holds a
//! fast download back).

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Which hash a [`super::DownloadManager`] computes over a file's bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    #[default]
    Sha256,
    Blake3,
}

impl HashKind {
    /// `sha256` or `blake3`: the prefix of a labelled hash (`"blake3:<hex>"`).
    pub fn name(self) -> &'static str {
        match self {
            HashKind::Sha256 => "sha256",
            HashKind::Blake3 => "blake3",
        }
    }

    pub fn hasher(self) -> ContentHasher {
        ContentHasher::new(self)
    }

    /// `"<kind>:<hex>"`.
    pub fn label(self, hex: &str) -> String {
        format!("{}:{hex}", self.name())
    }

    /// Splits a labelled hash (`"blake3:<hex>"`) into its kind and hex digest.
    pub fn parse_label(labelled: &str) -> Option<(HashKind, &str)> {
        let (name, hex) = labelled.split_once(':')?;
        let kind = match name {
            "sha256" => HashKind::Sha256,
            "blake3" => HashKind::Blake3,
            _ => return None,
        };
        Some((kind, hex))
    }
}

impl std::fmt::Display for HashKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A running hash of one of the [`HashKind`]s.
#[derive(Clone)]
pub enum ContentHasher {
    Sha256(sha2::Sha256),
    /// Boxed: BLAKE3's state (its chaining-value stack) is ~2 KB.
    Blake3(Box<blake3::Hasher>),
}

impl ContentHasher {
    pub fn new(kind: HashKind) -> Self {
        match kind {
            HashKind::Sha256 => ContentHasher::Sha256(sha2::Sha256::new()),
            HashKind::Blake3 => ContentHasher::Blake3(Box::new(blake3::Hasher::new())),
        }
    }

    pub fn kind(&self) -> HashKind {
        match self {
            ContentHasher::Sha256(_) => HashKind::Sha256,
            ContentHasher::Blake3(_) => HashKind::Blake3,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            ContentHasher::Sha256(h) => h.update(bytes),
            ContentHasher::Blake3(h) => {
                h.update(bytes);
            }
        }
    }

    /// The digest as lowercase hex (64 characters for both kinds).
    pub fn finalize(self) -> String {
        match self {
            ContentHasher::Sha256(h) => hex(&h.finalize()),
            ContentHasher::Blake3(h) => h.finalize().to_hex().to_string(),
        }
    }

    /// The digest labelled with its kind: `"sha256:<hex>"` or `"blake3:<hex>"`.
    pub fn finalize_labelled(self) -> String {
        let kind = self.kind();
        kind.label(&self.finalize())
    }
}

impl std::fmt::Debug for ContentHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ContentHasher").field(&self.kind()).finish()
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_hash_like_their_crates() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for kind in [HashKind::Sha256, HashKind::Blake3] {
            let mut h = kind.hasher();
            for piece in data.chunks(65_537) {
                h.update(piece);
            }
            let expected = match kind {
                HashKind::Sha256 => hex(&sha2::Sha256::digest(&data)),
                HashKind::Blake3 => blake3::hash(&data).to_hex().to_string(),
            };
            let labelled = h.clone().finalize_labelled();
            assert_eq!(h.finalize(), expected);
            assert_eq!(labelled, format!("{kind}:{expected}"));
            assert_eq!(
                HashKind::parse_label(&labelled),
                Some((kind, expected.as_str()))
            );
        }
        assert_eq!(HashKind::parse_label("md5:00"), None);
        assert_eq!(HashKind::parse_label("nocolon"), None);
    }
}
