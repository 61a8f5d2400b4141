//! File names for downloads: made from a sanitized hint (an episode title, say) or the URL,
//! never from feed text used raw, and unique within the download folder.

use std::path::{Path, PathBuf};

use url::Url;

/// The longest file name we make, in bytes (UTF-8), extension and uniqueness suffix included.
/// Well under every file system's 255, leaving room for `.part.meta` beside it.
pub const MAX_NAME_BYTES: usize = 120;

/// Extensions we recognise as media and keep.
const MEDIA_EXTS: &[&str] = &[
    "mp3", "m4a", "m4b", "mp4", "m4v", "aac", "ogg", "oga", "opus", "flac", "wav", "webm", "mov",
];

/// Used when neither the URL, the MIME type nor the hint names a media extension. The player
/// probes the content, so the extension is only a hint for other programs; most podcasts are MP3.
const FALLBACK_EXT: &str = "mp3";

/// Names Windows reserves for devices, whatever the extension (`con.mp3` is reserved too).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// A safe file name (not yet unique) for a download: `hint` (an episode title; may be empty)
/// sanitized, else the URL's last path segment sanitized, else `episode`; with a media
/// extension from the URL, else from `mime`, else from the hint, else `.mp3`.
///
/// Sanitizing strips path separators and characters Windows forbids (each becomes `_`),
/// control and bidirectional-override characters, leading dots, dashes and spaces, trailing
/// dots and spaces; collapses runs of white space; avoids reserved device names (`CON`,
/// `NUL`, `COM1` …, which get a `_` prefix); and limits the name to [`MAX_NAME_BYTES`] bytes
/// without splitting a character. The result is always a single, non-empty, normal path
/// component.
pub fn safe_file_name(hint: &str, url: &Url, mime: Option<&str>) -> String {
    let url_segment = url
        .path_segments()
        .and_then(|mut s| s.rfind(|seg| !seg.is_empty()))
        .map(percent_decode)
        .unwrap_or_default();
    let ext = media_ext(&url_segment)
        .or_else(|| mime.and_then(mime_ext))
        .or_else(|| media_ext(hint))
        .unwrap_or(FALLBACK_EXT);

    let from_hint = sanitize(strip_ext(hint, true));
    let stem = if !from_hint.is_empty() {
        from_hint
    } else {
        let from_url = sanitize(strip_ext(&url_segment, false));
        if from_url.is_empty() {
            "episode".to_string()
        } else {
            from_url
        }
    };
    compose(&stem, ext, "")
}

/// `stem` + `suffix` + `.ext`, the stem cut (at a character boundary) so that the whole fits
/// in [`MAX_NAME_BYTES`], and still neither reserved nor ending in a dot or space.
fn compose(stem: &str, ext: &str, suffix: &str) -> String {
    let room = MAX_NAME_BYTES.saturating_sub(ext.len() + 1 + suffix.len());
    let mut stem = truncate_utf8(stem, room)
        .trim_end_matches(['.', ' '])
        .to_string();
    if stem.is_empty() {
        stem = "episode".to_string();
    }
    if is_reserved(&stem) {
        stem.insert(0, '_');
        stem = truncate_utf8(&stem, room).to_string();
    }
    format!("{stem}{suffix}.{ext}")
}

/// The first free name in `dir` for `base` (a name from [`safe_file_name`]): `base`, then
/// `stem-2.ext`, `stem-3.ext` … A name is taken when it, its `.part` or its `.part.meta` exists
/// on disk, or when `taken` says so (names held by downloads still in progress).
pub fn unique_path(dir: &Path, base: &str, taken: impl Fn(&Path) -> bool) -> PathBuf {
    let (stem, ext) = match base.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, e),
        _ => (base, FALLBACK_EXT),
    };
    let free = |p: &Path| {
        !taken(p) && !exists(p) && !exists(&super::part_path(p)) && !exists(&super::meta_path(p))
    };
    let first = dir.join(base);
    if free(&first) {
        return first;
    }
    for n in 2..10_000u32 {
        let candidate = dir.join(compose(stem, ext, &format!("-{n}")));
        if free(&candidate) {
            return candidate;
        }
    }
    // Ten thousand namesakes: fall back to something that cannot collide in practice.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    dir.join(compose(stem, ext, &format!("-{nanos:x}")))
}

fn exists(p: &Path) -> bool {
    // symlink_metadata: a dangling link still occupies the name.
    std::fs::symlink_metadata(p).is_ok()
}

fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = match c {
            // Zero-width and bidirectional controls can disguise a name ("mp3.exe" shown
            // reversed); drop them.
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => continue,
            '\u{FEFF}' => continue,
            c if c.is_control() => ' ',
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let trimmed = out
        .trim_start_matches(['.', '-', ' '])
        .trim_end_matches(['.', ' ']);
    trimmed.to_string()
}

fn is_reserved(stem: &str) -> bool {
    let device = stem.split('.').next().unwrap_or("").trim_end();
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(device))
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The extension of `name` if it is a media one we know, lower-cased.
fn media_ext(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.trim().to_ascii_lowercase();
    MEDIA_EXTS.iter().copied().find(|e| *e == ext)
}

/// `name` without its extension: any short alphanumeric one (`file.php` → `file`) when `any`,
/// else only a media one (`Episode 1.mp3` → `Episode 1`, but `Dr. No` stays).
fn strip_ext(name: &str, only_media: bool) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if only_media && media_ext(name).is_some() => stem,
        Some((stem, ext))
            if !only_media
                && !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            stem
        }
        _ => name,
    }
}

fn mime_ext(mime: &str) -> Option<&'static str> {
    let essence = mime.split(';').next()?.trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg" | "audio/x-mp3" => "mp3",
        "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/mp4a-latm" => "m4a",
        "audio/x-m4b" | "audio/m4b" => "m4b",
        "audio/aac" | "audio/x-aac" | "audio/aacp" => "aac",
        "audio/ogg" | "application/ogg" | "audio/vorbis" => "ogg",
        "audio/opus" => "opus",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        "audio/webm" | "video/webm" => "webm",
        "video/mp4" => "mp4",
        "video/x-m4v" => "m4v",
        "video/quicktime" => "mov",
        _ => return None,
    })
}

/// Percent-decodes a URL path segment (invalid UTF-8 is replaced, never trusted).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn strips_only_media_extensions_from_hints() {
        assert_eq!(strip_ext("Episode 1.mp3", true), "Episode 1");
        assert_eq!(strip_ext("Dr. No", true), "Dr. No");
        assert_eq!(strip_ext("file.php", false), "file");
    }
}
