//! Drift: a timed transcript made for another copy of the episode (an ad inserted or removed
//! at download time shifts everything after it). The cues' speech / pause pattern is matched
//! against the audio's window by window; where the best offset steps, the transcript is cut at
//! the cue boundary that fits both sides best, and what follows is shifted. Stretches that match
//! keep the publisher's times.

use std::path::Path;

use serde::Serialize;

use super::features::{analyse, vad, Frames, HOP};
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

/// Checks `timed` against `audio` and corrects it (see the module notes). Segments keep their
/// order and text; words move with their segment.
pub fn correct_drift(timed: &[Segment], audio: &Path) -> Result<(Vec<Segment>, DriftReport)> {
    let frames = analyse(audio, 1.0, &mut |_| true)?;
    Ok(correct_drift_frames(timed, &frames))
}

/// Coarse grid: 100 ms.
const COARSE: usize = 10;
/// Window of transcript matched at a time, and the step between windows (coarse frames).
const WIN: usize = 900;
const STEP: usize = 300;
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
        w0 += STEP;
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

    // Viterbi over windows: states are each window's few best offsets and 0; a change of offset
    // costs, so a lone noisy window does not move anything.
    let mut states: Vec<Vec<(isize, f32)>> = Vec::new();
    for (_, scores) in &windows {
        let mut best: Vec<(isize, f32)> = Vec::new();
        let mut sorted = scores.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
        for &(o, s) in &sorted {
            if best.iter().all(|b| (b.0 - o).abs() > 10) {
                best.push((o, s));
            }
            if best.len() == 4 {
                break;
            }
        }
        if let Some(&z) = scores.iter().find(|s| s.0 == 0) {
            if best.iter().all(|b| b.0 != 0) {
                best.push(z);
            }
        }
        states.push(best);
    }
    // Offsets found anywhere are states everywhere (an offset that holds after an ad holds for
    // every later window).
    let mut all: Vec<isize> = states.iter().flatten().map(|s| s.0).collect();
    all.sort();
    all.dedup();
    let score_of = |w: usize, o: isize| -> f32 {
        windows[w].1.iter().find(|s| s.0 == o).map_or(-1.0, |s| s.1)
    };
    let change_cost = 0.15f32;
    let nw = windows.len();
    let mut dp = vec![vec![f32::NEG_INFINITY; all.len()]; nw];
    let mut bp = vec![vec![0usize; all.len()]; nw];
    for (k, &o) in all.iter().enumerate() {
        dp[0][k] = score_of(0, o) - if o == 0 { 0.0 } else { change_cost * 0.5 };
    }
    for w in 1..nw {
        for (k, &o) in all.iter().enumerate() {
            let s = score_of(w, o);
            let mut best = (f32::NEG_INFINITY, 0usize);
            for (j, _) in all.iter().enumerate() {
                let v = dp[w - 1][j] - if j == k { 0.0 } else { change_cost };
                if v > best.0 {
                    best = (v, j);
                }
            }
            dp[w][k] = best.0 + s;
            bp[w][k] = best.1;
        }
    }
    let mut k = (0..all.len())
        .max_by(|&a, &b| dp[nw - 1][a].total_cmp(&dp[nw - 1][b]))
        .unwrap_or(0);
    let mut path = vec![0isize; nw];
    for w in (0..nw).rev() {
        path[w] = all[k];
        k = bp[w][k];
    }

    // Offsets in seconds per window, refined to 10 ms over the run of windows that share them.
    let coarse_s = HOP * COARSE as f64;
    let mut runs: Vec<(usize, usize, f64)> = Vec::new(); // window range, offset (s)
    let mut i = 0;
    while i < nw {
        let mut j = i;
        while j + 1 < nw && path[j + 1] == path[i] {
            j += 1;
        }
        runs.push((i, j, path[i] as f64 * coarse_s));
        i = j + 1;
    }
    let fine_speech = &v.speech;
    for r in &mut runs {
        let t0 = windows[r.0].0 as f64 * coarse_s;
        let t1 = (windows[r.1].0 + WIN) as f64 * coarse_s;
        let segs: Vec<Segment> = timed
            .iter()
            .filter(|s| s.start >= t0 && s.end <= t1)
            .cloned()
            .collect();
        if segs.is_empty() {
            continue;
        }
        let mut best = (f64::NEG_INFINITY, r.2);
        for d in -20..=20 {
            let off = r.2 + d as f64 * HOP;
            let sc = score_segments(&segs, fine_speech, off);
            if sc > best.0 + 1e-9 || (sc >= best.0 - 1e-9 && off.abs() < best.1.abs()) {
                best = (sc, off);
            }
        }
        r.2 = best.1;
        if r.2.abs() < 0.1 {
            r.2 = 0.0; // within the refinement's reach of zero: the publisher's times match
        }
    }
    // Merge runs the refinement made equal.
    let mut merged: Vec<(usize, usize, f64)> = Vec::new();
    for r in runs {
        match merged.last_mut() {
            Some(m) if (m.2 - r.2).abs() < 0.05 => m.1 = r.1,
            _ => merged.push(r),
        }
    }

    // Where each step happens: the segment boundary between the runs' windows that best fits
    // "before with the old offset, after with the new".
    let mut offsets = vec![merged[0].2; timed.len()];
    let mut shifts: Vec<Shift> = Vec::new();
    if merged[0].2 != 0.0 {
        shifts.push(Shift {
            from: 0.0,
            offset: merged[0].2,
        });
    }
    for pair in merged.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let lo = windows[a.1].0 as f64 * coarse_s - 5.0;
        let hi = (windows[b.0].0 + WIN) as f64 * coarse_s + 5.0;
        let idx: Vec<usize> = (0..timed.len())
            .filter(|&i| timed[i].start >= lo && timed[i].start <= hi)
            .collect();
        let Some((&first, &last)) = idx.first().zip(idx.last()) else {
            continue;
        };
        // Per segment: how much better the new offset fits it than the old.
        let gain: Vec<f64> = (first..=last)
            .map(|i| {
                let s = std::slice::from_ref(&timed[i]);
                score_segments(s, fine_speech, b.2) - score_segments(s, fine_speech, a.2)
            })
            .collect();
        // Cut k: segments first..k keep a, k.. take b; maximize the sum of gains after k.
        let mut best = (f64::NEG_INFINITY, first);
        let mut suffix = 0.0;
        for k in (first..=last).rev() {
            suffix += gain[k - first];
            if suffix > best.0 {
                best = (suffix, k);
            }
        }
        let cut = best.1;
        for o in offsets.iter_mut().skip(cut) {
            *o = b.2;
        }
        shifts.push(Shift {
            from: timed[cut].start,
            offset: b.2,
        });
    }

    let out: Vec<Segment> = timed
        .iter()
        .zip(&offsets)
        .map(|(s, &o)| {
            let mut s = s.clone();
            if o != 0.0 {
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
