//! Skip silence: pauses longer than [`MIN_PAUSE_SECS`] (10 ms blocks whose RMS is below
//! [`THRESHOLD_DBFS`]) are shortened to [`KEEP_HEAD_SECS`] + [`KEEP_TAIL_SECS`]: the start and
//! the end of the pause are kept, the middle is dropped. Shorter pauses are left alone, so
//! speech keeps its rhythm.
//!
//! Works in media time on the player thread: what comes out is pieces tagged with their first
//! media frame, so the position clock jumps over the cut and keeps reporting media time. While
//! a pause is still shorter than the threshold its audio is held back (at most 0.45 s).

use std::collections::VecDeque;

use crate::player::decode::Pcm;

pub const THRESHOLD_DBFS: f32 = -45.0;
pub const MIN_PAUSE_SECS: f64 = 0.6;
pub const KEEP_HEAD_SECS: f64 = 0.15;
pub const KEEP_TAIL_SECS: f64 = 0.15;
const BLOCK_SECS: f64 = 0.01;

pub struct SilenceSkipper {
    ch: usize,
    enabled: bool,
    block: usize,
    head_blocks: usize,
    tail_blocks: usize,
    min_blocks: usize,
    threshold: f32,
    /// A partial block, waiting for more frames.
    acc: Vec<f32>,
    acc_start: u64,
    /// Silent blocks in the pause so far.
    run: usize,
    /// Silent blocks held back (past the head) until the pause's length is known.
    held: VecDeque<Pcm>,
    /// Media frames dropped so far.
    skipped: u64,
}

impl SilenceSkipper {
    pub fn new(channels: u16, sample_rate: u32) -> Self {
        let rate = sample_rate.max(1) as f64;
        let block = ((BLOCK_SECS * rate).round() as usize).max(1);
        let blocks = |secs: f64| (secs / BLOCK_SECS).round() as usize;
        Self {
            ch: channels.max(1) as usize,
            enabled: false,
            block,
            head_blocks: blocks(KEEP_HEAD_SECS),
            tail_blocks: blocks(KEEP_TAIL_SECS),
            min_blocks: blocks(MIN_PAUSE_SECS),
            threshold: 10f32.powf(THRESHOLD_DBFS / 20.0),
            acc: Vec::new(),
            acc_start: 0,
            run: 0,
            held: VecDeque::new(),
            skipped: 0,
        }
    }

    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Media frames cut from pauses so far.
    pub fn skipped_frames(&self) -> u64 {
        self.skipped
    }

    /// Drops held audio (a seek). The count of skipped frames is kept.
    pub fn reset(&mut self) {
        self.acc.clear();
        self.held.clear();
        self.run = 0;
    }

    /// Processes `pcm` (consecutive media frames), appending what is ready to `out`.
    pub fn process(&mut self, pcm: Pcm, out: &mut Vec<Pcm>) {
        if !self.enabled {
            self.flush(out);
            push(out, pcm, self.ch);
            return;
        }
        if !self.acc.is_empty() && self.acc_start + (self.acc.len() / self.ch) as u64 != pcm.start {
            self.flush(out);
        }
        if self.acc.is_empty() {
            self.acc_start = pcm.start;
        }
        self.acc.extend_from_slice(&pcm.samples);
        let block_len = self.block * self.ch;
        let mut at = 0;
        while self.acc.len() - at >= block_len {
            let samples = self.acc[at..at + block_len].to_vec();
            let start = self.acc_start + (at / self.ch) as u64;
            at += block_len;
            self.block_in(Pcm { start, samples }, out);
        }
        self.acc.drain(..at);
        self.acc_start += (at / self.ch) as u64;
    }

    fn block_in(&mut self, b: Pcm, out: &mut Vec<Pcm>) {
        let energy: f32 = b.samples.iter().map(|s| s * s).sum();
        let rms = (energy / b.samples.len().max(1) as f32).sqrt();
        if rms >= self.threshold {
            // The pause (if any) is over: what was held back plays (only its tail if it was
            // long; the rest was dropped already).
            while let Some(h) = self.held.pop_front() {
                push(out, h, self.ch);
            }
            self.run = 0;
            push(out, b, self.ch);
            return;
        }
        self.run += 1;
        if self.run <= self.head_blocks {
            push(out, b, self.ch);
            return;
        }
        self.held.push_back(b);
        if self.run > self.min_blocks {
            while self.held.len() > self.tail_blocks {
                let dropped = self.held.pop_front().expect("held");
                self.skipped += (dropped.samples.len() / self.ch) as u64;
            }
        }
    }

    /// Lets out everything held (end of the track, turned off, or a jump in media time).
    pub fn flush(&mut self, out: &mut Vec<Pcm>) {
        while let Some(h) = self.held.pop_front() {
            push(out, h, self.ch);
        }
        self.run = 0;
        if !self.acc.is_empty() {
            let samples = std::mem::take(&mut self.acc);
            push(
                out,
                Pcm {
                    start: self.acc_start,
                    samples,
                },
                self.ch,
            );
        }
    }
}

/// Appends `p` to `out`, merged into the last piece when it follows on in media time.
fn push(out: &mut Vec<Pcm>, p: Pcm, ch: usize) {
    if p.samples.is_empty() {
        return;
    }
    if let Some(last) = out.last_mut() {
        if last.start + (last.samples.len() / ch) as u64 == p.start {
            last.samples.extend_from_slice(&p.samples);
            return;
        }
    }
    out.push(p);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut SilenceSkipper, signal: &[f32], packet: usize) -> Vec<Pcm> {
        let mut out = Vec::new();
        for (k, c) in signal.chunks(packet).enumerate() {
            s.process(
                Pcm {
                    start: (k * packet) as u64,
                    samples: c.to_vec(),
                },
                &mut out,
            );
        }
        s.flush(&mut out);
        out
    }

    #[test]
    fn a_long_pause_is_shortened_and_a_short_one_kept() {
        let rate = 1_000;
        let loud = vec![0.5f32; 500];
        let mut signal = loud.clone();
        signal.extend(vec![0.0; 400]); // 0.4 s: kept
        signal.extend(loud.clone());
        signal.extend(vec![0.0; 2000]); // 2 s: cut to 0.3 s
        signal.extend(loud.clone());
        let mut s = SilenceSkipper::new(1, rate);
        s.set_enabled(true);
        let out = run(&mut s, &signal, 37);
        let total: usize = out.iter().map(|p| p.samples.len()).sum();
        assert_eq!(total, signal.len() - 1700);
        assert_eq!(s.skipped_frames(), 1700);
        assert_eq!(out.len(), 2, "one cut, two pieces");
        assert_eq!(out[1].start, 1400 + 150 + 1700);
    }

    #[test]
    fn off_passes_everything() {
        let mut s = SilenceSkipper::new(1, 1_000);
        let signal = vec![0.0f32; 6000];
        let out = run(&mut s, &signal, 100);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].samples.len(), 6000);
    }
}
