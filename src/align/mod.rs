//! Alignment: an untimed transcript made to follow the episode's audio, and (see
//! [`correct_drift`]) a timed one put right when an ad moved the audio under it.
//!
//! [`align_untimed`] reads the audio with the player's decoder into 10 ms frames of loudness and
//! pitch, finds speech and pauses over an adaptive noise floor, and assigns every paragraph
//! start to a pause by dynamic programming: paragraph durations are expected from their
//! syllables at the pace the speech shows (between the inline times the text gives, which pin
//! the paragraphs they fall in), longer pauses are preferred, chapter starts are likely, and
//! a voice change is expected where the speaker changes (then, in a second pass, each speaker's
//! own pitch is learnt from the first and each paragraph's start must sound like its speaker).

mod drift;
mod features;

use std::path::Path;

use crate::chapters::Chapter;
use crate::transcript::{Segment, UntimedTranscript};
use crate::Result;

pub use drift::{correct_chapters, correct_drift, correct_drift_frames, DriftReport, Shift};
pub use features::{analyse, Frames};
use features::{median_pitch, pauses, refine_onset, vad, Pause, Vad, HOP};

/// Aligns `untimed` to `audio`: one segment per paragraph, its start where the paragraph's
/// speech begins, its end where the next begins (the last ends with the speech). Segments whose
/// start was found in the audio are not `estimated`. `progress(fraction)` is called as the work
/// goes on; returning `false` cancels (an error saying so).
pub fn align_untimed(
    untimed: &UntimedTranscript,
    audio: &Path,
    chapters: &[Chapter],
    mut progress: impl FnMut(f32) -> bool,
) -> Result<Vec<Segment>> {
    let frames = analyse(audio, 0.9, &mut progress)?;
    let out = align_frames(untimed, &frames, chapters);
    if !progress(1.0) {
        return Err(features::cancelled(audio));
    }
    Ok(out)
}

/// A piece of text between two boundaries: a paragraph, or part of one split at an inline time.
#[derive(Debug, Clone)]
struct Piece {
    para: usize,
    units: f64,
    /// The boundary at this piece's start is a paragraph start (else an inline time's).
    starts_para: bool,
    /// A time for this piece's start, from the text (seconds, rounded down as written).
    pin: Option<f64>,
    /// The speaker changes at this piece's start (a labelled paragraph of another speaker).
    change: bool,
    speaker: Option<String>,
}

/// One place a boundary may go.
#[derive(Debug, Clone, Copy)]
struct Cand {
    t: f64,
    /// Seconds of speech before `t`.
    s: f64,
    pause: f64,
    /// Voice change across the pause, in octaves (median pitch after vs before), if known.
    change: Option<f32>,
    after: Option<f32>,
    bonus: f64,
}

/// The alignment proper, on frames already measured (the bench and tests reuse them).
pub fn align_frames(
    untimed: &UntimedTranscript,
    frames: &Frames,
    chapters: &[Chapter],
) -> Vec<Segment> {
    let paras: Vec<usize> = (0..untimed.paragraphs.len())
        .filter(|&i| !untimed.paragraphs[i].text.trim().is_empty())
        .collect();
    if paras.is_empty() || frames.db.is_empty() {
        return untimed.spread(Some(frames.duration).filter(|d| *d > 0.0));
    }
    let v = vad(frames);
    let pieces = pieces(untimed, &paras, frames.duration);
    let cands = candidates(frames, &v, chapters);
    let total_speech = *v.cum.last().unwrap_or(&0.0);

    if total_speech < 1.0 || cands.is_empty() {
        return untimed.spread(Some(frames.duration));
    }

    // Pass 1: speaker changes only; pass 2: each speaker's pitch, learnt from pass 1.
    let first = solve(&pieces, &cands, &v, frames, total_speech, None);
    let voices = learn_voices(&pieces, &cands, &first, frames);
    let chosen = if voices.is_some() {
        solve(&pieces, &cands, &v, frames, total_speech, voices.as_ref())
    } else {
        first
    };

    // Speech ends: the last speech frame.
    let last_speech = v
        .speech
        .iter()
        .rposition(|&s| s)
        .map_or(frames.duration, |i| (i + 1) as f64 * HOP);
    let mut out = Vec::with_capacity(paras.len());
    let starts: Vec<(usize, f64, bool)> = pieces
        .iter()
        .zip(&chosen)
        .filter(|(p, _)| p.starts_para)
        .map(|(p, c)| (p.para, c.t, c.pause > 0.0 || c.bonus > 0.0))
        .collect();
    for (k, &(para, start, found)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(last_speech.max(start), |n| n.1);
        let p = &untimed.paragraphs[para];
        out.push(Segment {
            start,
            end: end.max(start),
            speaker: p.speaker.clone(),
            text: p.text.clone(),
            estimated: !found,
            words: Vec::new(),
        });
    }
    out
}

/// Syllables, roughly: vowel groups per word (at least one), written marks (`[laugh]`,
/// `[inaudible 00:01:47]`) not counted; a sentence end adds the pause it usually has.
pub fn speech_units(text: &str) -> f64 {
    // Marks out first.
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            _ => plain.push(c),
        }
        if c == '[' {
            plain.push(' ');
        }
    }
    let mut units = 0.0;
    for w in plain.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            units += 1.5 * w.len() as f64;
            continue;
        }
        let lower = w.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        let mut groups = 0usize;
        let mut prev = false;
        for &c in &chars {
            let v = vowel(c);
            if v && !prev {
                groups += 1;
            }
            prev = v;
        }
        // A silent final e ("made", "there").
        let n = chars.len();
        if groups > 1 && n > 2 && chars[n - 1] == 'e' && !vowel(chars[n - 2]) && chars[n - 2] != 'l'
        {
            groups -= 1;
        }
        units += groups.max(1) as f64;
    }
    units
}

/// The paragraphs as pieces, split where an inline time is written inside one.
fn pieces(untimed: &UntimedTranscript, paras: &[usize], duration: f64) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut prev_speaker: Option<&str> = None;
    let mut last_pin = f64::NEG_INFINITY;
    for (k, &i) in paras.iter().enumerate() {
        let p = &untimed.paragraphs[i];
        let chars: Vec<char> = p.text.chars().collect();
        // Keep anchors that move forward in time and lie in the audio.
        let mut cuts: Vec<(usize, f64)> = Vec::new();
        for a in &p.anchors {
            let ok = a.seconds.is_finite() && a.seconds >= 0.0 && a.seconds <= duration + 1.0;
            if ok && a.seconds > last_pin {
                cuts.push((a.offset.min(chars.len()), a.seconds));
                last_pin = a.seconds;
            }
        }
        let mut from = 0usize;
        let mut pin_here: Option<f64> = None;
        let mut first = true;
        let mut bounds: Vec<(usize, Option<f64>)> = Vec::new();
        for (off, secs) in cuts {
            if off <= from && first {
                pin_here = Some(secs);
                continue;
            }
            bounds.push((off, Some(secs)));
            first = false;
        }
        let speaker = p.speaker.as_deref();
        let change = k > 0 && p.labelled && speaker.is_some() && speaker != prev_speaker;
        let mut starts = vec![(0usize, pin_here)];
        for (off, s) in bounds {
            if off > starts.last().map_or(0, |l| l.0) && off < chars.len() {
                starts.push((off, s));
            }
        }
        for (j, &(off, pin)) in starts.iter().enumerate() {
            let end = starts.get(j + 1).map_or(chars.len(), |n| n.0);
            let text: String = chars[off..end].iter().collect();
            out.push(Piece {
                para: i,
                units: speech_units(&text).max(0.5),
                starts_para: j == 0,
                pin,
                change: j == 0 && change,
                speaker: p.speaker.clone(),
            });
            from = end;
        }
        let _ = from;
        prev_speaker = speaker;
    }
    out
}

/// Pauses long enough to end a sentence, as candidate boundaries.
fn candidates(frames: &Frames, v: &Vad, chapters: &[Chapter]) -> Vec<Cand> {
    let ps: Vec<Pause> = pauses(v, 12);
    let win = 150; // 1.5 s of frames either side for the voice
    let mut out: Vec<Cand> = Vec::with_capacity(ps.len());
    for p in &ps {
        let t = refine_onset(frames, v, p);
        let before = median_pitch(frames, p.from.saturating_sub(win), p.from, 15);
        let after = median_pitch(frames, p.to, p.to + win, 15);
        let change = match (before, after) {
            (Some(b), Some(a)) => Some((a / b).log2().abs()),
            _ => None,
        };
        let bonus = if chapters
            .iter()
            .any(|c| c.start.is_finite() && t >= c.start - 0.5 && t <= c.start + 3.0)
        {
            3.0
        } else {
            0.0
        };
        out.push(Cand {
            t,
            s: v.cum[p.to.min(v.cum.len() - 1)],
            pause: if p.from == 0 && p.to == 0 {
                0.5
            } else {
                p.secs()
            },
            change,
            after,
            bonus,
        });
    }
    out
}

/// Each speaker's median pitch, from the starts pass 1 chose (none unless two voices differ).
fn learn_voices(
    pieces: &[Piece],
    cands: &[Cand],
    chosen: &[Cand],
    _frames: &Frames,
) -> Option<Vec<(String, f32)>> {
    let _ = cands;
    let mut by: std::collections::HashMap<&str, Vec<f32>> = Default::default();
    for (p, c) in pieces.iter().zip(chosen) {
        if let (Some(s), Some(a)) = (p.speaker.as_deref(), c.after) {
            if p.starts_para {
                by.entry(s).or_default().push(a);
            }
        }
    }
    let mut voices: Vec<(String, f32)> = by
        .into_iter()
        .filter(|(_, v)| v.len() >= 2)
        .map(|(s, mut v)| {
            v.sort_by(f32::total_cmp);
            (s.to_string(), v[v.len() / 2])
        })
        .collect();
    voices.sort_by(|a, b| a.1.total_cmp(&b.1));
    // Only worth it when the voices are told apart: every pair 0.25 octave or more apart.
    let distinct = voices.len() >= 2 && voices.windows(2).all(|w| (w[1].1 / w[0].1).log2() >= 0.25);
    distinct.then_some(voices)
}

/// Nats per halving of a pause's length (paragraph breaks are mostly longer pauses).
const PAUSE_WEIGHT: f64 = 1.6;

/// Relative spread of a paragraph's duration around its expectation, and its floor (s).
const REL_SD: f64 = 0.13;
const ABS_SD: f64 = 0.5;

/// The dynamic programme: for every piece start, a candidate, in order.
fn solve(
    pieces: &[Piece],
    cands: &[Cand],
    v: &Vad,
    _frames: &Frames,
    total_speech: f64,
    voices: Option<&Vec<(String, f32)>>,
) -> Vec<Cand> {
    let n = pieces.len();
    let total_units: f64 = pieces.iter().map(|p| p.units).sum();
    let cum_units: Vec<f64> = std::iter::once(0.0)
        .chain(pieces.iter().scan(0.0, |a, p| {
            *a += p.units;
            Some(*a)
        }))
        .collect();
    let s_at = |t: f64| -> f64 {
        let i = ((t / HOP).round().max(0.0) as usize).min(v.cum.len() - 1);
        v.cum[i]
    };
    // Pins on the (units → speech seconds) axis: the ends, and every written time.
    let mut pins: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    for (i, p) in pieces.iter().enumerate() {
        if let Some(t) = p.pin {
            let s = s_at(t + 0.5);
            if s >= pins.last().unwrap().1 {
                pins.push((cum_units[i], s));
            }
        }
    }
    if total_units > pins.last().unwrap().0 {
        pins.push((total_units, total_speech.max(pins.last().unwrap().1)));
    }
    let global_rate = total_speech / total_units.max(1.0);
    // Expected speech seconds at a units position, and the local pace there.
    let expect = |u: f64| -> (f64, f64, f64) {
        let k = pins.partition_point(|p| p.0 <= u);
        let (a, b) = match (k.checked_sub(1).map(|j| pins[j]), pins.get(k)) {
            (Some(a), Some(&b)) => (a, b),
            (Some(a), None) => (a, (a.0 + 1.0, a.1 + global_rate)),
            (None, Some(&b)) => ((0.0, 0.0), b),
            (None, None) => ((0.0, 0.0), (1.0, global_rate)),
        };
        let du = (b.0 - a.0).max(1e-9);
        let local = (b.1 - a.1) / du;
        // A short stretch between two pins says little about the pace.
        let w = du / (du + 150.0);
        let rate = (w * local + (1.0 - w) * global_rate).max(global_rate * 0.3);
        let s = a.1 + (b.1 - a.1) * (u - a.0) / du;
        let dist = (s - a.1).min(b.1 - s).max(0.0);
        (s, rate, dist)
    };

    // Candidates per boundary.
    let mut lists: Vec<Vec<Cand>> = Vec::with_capacity(n);
    for (i, p) in pieces.iter().enumerate() {
        let (s_exp, _, dist) = expect(cum_units[i]);
        let band = 25.0 + 0.12 * dist;
        let mut list: Vec<Cand> = if let Some(t) = p.pin {
            cands
                .iter()
                .filter(|c| c.t >= t - 0.6 && c.t <= t + 1.6)
                .copied()
                .collect()
        } else {
            cands
                .iter()
                .filter(|c| (c.s - s_exp).abs() <= band)
                .copied()
                .collect()
        };
        // A fallback that always exists: the expected place itself.
        let t_virtual = match p.pin {
            Some(t) => t + 0.5,
            None => time_of_speech(v, s_exp),
        };
        list.push(Cand {
            t: t_virtual,
            s: s_at(t_virtual),
            pause: 0.0,
            change: None,
            after: None,
            bonus: 0.0,
        });
        list.sort_by(|a, b| a.t.total_cmp(&b.t));
        lists.push(list);
    }

    let node_cost = |p: &Piece, c: &Cand, i: usize| -> f64 {
        let mut cost = 0.0;
        // Longer pauses are likelier paragraph breaks; no pause at all is a last resort.
        cost += if c.pause <= 0.0 {
            6.0
        } else {
            let l = c.pause.clamp(0.05, 2.0);
            let w = if p.starts_para { PAUSE_WEIGHT } else { 0.4 };
            w * (2.0f64.ln() - l.ln())
        };
        cost -= c.bonus * if p.starts_para { 1.0 } else { 0.3 };
        if p.starts_para && i > 0 {
            match voices {
                // Pitch alone is weak evidence (two voices of one pitch are common): it is only
                // used once the speakers are known to differ.
                None => {}
                Some(vs) => {
                    let own = p
                        .speaker
                        .as_deref()
                        .and_then(|s| vs.iter().find(|v| v.0 == s));
                    if let (Some(own), Some(a)) = (own, c.after) {
                        let d = (a / own.1).log2().abs();
                        let nearest = vs
                            .iter()
                            .map(|v| (a / v.1).log2().abs())
                            .fold(f32::INFINITY, f32::min);
                        cost += 2.5 * ((d - nearest) / 0.2).min(2.0) as f64;
                    }
                    if p.change {
                        if let Some(d) = c.change {
                            cost += 1.0 * ((0.2 - d).max(0.0) / 0.2) as f64;
                        }
                    }
                }
            }
        }
        cost
    };

    // dp over boundaries; back pointers.
    let mut dp: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(n);
    for i in 0..n {
        let list = &lists[i];
        let mut row = vec![f64::INFINITY; list.len()];
        let mut br = vec![0usize; list.len()];
        if i == 0 {
            for (ci, c) in list.iter().enumerate() {
                // Speech before the first paragraph (music, an intro) is allowed, at a price.
                row[ci] = node_cost(&pieces[0], c, 0) + 0.15 * c.s;
            }
        } else {
            let (_, rate, _) = expect(cum_units[i - 1] + pieces[i - 1].units * 0.5);
            let e = pieces[i - 1].units * rate;
            let sd = REL_SD * e + ABS_SD;
            let prev = &lists[i - 1];
            for (ci, c) in list.iter().enumerate() {
                let node = node_cost(&pieces[i], c, i);
                let mut best = (f64::INFINITY, 0usize);
                for (pj, pc) in prev.iter().enumerate() {
                    if pc.t >= c.t || !dp[i - 1][pj].is_finite() {
                        continue;
                    }
                    let d = c.s - pc.s;
                    let z = (d - e) / sd;
                    let total = dp[i - 1][pj] + 0.5 * z * z;
                    if total < best.0 {
                        best = (total, pj);
                    }
                }
                row[ci] = best.0 + node;
                br[ci] = best.1;
            }
        }
        dp.push(row);
        back.push(br);
    }
    // The last piece runs to the end of the speech.
    let (_, rate, _) = expect(total_units - pieces[n - 1].units * 0.5);
    let e = pieces[n - 1].units * rate;
    let sd = REL_SD * e + ABS_SD;
    let mut best = (f64::INFINITY, 0usize);
    for (ci, c) in lists[n - 1].iter().enumerate() {
        let z = (total_speech - c.s - e) / sd;
        // Huber-like: music or an outro after the last words costs only linearly.
        let t = dp[n - 1][ci] + (0.5 * z * z).min(4.5 + z.abs());
        if t < best.0 {
            best = (t, ci);
        }
    }
    let mut chosen = vec![lists[n - 1][best.1]; n];
    let mut ci = best.1;
    for i in (0..n).rev() {
        chosen[i] = lists[i][ci];
        if i > 0 {
            ci = back[i][ci];
        }
    }
    chosen
}

/// The time at which `s` seconds of speech have gone by.
fn time_of_speech(v: &Vad, s: f64) -> f64 {
    let i = v.cum.partition_point(|&c| c < s);
    i.saturating_sub(1) as f64 * HOP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_count_syllables_not_marks() {
        assert_eq!(speech_units("Hello there, made it."), 5.0);
        assert_eq!(speech_units("[inaudible 00:01:47] Yes"), 1.0);
        assert_eq!(speech_units(""), 0.0);
    }
}
