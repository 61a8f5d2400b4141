//! Transcripts without (many) times: paragraphs, their speakers and the few inline time marks
//! they carry, kept as they were read so that alignment can replace the estimates later.

use serde::{Deserialize, Serialize};

use super::Segment;

/// Paragraphs in reading order, with whatever times the source gave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntimedTranscript {
    pub paragraphs: Vec<Paragraph>,
}

/// One paragraph of a transcript.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paragraph {
    /// Who speaks: the paragraph's own label, or carried over from the paragraph before.
    pub speaker: Option<String>,
    /// The speaker was written at the start of this paragraph (`Name:`, `<cite>`), not carried
    /// over.
    pub labelled: bool,
    /// Plain text (never markup). Inline marks such as `[unintelligible 00:01:47]` stay in it.
    pub text: String,
    /// Times written in or before the paragraph, sorted by offset. An anchor at offset 0 is the
    /// paragraph's start time.
    pub anchors: Vec<Anchor>,
}

/// "At this character of the paragraph, the audio is at `seconds`".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anchor {
    /// Characters (Unicode scalar values, not bytes) into [`Paragraph::text`].
    pub offset: usize,
    pub seconds: f64,
}

/// Speech rate assumed when nothing better is known: about 150 words a minute.
const CHARS_PER_SECOND: f64 = 15.0;

impl UntimedTranscript {
    /// Every paragraph starts with a time from the source (an HTML transcript with a `<time>`
    /// per paragraph, or `Name (00:01:02):` labels): its segments are not estimates.
    pub fn fully_timed(&self) -> bool {
        !self.paragraphs.is_empty()
            && self
                .paragraphs
                .iter()
                .all(|p| p.anchors.first().is_some_and(|a| a.offset == 0))
    }

    /// One segment per paragraph, with times spread over the text in proportion to its length:
    /// between the anchors the source gave (ones that go back in time are ignored), from 0 s at
    /// the start, and to `duration` (the episode's length) at the end when it is known, else at
    /// the pace the anchors show (about 15 characters a second without them). A segment is
    /// `estimated` unless its start was written in the source. Starts never decrease, and
    /// `end >= start`.
    pub fn spread(&self, duration: Option<f64>) -> Vec<Segment> {
        let duration = duration.filter(|d| d.is_finite() && *d > 0.0);
        let lens: Vec<usize> = self
            .paragraphs
            .iter()
            .map(|p| p.text.chars().count() + 1)
            .collect();
        let total: usize = lens.iter().sum();

        // All anchors on one character axis.
        let mut anchors: Vec<(usize, f64)> = Vec::new();
        let mut base = 0;
        for (p, len) in self.paragraphs.iter().zip(&lens) {
            for a in &p.anchors {
                let ok = a.seconds.is_finite()
                    && a.seconds >= 0.0
                    && duration.is_none_or(|d| a.seconds <= d + 1.0);
                if ok {
                    anchors.push((base + a.offset.min(len - 1), a.seconds));
                }
            }
            base += len;
        }
        anchors.sort_by_key(|a| a.0);
        let anchors = longest_non_decreasing(&anchors);

        // The piecewise-linear map from characters to seconds.
        let mut points: Vec<(usize, f64)> = Vec::with_capacity(anchors.len() + 2);
        if anchors.first().is_none_or(|a| a.0 > 0) {
            points.push((0, 0.0));
        }
        for a in &anchors {
            if points.last().is_none_or(|l| a.0 > l.0) {
                let floor = points.last().map_or(0.0, |l| l.1);
                points.push((a.0, a.1.max(floor)));
            }
        }
        let (last_off, last_s) = *points.last().expect("one point at least");
        if total > last_off {
            let end = match duration {
                Some(d) if d > last_s => d,
                _ => last_s + (total - last_off) as f64 * pace(&points),
            };
            points.push((total, end));
        }
        let time_at = |off: usize| -> f64 {
            let i = points.partition_point(|p| p.0 <= off);
            match (i.checked_sub(1).map(|j| points[j]), points.get(i)) {
                (Some((o0, s0)), Some(&(o1, s1))) => {
                    s0 + (s1 - s0) * (off - o0) as f64 / (o1 - o0) as f64
                }
                (Some((_, s0)), None) => s0,
                (None, _) => 0.0,
            }
        };

        let kept: std::collections::HashSet<usize> = anchors.iter().map(|a| a.0).collect();
        let mut out = Vec::with_capacity(self.paragraphs.len());
        let mut base = 0;
        for (p, len) in self.paragraphs.iter().zip(&lens) {
            // A paragraph ends where the next begins: no gap without an active segment.
            let (start, end) = (time_at(base), time_at(base + len));
            if !p.text.trim().is_empty() {
                out.push(Segment {
                    start,
                    end: end.max(start),
                    speaker: p.speaker.clone(),
                    text: p.text.clone(),
                    estimated: !kept.contains(&base),
                    words: Vec::new(),
                });
            }
            base += len;
        }
        super::finish(&mut out);
        out
    }
}

/// Seconds per character: what the anchors show over a long enough stretch, within reason.
fn pace(points: &[(usize, f64)]) -> f64 {
    let default = 1.0 / CHARS_PER_SECOND;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return default;
    };
    let (chars, secs) = ((last.0 - first.0) as f64, last.1 - first.1);
    if chars >= 300.0 && secs >= 10.0 {
        (secs / chars).clamp(1.0 / 40.0, 1.0 / 5.0)
    } else {
        default
    }
}

/// The longest run of anchors (already sorted by offset) whose seconds never decrease, so one
/// wrong time cannot throw away the rest.
fn longest_non_decreasing(a: &[(usize, f64)]) -> Vec<(usize, f64)> {
    // Patience sorting: tails[k] = index of the smallest last value of a run of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; a.len()];
    for (i, x) in a.iter().enumerate() {
        let k = tails.partition_point(|&t| a[t].1 <= x.1);
        prev[i] = k.checked_sub(1).map(|j| tails[j]);
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(a[i]);
        cur = prev[i];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str, anchors: &[(usize, f64)]) -> Paragraph {
        Paragraph {
            speaker: None,
            labelled: false,
            text: text.into(),
            anchors: anchors
                .iter()
                .map(|&(offset, seconds)| Anchor { offset, seconds })
                .collect(),
        }
    }

    #[test]
    fn spreads_evenly_to_the_duration() {
        let t = UntimedTranscript {
            paragraphs: vec![para(&"a".repeat(29), &[]), para(&"b".repeat(59), &[])],
        };
        let s = t.spread(Some(90.0));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].start, 0.0);
        assert!((s[1].start - 30.0).abs() < 1e-9, "{}", s[1].start);
        assert!((s[1].end - 90.0).abs() < 1e-9);
        assert!(s.iter().all(|s| s.estimated));
        // Without a duration: ~15 characters a second.
        let s = t.spread(None);
        assert!((s[1].start - 2.0).abs() < 1e-9);
    }

    #[test]
    fn anchors_pin_times_and_backward_ones_are_ignored() {
        let t = UntimedTranscript {
            paragraphs: vec![
                para("first", &[(0, 10.0)]),
                para("second with [mark 00:00:40] in it", &[(12, 40.0)]),
                para("third", &[(0, 5.0)]), // goes back: ignored
                para("fourth", &[(0, 60.0)]),
            ],
        };
        assert!(!t.fully_timed());
        let s = t.spread(Some(100.0));
        assert_eq!(s[0].start, 10.0);
        assert!(!s[0].estimated);
        assert!(s[1].start > 10.0 && s[1].start < 40.0 && s[1].estimated);
        assert!(s[2].start > 40.0 && s[2].estimated);
        assert_eq!(s[3].start, 60.0);
        assert!(!s[3].estimated);
        assert_eq!(s[3].end, 100.0);
        assert!(s
            .windows(2)
            .all(|w| w[0].start <= w[1].start && w[0].end <= w[1].start + 1e-9));
    }

    #[test]
    fn longest_run_survives_an_early_outlier() {
        let a = [(0, 9000.0), (1, 1.0), (2, 2.0), (3, 3.0)];
        assert_eq!(
            longest_non_decreasing(&a),
            vec![(1, 1.0), (2, 2.0), (3, 3.0)]
        );
        assert!(longest_non_decreasing(&[]).is_empty());
    }

    #[test]
    fn empty_and_degenerate_input() {
        assert!(UntimedTranscript::default().spread(None).is_empty());
        let t = UntimedTranscript {
            paragraphs: vec![para("x", &[(99, f64::NAN), (0, f64::INFINITY)])],
        };
        let s = t.spread(Some(f64::NAN));
        assert_eq!(s.len(), 1);
        assert!(s[0].end >= s[0].start);
    }
}
