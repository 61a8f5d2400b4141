//! Loudness levelling: short-term loudness (EBU R128, 3 s window, through the `ebur128` crate)
//! of the decoded audio steers a slowly varying gain toward [`TARGET_LUFS`]; a look-ahead peak
//! limiter after the gain keeps every sample under [`CEILING`], so levelling never clips.
//!
//! Works in media time on the player thread: pieces in, pieces out, each tagged with its first
//! media frame. The limiter's look-ahead holds back [`LOOKAHEAD_SECS`] of audio while active.

use std::collections::VecDeque;

use ebur128::{EbuR128, Mode};

use crate::player::decode::Pcm;

/// The loudness levelling aims for (a common target for spoken podcasts).
pub const TARGET_LUFS: f64 = -16.0;
/// Peaks never exceed this after levelling (-0.5 dBFS).
pub const CEILING: f32 = 0.944;
const LOOKAHEAD_SECS: f64 = 0.005;
/// Quieter than this (short-term) is a pause: the gain holds rather than boosting noise.
const GATE_LUFS: f64 = -45.0;
const MAX_BOOST_DB: f64 = 20.0;
const MAX_CUT_DB: f64 = 20.0;
/// Time constant of the levelling gain (slow: no pumping within sentences).
const GAIN_TAU_SECS: f64 = 1.5;
/// When levelling is turned off the gain returns to 1 this fast.
const OFF_TAU_SECS: f64 = 0.1;
const RELEASE_TAU_SECS: f64 = 0.08;
/// The loudness measure steers the gain this often.
const MEASURE_EVERY_SECS: f64 = 0.1;

pub struct Leveller {
    ch: usize,
    enabled: bool,
    /// Processing (enabled, or gliding back to unity after being turned off).
    active: bool,
    meter: Option<EbuR128>,
    gain: f32,
    target: f32,
    coeff_on: f32,
    coeff_off: f32,
    /// Limiter.
    lookahead: usize,
    lim: f32,
    lim_step: f32,
    release: f32,
    /// (frame number, gain the frame needs), increasing gains: a sliding minimum.
    needs: VecDeque<(u64, f32)>,
    /// Gained frames waiting for the limiter, interleaved; the first is media frame
    /// `fifo_start` and frame number `fifo_n`.
    fifo: VecDeque<f32>,
    fifo_start: u64,
    fifo_n: u64,
    /// Frame number of the next frame in.
    n_in: u64,
    since_measure: usize,
    measure_every: usize,
    rate: u32,
}

impl Leveller {
    pub fn new(channels: u16, sample_rate: u32) -> Self {
        let rate = sample_rate.max(1) as f64;
        let per_frame = |tau: f64| (1.0 - (-1.0 / (tau * rate)).exp()) as f32;
        let lookahead = ((LOOKAHEAD_SECS * rate) as usize).max(1);
        Self {
            ch: channels.max(1) as usize,
            enabled: false,
            active: false,
            meter: None,
            gain: 1.0,
            target: 1.0,
            coeff_on: per_frame(GAIN_TAU_SECS),
            coeff_off: per_frame(OFF_TAU_SECS),
            lookahead,
            lim: 1.0,
            lim_step: 1.0 / lookahead as f32,
            release: per_frame(RELEASE_TAU_SECS),
            needs: VecDeque::new(),
            fifo: VecDeque::new(),
            fifo_start: 0,
            fifo_n: 0,
            n_in: 0,
            since_measure: 0,
            measure_every: (MEASURE_EVERY_SECS * rate) as usize,
            rate: sample_rate.max(1),
        }
    }

    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        if on {
            self.active = true;
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The levelling gain now (1 when off), for diagnostics and tests.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Drops held audio (a seek). The gain and the loudness history are kept: the same
    /// show is still playing.
    pub fn reset(&mut self) {
        self.fifo.clear();
        self.needs.clear();
        self.lim = 1.0;
        if !self.enabled {
            self.active = false;
            self.gain = 1.0;
        }
    }

    /// Processes `pcm` (consecutive media frames), appending what is ready to `out`.
    pub fn process(&mut self, pcm: Pcm, out: &mut Vec<Pcm>) {
        if !self.active {
            out.push(pcm);
            return;
        }
        let frames = pcm.samples.len() / self.ch;
        if frames == 0 {
            return;
        }
        // Media not following on from what is held: let the held audio out first.
        if !self.fifo.is_empty()
            && self.fifo_start + (self.fifo.len() / self.ch) as u64 != pcm.start
        {
            self.flush(out);
        }
        if self.fifo.is_empty() {
            self.fifo_start = pcm.start;
            self.fifo_n = self.n_in;
        }
        if self.enabled {
            self.measure(&pcm.samples);
        }
        let coeff = if self.enabled {
            self.coeff_on
        } else {
            self.target = 1.0;
            self.coeff_off
        };
        for f in 0..frames {
            self.gain += (self.target - self.gain) * coeff;
            let mut peak = 0.0f32;
            for c in 0..self.ch {
                let y = pcm.samples[f * self.ch + c] * self.gain;
                peak = peak.max(y.abs());
                self.fifo.push_back(y);
            }
            let need = if peak > CEILING { CEILING / peak } else { 1.0 };
            while self.needs.back().is_some_and(|&(_, g)| g >= need) {
                self.needs.pop_back();
            }
            self.needs.push_back((self.n_in, need));
            self.n_in += 1;
        }
        let held = self.fifo.len() / self.ch;
        let ready = held.saturating_sub(self.lookahead);
        self.emit(ready, out);
        if !self.enabled && (self.gain - 1.0).abs() < 1e-3 && self.lim >= 0.999 {
            self.gain = 1.0;
            self.flush(out);
            self.active = false;
        }
    }

    /// Lets out everything held (end of the track, or before a jump in media time).
    pub fn flush(&mut self, out: &mut Vec<Pcm>) {
        let held = self.fifo.len() / self.ch;
        self.emit(held, out);
    }

    fn emit(&mut self, frames: usize, out: &mut Vec<Pcm>) {
        if frames == 0 {
            return;
        }
        let mut samples = Vec::with_capacity(frames * self.ch);
        for _ in 0..frames {
            let n = self.fifo_n;
            while self.needs.front().is_some_and(|&(i, _)| i < n) {
                self.needs.pop_front();
            }
            let need = self.needs.front().map_or(1.0, |&(_, g)| g);
            if need < self.lim {
                self.lim = (self.lim - self.lim_step).max(need);
            } else {
                self.lim = (self.lim + (need - self.lim) * self.release).min(need);
            }
            for _ in 0..self.ch {
                let y = self.fifo.pop_front().unwrap_or(0.0) * self.lim;
                samples.push(y.clamp(-CEILING, CEILING));
            }
            self.fifo_n += 1;
        }
        out.push(Pcm {
            start: self.fifo_start,
            samples,
        });
        self.fifo_start += frames as u64;
    }

    fn measure(&mut self, samples: &[f32]) {
        if self.meter.is_none() {
            self.meter = EbuR128::new(self.ch as u32, self.rate, Mode::S).ok();
        }
        let Some(meter) = self.meter.as_mut() else {
            return;
        };
        if meter.add_frames_f32(samples).is_err() {
            return;
        }
        self.since_measure += samples.len() / self.ch;
        if self.since_measure < self.measure_every {
            return;
        }
        self.since_measure = 0;
        if let Ok(lufs) = meter.loudness_shortterm() {
            if lufs.is_finite() && lufs > GATE_LUFS {
                let db = (TARGET_LUFS - lufs).clamp(-MAX_CUT_DB, MAX_BOOST_DB);
                self.target = 10f64.powf(db / 20.0) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_passes_through_untouched() {
        let mut l = Leveller::new(1, 8_000);
        let mut out = Vec::new();
        l.process(
            Pcm {
                start: 7,
                samples: vec![0.25; 100],
            },
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].start, 7);
        assert_eq!(out[0].samples, vec![0.25; 100]);
    }

    #[test]
    fn held_audio_keeps_its_media_frames() {
        let mut l = Leveller::new(2, 8_000);
        l.set_enabled(true);
        let mut out = Vec::new();
        for k in 0..10u64 {
            l.process(
                Pcm {
                    start: 1000 + k * 100,
                    samples: vec![0.1; 200],
                },
                &mut out,
            );
        }
        l.flush(&mut out);
        let mut next = 1000;
        for p in &out {
            assert_eq!(p.start, next);
            next += (p.samples.len() / 2) as u64;
        }
        assert_eq!(next, 2000);
    }
}
