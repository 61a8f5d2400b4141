//! Time-stretch that keeps the pitch: WSOLA (waveform-similarity overlap-add), in pure Rust.
//!
//! The output is built from windowed segments of the input laid `hop` frames apart (Hann
//! windows of `2 * hop`, 50 % overlap, so the windows sum to one). Segment k is taken near the
//! input position `k * hop * speed`, shifted by up to `tolerance` frames to where it best matches
//! the natural continuation of segment k - 1 (normalised cross-correlation, searched coarsely on
//! a decimated mono copy and refined at full rate). Periodic sound (voiced speech, a tone) thus
//! keeps its period, i.e. its pitch, while the input is consumed `speed` times as fast.
//!
//! At 1× the stretcher is bypassed: input samples are copied out untouched (bit-exact).
//! Switching between bypass and stretching needs no crossfade: the first stretched segment
//! overlaps the very samples bypass would have played next, and leaving the stretch resumes at
//! the natural continuation of the last segment (which is what the next overlap-add would
//! have converged to).
//!
//! Every output frame knows which media frame it came from: input is pushed with its media
//! start frame ([`Stretcher::push`]), and each output block maps linearly onto the input span
//! between the segments it blends. [`Stretcher::media_position`] is the media frame just after
//! the last output frame handed out.

use std::collections::VecDeque;

/// The slowest speed the player accepts.
pub const MIN_SPEED: f32 = 0.5;
/// The fastest speed the player accepts.
pub const MAX_SPEED: f32 = 3.0;

/// Speeds this close to 1 play through the bypass (bit-exact).
pub fn is_unity(speed: f32) -> bool {
    (speed - 1.0).abs() < 1e-3
}

/// Clamps a requested speed into [`MIN_SPEED`, `MAX_SPEED`] (NaN becomes 1).
pub fn clamp_speed(speed: f32) -> f32 {
    if speed.is_nan() {
        1.0
    } else {
        speed.clamp(MIN_SPEED, MAX_SPEED)
    }
}

/// Synthesis hop: half the segment length. 15 ms segments halves (30 ms windows) hold two or
/// more pitch periods of any voice.
const HOP_SECS: f64 = 0.015;
/// How far a segment may move from its nominal place to match the previous one (one period
/// of a 100 Hz voice either way).
const TOLERANCE_SECS: f64 = 0.010;
/// The coarse search runs at about this rate.
const SEARCH_RATE: u32 = 8_000;
/// Consumed input is dropped in batches of at least this many frames.
const COMPACT_FRAMES: u64 = 8_192;

#[derive(Debug, Clone, Copy)]
struct Mark {
    input: u64,
    media: u64,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Copy input from frame `p` on.
    Bypass { p: u64 },
    /// Last segment started at input frame `prev`; its nominal place was `nominal`.
    Stretch { prev: i64, nominal: f64 },
}

pub struct Stretcher {
    ch: usize,
    hop: usize,
    tol: usize,
    dec: usize,
    /// Hann window of `2 * hop`.
    window: Vec<f32>,
    /// Interleaved input; `input[0]` is input frame `base`.
    input: Vec<f32>,
    base: u64,
    /// Where media jumps inside the input (pushes that do not continue the previous one).
    marks: VecDeque<Mark>,
    eof: bool,
    /// The end is too near for another segment: the rest plays at 1×.
    draining: bool,
    mode: Mode,
    /// The output block being handed out, interleaved, and how far into it we are (samples).
    block: Vec<f32>,
    block_at: usize,
    /// Output frame j of the block blends input frame `map_from + j` (fading out) with
    /// `map_to + j` (fading in, by `window[j]`); in bypass both are the same.
    map_from: f64,
    map_to: f64,
    /// Second half of the last segment, windowed, waiting for the next overlap-add.
    tail: Vec<f32>,
    // Scratch for the search.
    dec_cand: Vec<f32>,
    dec_target: Vec<f32>,
    mono_cand: Vec<f32>,
    mono_target: Vec<f32>,
}

impl Stretcher {
    pub fn new(channels: u16, sample_rate: u32) -> Self {
        let rate = sample_rate.max(1) as f64;
        let hop = ((HOP_SECS * rate).round() as usize).max(16);
        let tol = ((TOLERANCE_SECS * rate).round() as usize).max(4);
        let dec = (sample_rate / SEARCH_RATE).max(1) as usize;
        let n = 2 * hop;
        let window = (0..n)
            .map(|i| {
                let s = (std::f64::consts::PI * (i as f64 + 0.5) / n as f64).sin();
                (s * s) as f32
            })
            .collect();
        let ch = channels.max(1) as usize;
        Self {
            ch,
            hop,
            tol,
            dec,
            window,
            input: Vec::new(),
            base: 0,
            marks: VecDeque::new(),
            eof: false,
            draining: false,
            mode: Mode::Bypass { p: 0 },
            block: Vec::with_capacity(hop * ch),
            block_at: 0,
            map_from: 0.0,
            map_to: 0.0,
            tail: vec![0.0; hop * ch],
            dec_cand: Vec::new(),
            dec_target: Vec::new(),
            mono_cand: Vec::new(),
            mono_target: Vec::new(),
        }
    }

    pub fn channels(&self) -> usize {
        self.ch
    }

    /// Forgets all input and output (a seek).
    pub fn reset(&mut self) {
        self.input.clear();
        self.base = 0;
        self.marks.clear();
        self.eof = false;
        self.draining = false;
        self.mode = Mode::Bypass { p: 0 };
        self.block.clear();
        self.block_at = 0;
        self.map_from = 0.0;
        self.map_to = 0.0;
    }

    fn end(&self) -> u64 {
        self.base + (self.input.len() / self.ch) as u64
    }

    /// Appends interleaved input whose first frame is media frame `media_start`.
    pub fn push(&mut self, media_start: u64, samples: &[f32]) {
        let at = self.end();
        let continues = self
            .marks
            .back()
            .is_some_and(|m| m.media + (at - m.input) == media_start);
        if !continues {
            self.marks.push_back(Mark {
                input: at,
                media: media_start,
            });
        }
        let whole = samples.len() - samples.len() % self.ch;
        self.input.extend_from_slice(&samples[..whole]);
    }

    /// No more input will come (end of the track): what is buffered plays out.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    pub fn is_finished(&self) -> bool {
        self.eof
    }

    /// True once the end was pushed and every frame was handed out.
    pub fn is_drained(&self) -> bool {
        self.eof
            && self.block_at >= self.block.len()
            && matches!(self.mode, Mode::Bypass { p } if p >= self.end())
    }

    /// Frames of input buffered past the read point (how much audio is waiting).
    pub fn buffered_frames(&self) -> u64 {
        let at = match self.mode {
            Mode::Bypass { p } => p,
            Mode::Stretch { prev, .. } => (prev + self.hop as i64).max(0) as u64,
        };
        self.end().saturating_sub(at)
    }

    /// True when the next output sample is the first of a frame.
    pub fn at_frame_start(&self) -> bool {
        self.block_at.is_multiple_of(self.ch)
    }

    /// The next output sample at `speed`, or `None` when more input is needed (or, after
    /// [`finish`](Self::finish), when everything was played).
    #[inline]
    pub fn next_sample(&mut self, speed: f32) -> Option<f32> {
        if self.block_at >= self.block.len() && !self.render(speed) {
            return None;
        }
        let s = self.block[self.block_at];
        self.block_at += 1;
        Some(s)
    }

    /// Fills `out` with as many output samples as are ready (whole frames); returns the count.
    pub fn fill(&mut self, speed: f32, out: &mut [f32]) -> usize {
        let mut n = 0;
        while n < out.len() {
            if self.block_at >= self.block.len() && !self.render(speed) {
                break;
            }
            let take = (self.block.len() - self.block_at).min(out.len() - n);
            out[n..n + take].copy_from_slice(&self.block[self.block_at..self.block_at + take]);
            self.block_at += take;
            n += take;
        }
        n
    }

    /// The media frame just after the last whole output frame handed out. While two segments
    /// cross-fade, the frame heard is their blend: the position moves from the old segment's
    /// place to the new one's as the new one fades in (weighted by the window), so it is never
    /// more than a fraction of a hop from either.
    pub fn media_position(&self) -> Option<f64> {
        let j = self.block_at / self.ch;
        let fade_in = if j >= self.hop {
            1.0
        } else {
            self.window[j] as f64
        };
        let x = self.map_from + j as f64 + fade_in * (self.map_to - self.map_from);
        self.media_at(x)
    }

    fn media_at(&self, input: f64) -> Option<f64> {
        let whole = input.max(0.0).floor() as u64;
        let mark = self
            .marks
            .iter()
            .rev()
            .find(|m| m.input <= whole)
            .or(self.marks.front())?;
        Some(mark.media as f64 + (input - mark.input as f64))
    }

    fn frame_index(&self, frame: i64) -> usize {
        (frame - self.base as i64) as usize * self.ch
    }

    /// Makes the next output block. False when input is missing (or all is played).
    /// The finished block stays (and so the position) until a new one can be made.
    fn render(&mut self, speed: f32) -> bool {
        let hop = self.hop;
        loop {
            match self.mode {
                Mode::Bypass { p } => {
                    let end = self.end();
                    if is_unity(speed) || self.draining || (self.eof && end < p + hop as u64) {
                        if p >= end {
                            return false;
                        }
                        // Stop a block at a media jump so its mapping stays linear.
                        let next_mark = self
                            .marks
                            .iter()
                            .find(|m| m.input > p)
                            .map_or(end, |m| m.input);
                        let n = (end.min(next_mark) - p).min(hop as u64) as usize;
                        let i = self.frame_index(p as i64);
                        self.block.clear();
                        self.block_at = 0;
                        self.block
                            .extend_from_slice(&self.input[i..i + n * self.ch]);
                        self.map_from = p as f64;
                        self.map_to = p as f64;
                        self.mode = Mode::Bypass { p: p + n as u64 };
                        self.compact(p + n as u64);
                        return true;
                    }
                    // Start stretching: pretend the last segment started `hop` before `p`, so
                    // its windowed tail is the very audio bypass would play next.
                    if end < p + hop as u64 {
                        return false;
                    }
                    let i = self.frame_index(p as i64);
                    for j in 0..hop {
                        let w = self.window[hop + j];
                        for c in 0..self.ch {
                            self.tail[j * self.ch + c] = self.input[i + j * self.ch + c] * w;
                        }
                    }
                    let prev = p as i64 - hop as i64;
                    self.mode = Mode::Stretch {
                        prev,
                        nominal: prev as f64,
                    };
                }
                Mode::Stretch { prev, nominal } => {
                    let natural = (prev + hop as i64).max(0) as u64;
                    if is_unity(speed) {
                        // Leave at the natural continuation: tail·w↓ + x·w↑ would be x there.
                        self.mode = Mode::Bypass { p: natural };
                        continue;
                    }
                    let n = nominal + hop as f64 * speed as f64;
                    let center = n.round() as i64;
                    let lo = (center - self.tol as i64).max(self.base as i64);
                    let mut hi = (center + self.tol as i64).max(lo);
                    let last = self.end() as i64 - 2 * hop as i64;
                    if self.eof && hi > last && last >= lo {
                        // Near the end: search only as far as the input goes.
                        hi = last;
                    }
                    let need = hi as u64 + 2 * hop as u64;
                    if self.end() < need {
                        if self.eof {
                            // The last few milliseconds play at 1×.
                            self.draining = true;
                            self.mode = Mode::Bypass { p: natural };
                            continue;
                        }
                        return false;
                    }
                    let best = self.search(lo, hi, center, prev + hop as i64);
                    let i = self.frame_index(best);
                    let ch = self.ch;
                    self.block.clear();
                    self.block_at = 0;
                    for j in 0..hop {
                        let (wa, wd) = (self.window[j], self.window[hop + j]);
                        for c in 0..ch {
                            let k = j * ch + c;
                            self.block.push(self.tail[k] + self.input[i + k] * wa);
                            self.tail[k] = self.input[i + hop * ch + k] * wd;
                        }
                    }
                    self.map_from = (prev + hop as i64) as f64;
                    self.map_to = best as f64;
                    self.mode = Mode::Stretch {
                        prev: best,
                        nominal: n,
                    };
                    // Keep what the next search may reach back to at the slowest speed.
                    let keep = (best.min(center) - self.tol as i64 - 2 * hop as i64).max(0);
                    self.compact(keep as u64);
                    return true;
                }
            }
        }
    }

    /// Drops input before `keep` (minus a history margin), in batches.
    fn compact(&mut self, keep: u64) {
        let margin = (2 * self.hop + 2 * self.tol) as u64;
        let keep = keep.saturating_sub(margin);
        if keep < self.base + COMPACT_FRAMES {
            return;
        }
        let drop = (keep - self.base) as usize;
        self.input.drain(..drop * self.ch);
        self.base = keep;
        while self.marks.len() > 1 && self.marks[1].input <= keep {
            self.marks.pop_front();
        }
    }

    fn mono(&self, frame: i64) -> f32 {
        let i = self.frame_index(frame);
        if self.ch == 1 {
            self.input[i]
        } else {
            self.input[i..i + self.ch].iter().sum::<f32>()
        }
    }

    /// The segment start in `lo..=hi` whose first `hop` frames best match the `hop` frames at
    /// `target`; ties go to the one nearest `center`.
    fn search(&mut self, lo: i64, hi: i64, center: i64, target: i64) -> i64 {
        let hop = self.hop;
        let d = self.dec;
        // Coarse: decimated mono (box filter), every d-th candidate.
        let m = hop / d;
        self.dec_target.clear();
        for k in 0..m {
            let s: f32 = (0..d).map(|q| self.mono(target + (k * d + q) as i64)).sum();
            self.dec_target.push(s);
        }
        let span = (hi - lo) as usize;
        let cands = span / d + 1;
        self.dec_cand.clear();
        for k in 0..cands + m {
            let from = lo + (k * d) as i64;
            let s: f32 = (0..d)
                .map(|q| {
                    let f = from + q as i64;
                    if (f as u64) < self.end() {
                        self.mono(f)
                    } else {
                        0.0
                    }
                })
                .sum();
            self.dec_cand.push(s);
        }
        let mut best = center.clamp(lo, hi);
        let mut best_score = f32::NEG_INFINITY;
        let mut energy: f32 = self.dec_cand[..m].iter().map(|x| x * x).sum();
        for k in 0..cands {
            if k > 0 {
                let (a, b) = (self.dec_cand[k - 1], self.dec_cand[k - 1 + m]);
                energy = (energy - a * a + b * b).max(0.0);
            }
            let corr: f32 = self.dec_cand[k..k + m]
                .iter()
                .zip(&self.dec_target)
                .map(|(a, b)| a * b)
                .sum();
            let at = lo + (k * d) as i64;
            let score = corr / (energy + 1e-9).sqrt() - 1e-7 * (at - center).abs() as f32;
            if score > best_score {
                best_score = score;
                best = at;
            }
        }
        if d == 1 {
            return best;
        }
        // Fine: full-rate mono around the coarse winner.
        let (flo, fhi) = ((best - d as i64).max(lo), (best + d as i64).min(hi));
        self.mono_target.clear();
        for k in 0..hop {
            let v = self.mono(target + k as i64);
            self.mono_target.push(v);
        }
        self.mono_cand.clear();
        for f in flo..fhi + hop as i64 {
            let v = self.mono(f);
            self.mono_cand.push(v);
        }
        let mut energy: f32 = self.mono_cand[..hop].iter().map(|x| x * x).sum();
        let mut fine_best = best;
        let mut fine_score = f32::NEG_INFINITY;
        for k in 0..=(fhi - flo) as usize {
            if k > 0 {
                let (a, b) = (self.mono_cand[k - 1], self.mono_cand[k - 1 + hop]);
                energy = (energy - a * a + b * b).max(0.0);
            }
            let corr: f32 = self.mono_cand[k..k + hop]
                .iter()
                .zip(&self.mono_target)
                .map(|(a, b)| a * b)
                .sum();
            let at = flo + k as i64;
            let score = corr / (energy + 1e-9).sqrt() - 1e-7 * (at - center).abs() as f32;
            if score > fine_score {
                fine_score = score;
                fine_best = at;
            }
        }
        fine_best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, rate: f32, hz: f32) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * hz * std::f32::consts::TAU / rate).sin() * 0.5)
            .collect()
    }

    #[test]
    fn unity_is_bit_exact_and_tracks_media_frames() {
        let input = tone(10_000, 44_100.0, 440.0);
        let mut s = Stretcher::new(1, 44_100);
        s.push(5_000, &input);
        s.finish();
        let mut out = vec![0.0; 20_000];
        let n = s.fill(1.0, &mut out);
        assert_eq!(n, 10_000);
        assert_eq!(&out[..n], &input[..]);
        assert_eq!(s.media_position(), Some(15_000.0));
        assert!(s.is_drained());
    }

    #[test]
    fn output_length_follows_the_speed() {
        for speed in [0.5f32, 1.5, 2.0, 3.0] {
            let input = tone(44_100 * 4, 44_100.0, 200.0);
            let mut s = Stretcher::new(1, 44_100);
            s.push(0, &input);
            s.finish();
            let mut out = vec![0.0; 44_100 * 10];
            let n = s.fill(speed, &mut out);
            let expected = input.len() as f32 / speed;
            assert!(
                (n as f32 - expected).abs() / expected < 0.02,
                "{speed}: {n} vs {expected}"
            );
            assert_eq!(s.media_position(), Some(input.len() as f64));
        }
    }

    #[test]
    fn media_jumps_are_followed() {
        let mut s = Stretcher::new(2, 1_000);
        s.push(100, &[0.1; 20]);
        s.push(500, &[0.2; 20]);
        let mut out = [0.0; 24];
        assert_eq!(s.fill(1.0, &mut out), 24);
        assert_eq!(s.media_position(), Some(502.0));
    }
}
