//! Choosing among an episode's `podcast:transcript` entries.

use super::detect::TranscriptFormat;
pub use crate::feed::TranscriptRef;

/// The format a feed entry declares: its `type` (without parameters or case), else its URL's
/// extension.
pub fn declared_format(r: &TranscriptRef) -> Option<TranscriptFormat> {
    r.mime
        .as_deref()
        .and_then(TranscriptFormat::from_mime)
        .or_else(|| TranscriptFormat::from_name(&r.url))
}

/// The order in which to try an episode's transcripts (indices into `candidates`): those in the
/// listener's language first (the primary subtag decides: `en-GB` matches `en` and `en-US`),
/// then those that do not say their language, then the rest; within each, by type — JSON,
/// WebVTT, SRT, HTML, text, then anything else — and, for equal types, an exact language tag
/// before a primary-subtag match, then feed order. Every candidate is listed: the caller tries
/// them in turn and moves on when one is empty or broken.
pub fn choose_transcripts(candidates: &[TranscriptRef], user_lang: &str) -> Vec<usize> {
    let user = normalize_lang(user_lang);
    let user_primary = primary(&user);
    let mut keyed: Vec<((u8, u8, u8), usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let lang = c
                .language
                .as_deref()
                .map(normalize_lang)
                .unwrap_or_default();
            let (tier, exact) = if lang.is_empty() {
                (1, 1)
            } else if user.is_empty() || primary(&lang) == user_primary {
                (0, u8::from(lang != user))
            } else {
                (2, 1)
            };
            let kind = declared_format(c).map_or(5, |f| f as u8);
            ((tier, kind, exact), i)
        })
        .collect();
    keyed.sort(); // stable on the index, which is part of the key
    keyed.into_iter().map(|(_, i)| i).collect()
}

fn normalize_lang(tag: &str) -> String {
    tag.trim().replace('_', "-").to_ascii_lowercase()
}

fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(url: &str, mime: Option<&str>, lang: Option<&str>) -> TranscriptRef {
        TranscriptRef {
            url: url.into(),
            mime: mime.map(Into::into),
            language: lang.map(Into::into),
            rel: None,
        }
    }

    #[test]
    fn language_then_type() {
        let c = [
            r("a.txt", Some("text/plain; charset=utf-8"), Some("en")),
            r("b.json", Some("application/json"), Some("de")),
            r("c.srt", Some("Application/X-Subrip"), Some("en-US")),
            r("d.vtt", None, None),
            r("e", Some("text/html"), Some("EN_gb")),
            r("f.json", Some("application/json"), Some("en-GB")),
            r("g.pdf", Some("application/pdf"), Some("en")),
        ];
        assert_eq!(choose_transcripts(&c, "en-GB"), vec![5, 2, 4, 0, 6, 3, 1]);
        assert_eq!(choose_transcripts(&c, "de"), vec![1, 3, 5, 2, 4, 0, 6]);
        assert_eq!(choose_transcripts(&c, ""), vec![1, 5, 2, 4, 0, 6, 3]);
        assert!(choose_transcripts(&[], "en").is_empty());
    }
}
