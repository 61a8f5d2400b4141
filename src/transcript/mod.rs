//! Transcripts: parsed into timed, speaker-labelled segments, and looked up by position.

mod vtt;

use serde::{Deserialize, Serialize};

pub use vtt::parse_vtt;

/// One timed line of a transcript. Times are seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub speaker: Option<String>,
    pub text: String,
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
        Segment {
            start,
            end,
            speaker: None,
            text: String::new(),
        }
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
