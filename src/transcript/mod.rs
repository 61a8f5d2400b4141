//! Transcripts: parsed into timed, speaker-labelled segments, and looked up by position.
//!
//! Formats: WebVTT ([`parse_vtt`]), SRT ([`parse_srt`]), Podcasting 2.0 JSON ([`parse_json`]),
//! HTML ([`parse_html`]) and plain text ([`parse_text`]). [`parse_transcript`] takes bytes,
//! finds the format and text encoding and reads them; [`choose_transcripts`] orders a feed
//! item's `podcast:transcript` entries. HTML and text transcripts rarely carry times: they are
//! read as an [`UntimedTranscript`] (paragraphs, speakers, the few times written in the text)
//! whose [`UntimedTranscript::spread`] gives placeholder segments marked `estimated`.

mod detect;
mod html;
mod json;
mod plain;
mod select;
mod srt;
mod untimed;
pub(crate) mod util;
mod vtt;

use serde::{Deserialize, Serialize};

pub use detect::{decode_text, parse_as, parse_transcript, ParsedTranscript, TranscriptFormat};
pub use html::parse_html;
pub use json::parse_json;
pub use plain::parse_text;
pub use select::{choose_transcripts, declared_format, TranscriptRef};
pub use srt::parse_srt;
pub use untimed::{Anchor, Paragraph, UntimedTranscript};
pub use vtt::parse_vtt;

/// One timed line of a transcript. Times are seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub speaker: Option<String>,
    pub text: String,
    /// The start was not written in the source: it is spread over an untimed transcript (or
    /// shared out within a cue holding several speakers), a placeholder until alignment.
    #[serde(default)]
    pub estimated: bool,
    /// Word timings, when the source has them (WebVTT inline timestamps, word-level JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
}

impl Segment {
    pub fn new(start: f64, end: f64, speaker: Option<String>, text: impl Into<String>) -> Self {
        Segment {
            start,
            end,
            speaker,
            text: text.into(),
            ..Default::default()
        }
    }
}

/// One timed word (or token) of a segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// What every parser guarantees: finite, non-negative times, `end >= start`, words inside their
/// segment and in order, no empty text, segments sorted by start (stable).
pub(crate) fn finish(segments: &mut Vec<Segment>) {
    segments.retain(|s| s.start.is_finite() && !s.text.trim().is_empty());
    for s in segments.iter_mut() {
        s.start = s.start.max(0.0);
        if !s.end.is_finite() || s.end < s.start {
            s.end = s.start;
        }
        s.words
            .retain(|w| w.start.is_finite() && !w.text.is_empty());
        s.words.sort_by(|a, b| a.start.total_cmp(&b.start));
        for w in &mut s.words {
            w.start = w.start.clamp(s.start, s.end);
            w.end = if w.end.is_finite() {
                w.end.clamp(w.start, s.end)
            } else {
                w.start
            };
        }
    }
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    let names = speaker_spellings(segments.iter().filter_map(|s| s.speaker.as_deref()));
    for s in segments.iter_mut() {
        respell(&mut s.speaker, &names);
    }
}

/// `PRIYA` and `Priya` are one speaker: an all-capitals label takes the spelling the same name
/// has elsewhere in mixed case.
pub(crate) fn speaker_spellings<'a>(
    names: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<String, String> {
    let mut map = std::collections::HashMap::new();
    for n in names {
        if n.chars().any(char::is_lowercase) {
            map.entry(n.to_lowercase()).or_insert_with(|| n.to_string());
        }
    }
    map
}

pub(crate) fn respell(
    speaker: &mut Option<String>,
    names: &std::collections::HashMap<String, String>,
) {
    if let Some(s) = speaker {
        if !s.chars().any(char::is_lowercase) {
            if let Some(mixed) = names.get(&s.to_lowercase()) {
                *s = mixed.clone();
            }
        }
    }
}

/// Index of the segment being spoken at `position`: the last one starting at or before it,
/// provided it has not ended yet. Segments must be sorted by start (every parser sorts).
pub fn segment_at(segments: &[Segment], position: f64) -> Option<usize> {
    let i = segments
        .partition_point(|s| s.start <= position)
        .checked_sub(1)?;
    (position < segments[i].end).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: f64, end: f64) -> Segment {
        Segment::new(start, end, None, "")
    }

    #[test]
    fn the_active_segment_contains_the_position() {
        let s = vec![seg(0.0, 2.0), seg(2.5, 4.0), seg(4.0, 6.0)];
        assert_eq!(segment_at(&s, 1.0), Some(0));
        assert_eq!(
            segment_at(&s, 2.2),
            None,
            "a gap between cues has no active cue"
        );
        assert_eq!(segment_at(&s, 4.0), Some(2));
        assert_eq!(segment_at(&s, 6.0), None);
        assert_eq!(segment_at(&[], 1.0), None);
    }
}
