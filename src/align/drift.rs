//! Drift: a timed transcript made for another copy of the episode (an ad inserted or removed
//! at download time shifts everything after it). The cues' speech / pause pattern is matched
//! against the audio's window by window; where the best offset steps, the transcript is cut at
//! the cue boundary that fits both sides best, and what follows is shifted. Stretches that match
//! keep the publisher's times.

use std::path::Path;

use serde::Serialize;

use super::features::{analyse, vad, Frames, HOP};
use crate::chapters::Chapter;
use crate::transcript::Segment;
use crate::Result;

/// What drift correction found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// Offsets applied, in transcript order: from `from` (a time in the transcript as given),
    /// `offset` seconds are added. Empty when the transcript already matches.
    pub shifts: Vec<Shift>,
    /// How well the corrected cues match the audio: the share of cue time that is speech in
    /// the audio (a transcript that fits scores about the share of its cues' time spent
    /// talking rather than in the pauses inside them, ~0.8).
    pub match_score: f64,
    /// The match before correction, for comparison.
    pub match_score_before: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    pub from: f64,
    pub offset: f64,
}

/// How far before a shift's `from` a chapter start is still taken to introduce what follows the
/// cut (s): chapters mostly begin a moment before their first words, and an ad is put in the
/// pause there.
const CHAPTER_SNAP: f64 = 2.0;
/// How far before the first words after an inserted ad such a chapter start lands (s).
const CHAPTER_LEAD: f64 = 0.3;

impl DriftReport {
    /// The offset in force at publisher time `t` (the last shift whose `from` is at or before
    /// `t`; 0 before the first).
    fn offset_at(&self, t: f64) -> f64 {
        self.shifts
            .iter()
            .take_while(|s| s.from <= t)
            .last()
            .map_or(0.0, |s| s.offset)
    }

    /// Maps a time of the publisher's copy (the one the transcript or chapters were made for)
    /// into this copy of the audio. Each shift's offset applies from its `from` on. Where an ad
    /// was inserted (the offset grows) times before `from` keep the earlier offset; where one
    /// was removed (the offset shrinks) the publisher's times that no longer exist here (the
    /// stretch just before `from` as long as the removal) all map to where `from` lands, so the
    /// mapping never goes backwards. The result is never negative; with no shifts it is `t`.
    pub fn map_time(&self, t: f64) -> f64 {
        if !t.is_finite() {
            return t;
        }
        let mut out = t + self.offset_at(t);
        // A later removal swallows the stretch before it.
        for s in self.shifts.iter().filter(|s| s.from > t) {
            let landed = s.from + s.offset;
            if landed < out {
                out = landed;
            }
        }
        out.max(0.0)
    }

    /// [`map_time`](Self::map_time) for the start of something (a chapter): a start a moment
    /// (up to 2 s) before an inserted ad's `from` is taken to introduce what follows the ad, and
    /// lands just before it, not before the ad.
    pub fn map_start(&self, t: f64) -> f64 {
        if !t.is_finite() {
            return t;
        }
        let plain = self.map_time(t);
        let next = self.shifts.iter().find(|s| s.from > t);
        if let Some(s) = next {
            let before = self.offset_at(t);
            if s.from - t <= CHAPTER_SNAP && s.offset > before {
                let lead = (s.from - t).min(CHAPTER_LEAD);
                return (s.from + s.offset - lead).max(plain).max(0.0);
            }
        }
        plain
    }
}

/// Chapters made for the publisher's copy, moved into this one by what drift correction found
/// for the transcript (see [`DriftReport::map_time`] and [`DriftReport::map_start`]). Order,
/// titles and everything else are kept; ends stay at or after starts. With no shifts the
/// chapters come back unchanged.
pub fn correct_chapters(chapters: &[Chapter], report: &DriftReport) -> Vec<Chapter> {
    if report.shifts.is_empty() {
        return chapters.to_vec();
    }
    // Both mappings are monotone, so the chapters keep their order.
    chapters
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.start = report.map_start(c.start);
            c.end = c.end.map(|e| report.map_time(e).max(c.start));
            c
        })
        .collect()
}

/// Checks `timed` against `audio` and corrects it (see the module notes). Segments keep their
/// order and text; words move with their segment.
pub fn correct_drift(timed: &[Segment], audio: &Path) -> Result<(Vec<Segment>, DriftReport)> {
    let frames = analyse(audio, 1.0, &mut |_| true)?;
    Ok(correct_drift_frames(timed, &frames))
}

/// Coarse grid: 200 ms.
const COARSE: usize = 20;
/// Window of transcript matched at a time (60 s), and the step between windows (20 s).
const WIN: usize = 300;
const STEP: usize = 100;
/// What a change of offset between two segments costs (a segment's fit is within ±1, times
/// its weight).
const CHANGE_COST: f64 = 1.5;
/// Largest shift looked for (s).
const MAX_SHIFT: f64 = 900.0;

/// [`correct_drift`] on frames already measured.
pub fn correct_drift_frames(timed: &[Segment], frames: &Frames) -> (Vec<Segment>, DriftReport) {
    let v = vad(frames);
    if timed.is_empty() || v.speech.is_empty() {
        return (timed.to_vec(), DriftReport::default());
    }
    // The audio's speech share per 100 ms, centred.
    let audio: Vec<f32> = v
        .speech
        .chunks(COARSE)
        .map(|c| c.iter().filter(|&&s| s).count() as f32 / c.len() as f32)
        .collect();
    let end_t = timed.iter().map(|s| s.end).fold(0.0, f64::max);
    let expect = cue_mask(
        timed,
        0.0,
        (end_t / (HOP * COARSE as f64)).ceil() as usize + 1,
    );
    let max_off = (MAX_SHIFT / (HOP * COARSE as f64)) as isize;

    // Best offset per window (coarse frames), with its score.
    let mut windows: Vec<(usize, Vec<(isize, f32)>)> = Vec::new();
    let mut w0 = 0usize;
    while w0 < expect.len() {
        let w1 = (w0 + WIN).min(expect.len());
        let e = &expect[w0..w1];
        let mean_e = e.iter().sum::<f32>() / e.len() as f32;
        if e.len() >= 100 && mean_e > 0.05 && mean_e < 0.98 {
            let mut scores: Vec<(isize, f32)> = Vec::new();
            for off in -max_off..=max_off {
                let a0 = w0 as isize + off;
                if a0 < 0 || a0 as usize + e.len() > audio.len() {
                    continue;
                }
                let a = &audio[a0 as usize..a0 as usize + e.len()];
                scores.push((off, agreement(e, a)));
            }
            if !scores.is_empty() {
                windows.push((w0, scores));
            }
        }
        if w1 == expect.len() {
            break;
        }
        // The last window ends where the transcript does.
        w0 = (w0 + STEP)
            .min(expect.len().saturating_sub(WIN))
            .max(w0 + 1);
    }
    let before_score = coverage(timed, &v.speech);
    if windows.is_empty() {
        return (
            timed.to_vec(),
            DriftReport {
                shifts: vec![],
                match_score: before_score,
                match_score_before: before_score,
            },
        );
    }

    // Candidate offsets: each window's best few, refined to 10 ms on the window's cues; and 0.
    let coarse_s = HOP * COARSE as f64;
    let fine_speech = &v.speech;
    let mut offsets: Vec<f64> = vec![0.0];
    for (w0, scores) in &windows {
        let mut sorted = scores.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut picked: Vec<isize> = Vec::new();
        for &(o, _) in &sorted {
            if picked.iter().all(|p| (p - o).abs() > 5) {
                picked.push(o);
            }
            if picked.len() == 2 {
                break;
            }
        }
        let t0 = *w0 as f64 * coarse_s;
        let t1 = t0 + WIN as f64 * coarse_s;
        let segs: Vec<Segment> = timed
            .iter()
            .filter(|s| s.start >= t0 && s.end <= t1)
            .cloned()
            .collect();
        if segs.is_empty() {
            continue;
        }
        for o in picked {
            let base = o as f64 * coarse_s;
            let mut best = (f64::NEG_INFINITY, base);
            for d in -25..=25 {
                let off = base + d as f64 * HOP;
                let sc = score_segments(&segs, fine_speech, off);
                if sc > best.0 {
                    best = (sc, off);
                }
            }
            let off = if best.1.abs() < 0.1 { 0.0 } else { best.1 };
            if offsets.iter().all(|x| (x - off).abs() >= 0.05) {
                offsets.push(off);
            }
        }
    }

    // Viterbi over the segments: each takes one of the offsets; changing offset costs, so only a
    // run of segments that fits better elsewhere moves, and the publisher's times (offset 0)
    // are kept where they fit.
    let n = timed.len();
    let k = offsets.len();
    let weight = |s: &Segment| ((s.end - s.start) / 5.0).clamp(0.3, 3.0);
    let mut dp = vec![0.0f64; k];
    let mut bp = vec![vec![0usize; k]; n];
    for (i, seg) in timed.iter().enumerate() {
        // A segment is judged with its neighbours: one long cue alone can fit speech anywhere.
        let around = &timed[i.saturating_sub(1)..(i + 2).min(n)];
        let w = weight(seg);
        let mut next = vec![f64::NEG_INFINITY; k];
        for (j, &o) in offsets.iter().enumerate() {
            let fit = w * score_segments(around, fine_speech, o);
            if i == 0 {
                next[j] = fit - if o == 0.0 { 0.0 } else { 0.5 };
                continue;
            }
            let mut best = (f64::NEG_INFINITY, 0usize);
            for (q, &prev) in dp.iter().enumerate() {
                let v = prev - if q == j { 0.0 } else { CHANGE_COST };
                if v > best.0 {
                    best = (v, q);
                }
            }
            next[j] = best.0 + fit;
            bp[i][j] = best.1;
        }
        dp = next;
    }
    let mut j = (0..k).max_by(|&a, &b| dp[a].total_cmp(&dp[b])).unwrap_or(0);
    let mut choice = vec![0usize; n];
    for i in (0..n).rev() {
        choice[i] = j;
        j = bp[i][j];
    }
    let mut offsets: Vec<f64> = choice.iter().map(|&c| offsets[c]).collect();
    // Each step, moved to the cut that fits the segments around it best one by one.
    for c in 1..n {
        let (a, b) = (offsets[c - 1], offsets[c]);
        if a == b {
            continue;
        }
        let lo = c.saturating_sub(2).max(1);
        let hi = (c + 2).min(n - 1);
        if (lo..c).any(|j| offsets[j - 1] != a) || (c..=hi).any(|j| offsets[j] != b) {
            continue; // another step nearby: leave it
        }
        let one = |j: usize, o: f64| {
            weight(&timed[j]) * score_segments(std::slice::from_ref(&timed[j]), fine_speech, o)
        };
        let mut best = (f64::NEG_INFINITY, c);
        for cut in lo..=hi {
            let total: f64 = (lo - 1..=hi)
                .map(|j| one(j, if j >= cut { b } else { a }))
                .sum();
            if total > best.0 + 1e-9 {
                best = (total, cut);
            }
        }
        for (j, o) in offsets.iter_mut().enumerate().take(hi + 1).skip(lo - 1) {
            *o = if j >= best.1 { b } else { a };
        }
    }
    // A short run of cues with an offset of its own between a fall (the cues of an ad this
    // copy lacks fit its audio nowhere, and may have been given any offset) is part of that
    // fall.
    let runs: Vec<(usize, usize)> = {
        let mut r = Vec::new();
        let mut start = 0;
        for i in 1..=n {
            if i == n || offsets[i] != offsets[start] {
                r.push((start, i));
                start = i;
            }
        }
        r
    };
    for k in 1..runs.len().saturating_sub(1) {
        let (a, b) = (offsets[runs[k - 1].0], offsets[runs[k + 1].0]);
        let (s0, s1) = runs[k];
        let span = timed[s1 - 1].end - timed[s0].start;
        if b < a - 0.5 && span < 90.0 {
            for o in &mut offsets[s0..s1] {
                *o = b;
            }
        }
    }
    // Where the offset falls, something the publisher's copy has is missing here: find the
    // stretch of the publisher's time that is gone (as long as the fall), between cues.
    let mut removed = vec![false; n];
    let mut step_from: Vec<Option<f64>> = vec![None; n];
    for c in 1..n {
        let (a, b) = (offsets[c - 1], offsets[c]);
        if b >= a - 0.5 {
            continue;
        }
        let one = |j: usize, o: f64| {
            weight(&timed[j]) * score_segments(std::slice::from_ref(&timed[j]), fine_speech, o)
        };
        if let Some((r0, d, gone)) = removed_stretch(timed, c, a, b, &offsets, &one) {
            for j in gone {
                removed[j] = true;
            }
            // The first cue kept after the stretch starts the new offset (the whole run that
            // had `b` takes the one measured here); the shift is dated from the stretch's end
            // so that times inside it map to where it was cut.
            let first_after = (0..n)
                .find(|&j| !removed[j] && timed[j].start >= r0 + d - 0.3)
                .unwrap_or(c);
            let run_end = (c..n).find(|&j| offsets[j] != b).unwrap_or(n);
            for (j, o) in offsets.iter_mut().enumerate() {
                if j < first_after && (j >= c || removed[j]) {
                    *o = a;
                } else if j >= first_after && j < run_end.max(first_after + 1) {
                    *o = a - d;
                }
            }
            step_from[first_after] = Some((r0 + d).min(timed[first_after].start));
        }
    }
    let mut shifts: Vec<Shift> = Vec::new();
    for i in 0..n {
        let prev = if i == 0 { 0.0 } else { offsets[i - 1] };
        if offsets[i] != prev {
            shifts.push(Shift {
                from: step_from[i].unwrap_or(timed[i].start),
                offset: offsets[i],
            });
        }
    }
    let report = DriftReport {
        shifts: shifts.clone(),
        ..Default::default()
    };

    let out: Vec<Segment> = timed
        .iter()
        .zip(&offsets)
        .zip(&removed)
        .map(|((s, &o), &gone)| {
            let mut s = s.clone();
            if gone {
                // Not in this copy: an empty cue where its stretch was cut.
                let at = report.map_time(s.start);
                s.start = at;
                s.end = at;
                for w in &mut s.words {
                    w.start = at;
                    w.end = at;
                }
            } else if o != 0.0 {
                s.start = (s.start + o).max(0.0);
                s.end = (s.end + o).max(s.start);
                for w in &mut s.words {
                    w.start = (w.start + o).max(0.0);
                    w.end = (w.end + o).max(w.start);
                }
            }
            s
        })
        .collect();
    let after_score = coverage(&out, &v.speech);
    (
        out,
        DriftReport {
            shifts,
            match_score: after_score,
            match_score_before: before_score,
        },
    )
}

/// For a fall of the offset from `a` to `b` at cue `c`: where the publisher's stretch that
/// this copy lacks lies (its start), how long it is (about `a - b`: the fall is measured again
/// here, since the cues of a removed ad pull the offset found for their neighbours), and the
/// cues inside it. The stretch starts just after a cue ends or ends just before one starts,
/// within reach of `c` and of no other step; it is the one that keeps the cues that fit best
/// where they are (the cues inside it count for nothing: an ad's own cues fit this copy's audio
/// nowhere).
fn removed_stretch(
    timed: &[Segment],
    c: usize,
    a: f64,
    b: f64,
    offsets: &[f64],
    one: &dyn Fn(usize, f64) -> f64,
) -> Option<(f64, f64, Vec<usize>)> {
    let n = timed.len();
    // The cues this step may move: back to the step before, on to the step after (at most 40
    // either side).
    let lo = (0..c)
        .rev()
        .find(|&j| offsets[j] != a)
        .map_or(0, |j| j + 1)
        .max(c.saturating_sub(40));
    let hi = (c..n).find(|&j| offsets[j] != b).unwrap_or(n).min(c + 40);
    let mut best: Option<(f64, f64, f64, Vec<usize>)> = None;
    for k in -50..=50 {
        let d = a - b + k as f64 * 0.02;
        if d <= 0.5 {
            continue;
        }
        let reach_lo = timed[c].start - d - 15.0;
        let reach_hi = timed[c].start + 15.0;
        let mut starts: Vec<f64> = Vec::new();
        for s in &timed[lo..hi] {
            for r0 in [s.end, s.start - d] {
                if r0 >= reach_lo && r0 <= reach_hi && r0 >= 0.0 {
                    starts.push(r0);
                }
            }
        }
        for r0 in starts {
            let r1 = r0 + d;
            let mut total = 0.0;
            let mut gone = Vec::new();
            let mut ok = true;
            for (j, s) in timed.iter().enumerate().take(hi).skip(lo) {
                let inside = (s.end.min(r1) - s.start.max(r0)).max(0.0);
                let len = (s.end - s.start).max(1e-6);
                if inside > 0.5 * len {
                    gone.push(j);
                } else if inside > 0.3 {
                    ok = false; // a cue cut in two
                    break;
                } else if s.start + s.end < r0 + r1 {
                    total += one(j, a);
                } else {
                    total += one(j, a - d);
                }
            }
            if ok && best.as_ref().is_none_or(|x| total > x.0 + 1e-9) {
                best = Some((total, r0, d, gone));
            }
        }
    }
    best.map(|(_, r0, d, gone)| (r0, d, gone))
}

/// The share of the cues' time that is speech.
fn coverage(segs: &[Segment], speech: &[bool]) -> f64 {
    let (mut inside, mut talk) = (0usize, 0usize);
    for s in segs {
        let a = ((s.start / HOP).max(0.0) as usize).min(speech.len());
        let b = ((s.end / HOP).max(0.0) as usize).min(speech.len());
        if b > a {
            inside += b - a;
            talk += speech[a..b].iter().filter(|&&x| x).count();
        }
    }
    if inside == 0 {
        0.0
    } else {
        talk as f64 / inside as f64
    }
}

/// Cue coverage per coarse frame, the cues moved by `offset` seconds.
fn cue_mask(segs: &[Segment], offset: f64, len: usize) -> Vec<f32> {
    let step = HOP * COARSE as f64;
    let mut m = vec![0.0f32; len];
    for s in segs {
        let (a, b) = (s.start + offset, s.end + offset);
        if b <= a {
            continue;
        }
        let (i0, i1) = ((a / step).floor() as isize, (b / step).ceil() as isize);
        for i in i0.max(0)..i1.min(len as isize) {
            let (f0, f1) = (i as f64 * step, (i + 1) as f64 * step);
            let cover = (b.min(f1) - a.max(f0)).max(0.0) / step;
            m[i as usize] = (m[i as usize] + cover as f32).min(1.0);
        }
    }
    m
}

/// How well a cue pattern agrees with the audio's speech: mean speech inside cues minus mean
/// speech outside them (so silence between cues counts as much as speech within).
fn agreement(e: &[f32], a: &[f32]) -> f32 {
    let (mut in_s, mut in_n, mut out_s, mut out_n) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for (&x, &y) in e.iter().zip(a) {
        in_s += x * y;
        in_n += x;
        out_s += (1.0 - x) * y;
        out_n += 1.0 - x;
    }
    if in_n < 1.0 || out_n < 1.0 {
        return 0.0;
    }
    in_s / in_n - out_s / out_n
}

/// [`agreement`] of segments moved by `offset` with the fine speech mask, around the segments
/// (1 s either side).
fn score_segments(segs: &[Segment], speech: &[bool], offset: f64) -> f64 {
    let Some(first) = segs.first() else {
        return 0.0;
    };
    let t0 = (first.start + offset - 1.0).max(0.0);
    let t1 = segs.iter().map(|s| s.end).fold(0.0, f64::max) + offset + 1.0;
    let (i0, i1) = ((t0 / HOP) as usize, ((t1 / HOP) as usize).min(speech.len()));
    if i1 <= i0 {
        return -1.0;
    }
    let mut inside = vec![false; i1 - i0];
    for s in segs {
        let a = (((s.start + offset) / HOP).max(0.0) as usize).max(i0);
        let b = (((s.end + offset) / HOP).max(0.0) as usize).min(i1);
        for x in inside.iter_mut().take(b.saturating_sub(i0)).skip(a - i0) {
            *x = true;
        }
    }
    let (mut in_s, mut in_n, mut out_s, mut out_n) = (0.0, 0.0, 0.0, 0.0);
    for (k, &ins) in inside.iter().enumerate() {
        let y = if speech[i0 + k] { 1.0 } else { 0.0 };
        if ins {
            in_s += y;
            in_n += 1.0;
        } else {
            out_s += y;
            out_n += 1.0;
        }
    }
    let inner = if in_n > 0.0 { in_s / in_n } else { 0.0 };
    let outer = if out_n > 0.0 { out_s / out_n } else { 0.0 };
    inner - outer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(shifts: &[(f64, f64)]) -> DriftReport {
        DriftReport {
            shifts: shifts
                .iter()
                .map(|&(from, offset)| Shift { from, offset })
                .collect(),
            ..Default::default()
        }
    }

    fn chapter(start: f64, end: Option<f64>, title: &str) -> Chapter {
        Chapter {
            start,
            end,
            title: title.into(),
            img: None,
            url: None,
            toc: true,
        }
    }

    #[test]
    fn no_shifts_map_times_unchanged() {
        let r = DriftReport::default();
        for t in [0.0, 12.5, 3600.0] {
            assert_eq!(r.map_time(t), t);
            assert_eq!(r.map_start(t), t);
        }
        let cs = vec![
            chapter(0.0, Some(60.0), "Intro"),
            chapter(60.0, None, "Talk"),
        ];
        assert_eq!(correct_chapters(&cs, &r), cs);
    }

    #[test]
    fn an_inserted_ad_moves_what_follows() {
        // A 30 s ad before the cue at 120.3 s.
        let r = report(&[(120.3, 30.0)]);
        assert_eq!(r.map_time(10.0), 10.0);
        assert_eq!(r.map_time(119.0), 119.0);
        assert_eq!(r.map_time(120.3), 150.3);
        assert_eq!(r.map_time(500.0), 530.0);
        // A chapter starting just before the first words after the ad lands after the ad.
        let s = r.map_start(120.0);
        assert!((s - 150.0).abs() < 1e-9, "{s}");
        let s = r.map_start(119.0);
        assert!((s - 150.0).abs() < 1e-9, "{s}");
        // Well before it, it stays.
        assert_eq!(r.map_start(100.0), 100.0);
    }

    #[test]
    fn a_removed_ad_moves_what_follows_back_and_collapses_the_gap() {
        // The publisher's copy had a 30 s ad ending just before the cue at 130.3 s.
        let r = report(&[(130.3, -30.0)]);
        assert_eq!(r.map_time(50.0), 50.0);
        assert!((r.map_time(130.3) - 100.3).abs() < 1e-9);
        assert!((r.map_time(400.0) - 370.0).abs() < 1e-9);
        // Times inside the removed stretch all land where the cue after it now starts.
        assert!((r.map_time(110.0) - 100.3).abs() < 1e-9);
        assert!((r.map_time(130.0) - 100.3).abs() < 1e-9);
        assert!((r.map_start(130.0) - 100.3).abs() < 1e-9);
        // Before the stretch, unchanged.
        assert_eq!(r.map_time(99.0), 99.0);
        // Never backwards, never negative.
        let mut last = 0.0;
        for i in 0..5000 {
            let m = r.map_time(i as f64 * 0.1);
            assert!(m >= last - 1e-9 && m >= 0.0);
            last = m;
        }
        assert_eq!(report(&[(5.0, -30.0)]).map_time(10.0), 0.0);
    }

    #[test]
    fn several_shifts_apply_each_from_its_own_point() {
        // +25 s from 100 s, then (another ad removed) +5 s from 300 s.
        let r = report(&[(100.0, 25.0), (300.0, 5.0)]);
        assert_eq!(r.map_time(50.0), 50.0);
        assert_eq!(r.map_time(200.0), 225.0);
        assert_eq!(r.map_time(400.0), 405.0);
        // The removed 20 s before 300 s collapse onto 305 s.
        assert_eq!(r.map_time(290.0), 305.0);
        assert_eq!(r.map_time(279.0), 304.0);
    }

    #[test]
    fn chapters_follow_the_shifts() {
        let r = report(&[(120.3, 30.0)]);
        let cs = vec![
            chapter(0.0, Some(120.0), "Intro"),
            chapter(120.0, Some(300.0), "Interview"),
            chapter(300.0, None, "Outro"),
        ];
        let out = correct_chapters(&cs, &r);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].start, 0.0);
        assert_eq!(out[0].end, Some(120.0), "ends before the ad");
        assert!((out[1].start - 150.0).abs() < 1e-9, "{:?}", out[1]);
        assert_eq!(out[1].end, Some(330.0));
        assert_eq!(out[2].start, 330.0);
        assert_eq!(out[2].end, None);
        for (a, b) in out.iter().zip(&cs) {
            assert_eq!(a.title, b.title);
            assert!(a.end.is_none_or(|e| e >= a.start));
        }

        let r = report(&[(130.3, -30.0)]);
        let cs = vec![
            chapter(0.0, Some(100.0), "Intro"),
            chapter(100.0, Some(130.0), "Sponsor"),
            chapter(130.0, None, "Interview"),
        ];
        let out = correct_chapters(&cs, &r);
        assert_eq!(out[0].start, 0.0);
        assert!((out[1].start - 100.0).abs() < 1e-9);
        // The sponsor chapter is gone from this copy: it shrinks to nothing.
        assert!(
            (out[1].end.unwrap() - out[1].start).abs() < 0.5,
            "{:?}",
            out[1]
        );
        assert!((out[2].start - 100.3).abs() < 1e-9, "{:?}", out[2]);
    }
}
