//! What alignment reads from the audio: 10 ms frames of loudness, pitch and spectral shape
//! (cepstra, every 20 ms), decoded by the player's own decoder, and from them speech / pause
//! runs over an adaptive noise floor.

use std::path::Path;

use crate::player::decode::Decoder;
use crate::{Error, Result};

/// Seconds per analysis frame.
pub const HOP: f64 = 0.01;
/// Pitch is looked for every this many frames (20 ms).
const PITCH_EVERY: usize = 2;
/// Sample rate the pitch tracker works at (the signal is decimated to about this).
const PITCH_RATE: f64 = 4000.0;
/// Pitch window, in decimated samples (40 ms at 4 kHz).
const PITCH_WIN: usize = 160;

/// Per-frame measures of the whole episode.
#[derive(Debug, Clone, Default)]
pub struct Frames {
    /// Loudness of each frame, dB full scale (mono mix).
    pub db: Vec<f32>,
    /// Fundamental frequency (Hz) where the frame is voiced, else 0.
    pub pitch: Vec<f32>,
    /// Seconds of audio (from the decoder: exact for local files).
    pub duration: f64,
    /// Spectral shape of each frame: [`NCEP`] cepstral coefficients (of 20 mel band energies,
    /// loudness left out), frame after frame; what tells two voices of one pitch apart.
    pub ceps: Vec<f32>,
}

/// Cepstral coefficients per frame in [`Frames::ceps`].
pub const NCEP: usize = 10;
/// Sample rate the spectrum is taken at (about), its window, and its mel bands.
const SPEC_RATE: f64 = 11025.0;
const SPEC_WIN: usize = 256;
const NBANDS: usize = 20;

/// A small spectrum analyser: Hann window, radix-2 FFT, mel bands, DCT.
struct Spectrum {
    window: Vec<f32>,
    twiddle: Vec<(f32, f32)>,
    /// Per band: (first bin, weights).
    bands: Vec<(usize, Vec<f32>)>,
    dct: Vec<[f32; NBANDS]>,
    re: Vec<f32>,
    im: Vec<f32>,
}

impl Spectrum {
    fn new(fs: f64) -> Spectrum {
        let n = SPEC_WIN;
        let pi = std::f64::consts::PI;
        let window = (0..n)
            .map(|i| (0.5 - 0.5 * (2.0 * pi * i as f64 / n as f64).cos()) as f32)
            .collect();
        let twiddle = (0..n / 2)
            .map(|k| {
                let a = -2.0 * pi * k as f64 / n as f64;
                (a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let mel = |f: f64| 2595.0 * (1.0 + f / 700.0).log10();
        let hz = |m: f64| 700.0 * (10f64.powf(m / 2595.0) - 1.0);
        let (lo, hi) = (mel(100.0), mel((fs / 2.0 * 0.95).min(5000.0)));
        let edges: Vec<f64> = (0..NBANDS + 2)
            .map(|i| hz(lo + (hi - lo) * i as f64 / (NBANDS + 1) as f64) * n as f64 / fs)
            .collect();
        let bands = (0..NBANDS)
            .map(|b| {
                let (l, c, r) = (edges[b], edges[b + 1], edges[b + 2]);
                let first = l.floor().max(1.0) as usize;
                let last = (r.ceil() as usize).min(n / 2);
                let w = (first..=last)
                    .map(|k| {
                        let k = k as f64;
                        let v = if k <= c {
                            (k - l) / (c - l).max(1e-9)
                        } else {
                            (r - k) / (r - c).max(1e-9)
                        };
                        v.max(0.0) as f32
                    })
                    .collect();
                (first, w)
            })
            .collect();
        let dct = (1..=NCEP)
            .map(|c| {
                let mut row = [0.0f32; NBANDS];
                for (b, x) in row.iter_mut().enumerate() {
                    *x = (pi * c as f64 * (b as f64 + 0.5) / NBANDS as f64).cos() as f32;
                }
                row
            })
            .collect();
        Spectrum {
            window,
            twiddle,
            bands,
            dct,
            re: vec![0.0; n],
            im: vec![0.0; n],
        }
    }

    /// The cepstrum of `x` (the last [`SPEC_WIN`] samples, oldest first), into `out`.
    fn ceps(&mut self, x: impl Iterator<Item = f32>, out: &mut [f32]) {
        let n = SPEC_WIN;
        for (i, v) in x.enumerate().take(n) {
            self.re[i] = v * self.window[i];
            self.im[i] = 0.0;
        }
        // Bit reversal, then butterflies.
        let bits = n.trailing_zeros();
        for i in 0..n {
            let j = i.reverse_bits() >> (usize::BITS - bits);
            if j > i {
                self.re.swap(i, j);
                self.im.swap(i, j);
            }
        }
        let mut len = 2;
        while len <= n {
            let step = n / len;
            for s in (0..n).step_by(len) {
                for k in 0..len / 2 {
                    let (wr, wi) = self.twiddle[k * step];
                    let (a, b) = (s + k, s + k + len / 2);
                    let tr = self.re[b] * wr - self.im[b] * wi;
                    let ti = self.re[b] * wi + self.im[b] * wr;
                    self.re[b] = self.re[a] - tr;
                    self.im[b] = self.im[a] - ti;
                    self.re[a] += tr;
                    self.im[a] += ti;
                }
            }
            len *= 2;
        }
        let mut logs = [0.0f32; NBANDS];
        for (b, (first, w)) in self.bands.iter().enumerate() {
            let mut e = 1e-10f32;
            for (k, &wk) in w.iter().enumerate() {
                let i = first + k;
                e += wk * (self.re[i] * self.re[i] + self.im[i] * self.im[i]);
            }
            logs[b] = e.ln();
        }
        for (o, row) in out.iter_mut().zip(&self.dct) {
            *o = row.iter().zip(&logs).map(|(a, b)| a * b).sum::<f32>() / NBANDS as f32;
        }
    }
}

/// The cancelled error every alignment entry point returns when `progress` says stop.
pub fn cancelled(audio: &Path) -> Error {
    Error::io(
        audio,
        std::io::Error::new(std::io::ErrorKind::Interrupted, "alignment was cancelled"),
    )
}

/// Decodes `audio` and measures its frames. `progress(fraction)` is called now and then with
/// the share decoded so far (times `scale`); `false` from it cancels.
pub fn analyse(audio: &Path, scale: f32, progress: &mut dyn FnMut(f32) -> bool) -> Result<Frames> {
    let mut dec = Decoder::open(audio)?;
    let sr = dec.sample_rate as f64;
    let ch = dec.channels.max(1) as usize;
    let total = dec.duration();
    let hop = (sr * HOP).round().max(1.0) as usize;
    let dec_factor = (sr / PITCH_RATE).round().max(1.0) as usize;
    let fs_d = sr / dec_factor as f64;
    // Lags for 70–400 Hz.
    let lag_min = (fs_d / 400.0).floor().max(2.0) as usize;
    let lag_max = (fs_d / 70.0).ceil() as usize;
    let win = PITCH_WIN.max(lag_max + 8);

    let spec_factor = (sr / SPEC_RATE).round().max(1.0) as usize;
    let mut spectrum = Spectrum::new(sr / spec_factor as f64);
    let mut spec_ring = vec![0.0f32; SPEC_WIN];
    let mut spec_at = 0usize;
    let (mut ssum, mut sn) = (0.0f32, 0usize);
    let mut cep = [0.0f32; NCEP];

    let mut frames = Frames::default();
    let (mut acc, mut acc_n) = (0.0f64, 0usize);
    let (mut dsum, mut dn) = (0.0f32, 0usize);
    let mut ring: Vec<f32> = vec![0.0; win + lag_max];
    let mut ring_fill = 0usize;
    let mut decoded = 0u64;
    let mut chunks = 0usize;
    let mut scratch: Vec<f32> = Vec::with_capacity(win + lag_max);
    // A one-pole high-pass (~60 Hz) takes hum and DC out of the pitch tracker's input.
    let (mut hp_prev_in, mut hp_prev_out) = (0.0f32, 0.0f32);
    let hp_a = (-2.0 * std::f64::consts::PI * 60.0 / sr).exp() as f32;

    while let Some(pcm) = dec.next_pcm()? {
        for frame in pcm.samples.chunks_exact(ch) {
            let m = if ch == 1 {
                frame[0]
            } else {
                frame.iter().sum::<f32>() / ch as f32
            };
            let y = hp_a * (hp_prev_out + m - hp_prev_in);
            hp_prev_in = m;
            hp_prev_out = y;
            acc += (m as f64) * (m as f64);
            acc_n += 1;
            ssum += m;
            sn += 1;
            if sn == spec_factor {
                spec_ring[spec_at] = ssum / sn as f32;
                spec_at = (spec_at + 1) % SPEC_WIN;
                ssum = 0.0;
                sn = 0;
            }
            dsum += y;
            dn += 1;
            if dn == dec_factor {
                // Slide the decimated signal's window by one sample.
                ring.rotate_left(1);
                let last = ring.len() - 1;
                ring[last] = dsum / dn as f32;
                ring_fill += 1;
                dsum = 0.0;
                dn = 0;
            }
            if acc_n == hop {
                let db = 10.0 * (acc / hop as f64 + 1e-12).log10();
                frames.db.push(db as f32);
                let i = frames.db.len() - 1;
                let f0 = if i % PITCH_EVERY == 0 && ring_fill >= ring.len() && db > -60.0 {
                    pitch_of(&ring, win, lag_min, lag_max, fs_d, &mut scratch)
                } else if i % PITCH_EVERY != 0 {
                    *frames.pitch.last().unwrap_or(&0.0)
                } else {
                    0.0
                };
                frames.pitch.push(f0);
                if i % PITCH_EVERY == 0 {
                    if db > -70.0 {
                        let x = spec_ring[spec_at..].iter().chain(&spec_ring[..spec_at]);
                        spectrum.ceps(x.copied(), &mut cep);
                    } else {
                        cep = [0.0; NCEP];
                    }
                }
                frames.ceps.extend_from_slice(&cep);
                acc = 0.0;
                acc_n = 0;
            }
        }
        decoded += (pcm.samples.len() / ch) as u64;
        chunks += 1;
        if chunks.is_multiple_of(64) {
            let f = match total {
                Some(t) if t > 0.0 => (decoded as f64 / sr / t).min(1.0) as f32,
                _ => 0.5,
            };
            if !progress(f * scale) {
                return Err(cancelled(audio));
            }
        }
    }
    frames.duration = decoded as f64 / sr;
    Ok(frames)
}

/// Normalized autocorrelation pitch of the last `win` samples of `ring` (plus lags): the best
/// lag's frequency if it is clearly periodic, else 0.
fn pitch_of(
    ring: &[f32],
    win: usize,
    lag_min: usize,
    lag_max: usize,
    fs: f64,
    scratch: &mut Vec<f32>,
) -> f32 {
    let n = ring.len();
    // x[0..win] is the analysis window, followed by lag_max samples of look-ahead... the ring
    // holds the most recent samples last, so the window is the start and lags reach forward.
    scratch.clear();
    scratch.extend_from_slice(&ring[n - win - lag_max..]);
    let x = &scratch[..];
    let e0: f32 = x[..win].iter().map(|v| v * v).sum();
    if e0 <= 1e-9 {
        return 0.0;
    }
    let mut best = (0usize, 0.0f32);
    let mut el: f32 = x[lag_min..lag_min + win].iter().map(|v| v * v).sum();
    let mut prev = -1.0f32;
    let mut rs = vec![0.0f32; lag_max + 2];
    for lag in lag_min..=lag_max {
        if lag > lag_min {
            el += x[lag + win - 1] * x[lag + win - 1] - x[lag - 1] * x[lag - 1];
        }
        let mut c = 0.0f32;
        for k in 0..win {
            c += x[k] * x[k + lag];
        }
        let r = c / (e0 * el.max(1e-12)).sqrt();
        rs[lag] = r;
        if r > best.1 {
            best = (lag, r);
        }
        prev = r;
    }
    let _ = prev;
    if best.1 < 0.6 {
        return 0.0;
    }
    // Prefer the shortest lag nearly as good (octave errors: a multiple of the period).
    let mut lag = best.0;
    for l in lag_min..best.0 {
        if rs[l] > 0.75 * best.1
            && rs[l] >= rs[l.saturating_sub(1).max(lag_min)]
            && rs[l] >= rs[l + 1]
        {
            lag = l;
            break;
        }
    }
    // Parabolic interpolation around the peak.
    let refine = if lag > lag_min && lag < lag_max {
        let (a, b, c) = (rs[lag - 1], rs[lag], rs[lag + 1]);
        let d = a - 2.0 * b + c;
        if d.abs() > 1e-6 {
            (0.5 * (a - c) / d).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    (fs / (lag as f64 + refine as f64)) as f32
}

/// Speech and pause: a frame is speech when it is well above the noise floor around it.
#[derive(Debug, Clone)]
pub struct Vad {
    pub speech: Vec<bool>,
    /// Noise floor per frame (dB).
    pub floor: Vec<f32>,
    /// `cum[i]` = seconds of speech in frames `0..i`.
    pub cum: Vec<f64>,
}

/// Frames per block the floor is measured over (10 s), and the neighbourhood (±30 s).
const BLOCK: usize = 1000;
const REACH: usize = 3;

pub fn vad(frames: &Frames) -> Vad {
    let n = frames.db.len();
    let blocks = n.div_ceil(BLOCK).max(1);
    let mut lo = vec![-90.0f32; blocks];
    let mut hi = vec![-90.0f32; blocks];
    for b in 0..blocks {
        let from = b.saturating_sub(REACH) * BLOCK;
        let to = ((b + REACH + 1) * BLOCK).min(n);
        if from >= to {
            continue;
        }
        let mut v: Vec<f32> = frames.db[from..to].to_vec();
        v.sort_by(f32::total_cmp);
        lo[b] = v[v.len() * 5 / 100];
        hi[b] = v[(v.len() * 95 / 100).min(v.len() - 1)];
    }
    // A bed under the speech (music under an intro, a loud room) fills its pauses: where the
    // quietest frames of the few seconds around stay well above the floor, that is the floor.
    let bed = local_floor(&frames.db);
    let mut speech = vec![false; n];
    let mut floor = vec![0.0f32; n];
    for i in 0..n {
        // Interpolate between block centres so the threshold has no steps.
        let pos = (i as f32 / BLOCK as f32 - 0.5).max(0.0);
        let b0 = (pos.floor() as usize).min(blocks - 1);
        let b1 = (b0 + 1).min(blocks - 1);
        let w = (pos - b0 as f32).clamp(0.0, 1.0);
        let l = lo[b0] * (1.0 - w) + lo[b1] * w;
        let h = hi[b0] * (1.0 - w) + hi[b1] * w;
        let local = bed[i / BED_STEP];
        let l = if local > l + 10.0 && local < h - 10.0 {
            local
        } else {
            l
        };
        floor[i] = l;
        let thr = l + (0.3 * (h - l)).max(8.0).min(h - l - 1.0).max(4.0);
        speech[i] = frames.db[i] > thr;
    }
    // Clicks are not speech; a dip shorter than 60 ms inside a word is not a pause.
    fill_runs(&mut speech, false, 6);
    fill_runs(&mut speech, true, 4);
    let mut cum = Vec::with_capacity(n + 1);
    cum.push(0.0);
    let mut s = 0.0;
    for &v in &speech {
        if v {
            s += HOP;
        }
        cum.push(s);
    }
    Vad { speech, floor, cum }
}

/// Frames per step of the local floor, and its reach either side (frames).
const BED_STEP: usize = 50;
const BED_REACH: usize = 250;

/// The 3rd percentile of the loudness within ±2.5 s, every half second.
fn local_floor(db: &[f32]) -> Vec<f32> {
    let n = db.len();
    let mut out = Vec::with_capacity(n / BED_STEP + 1);
    let mut buf: Vec<f32> = Vec::with_capacity(2 * BED_REACH);
    for k in 0..=n / BED_STEP {
        let c = k * BED_STEP + BED_STEP / 2;
        let (a, b) = (c.saturating_sub(BED_REACH), (c + BED_REACH).min(n));
        if a >= b {
            out.push(f32::NEG_INFINITY);
            continue;
        }
        buf.clear();
        buf.extend_from_slice(&db[a..b]);
        let i = buf.len() * 3 / 100;
        let (_, v, _) = buf.select_nth_unstable_by(i, f32::total_cmp);
        out.push(*v);
    }
    out
}

/// Flips runs of `value` shorter than `min` frames that have the other value on both sides.
fn fill_runs(mask: &mut [bool], value: bool, min: usize) {
    let n = mask.len();
    let mut i = 0;
    while i < n {
        if mask[i] != value {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && mask[i] == value {
            i += 1;
        }
        if start > 0 && i < n && i - start < min {
            for m in &mut mask[start..i] {
                *m = !value;
            }
        }
    }
}

/// A pause followed by speech: where a paragraph may start.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    /// First frame of silence.
    pub from: usize,
    /// First frame of speech after it (the onset).
    pub to: usize,
}

impl Pause {
    pub fn secs(&self) -> f64 {
        (self.to - self.from) as f64 * HOP
    }
}

/// Every silence run of at least `min_frames` that ends in speech, and the first onset.
pub fn pauses(v: &Vad, min_frames: usize) -> Vec<Pause> {
    let n = v.speech.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if v.speech[i] {
            i += 1;
            continue;
        }
        let from = i;
        while i < n && !v.speech[i] {
            i += 1;
        }
        if i < n && (from == 0 || i - from >= min_frames) {
            out.push(Pause { from, to: i });
        }
    }
    if v.speech.first() == Some(&true) {
        out.insert(0, Pause { from: 0, to: 0 });
    }
    out
}

/// The onset moved back over the quiet start of the first sound (up to 80 ms), so a start is
/// where the voice begins rather than where it gets loud.
pub fn refine_onset(frames: &Frames, v: &Vad, p: &Pause) -> f64 {
    let mut i = p.to;
    let lim = p.to.saturating_sub(8).max(p.from);
    while i > lim && frames.db[i - 1] > v.floor[i - 1] + 6.0 {
        i -= 1;
    }
    i as f64 * HOP
}

/// Median pitch (Hz) of the voiced frames in `from..to`, if at least `min` of them.
pub fn median_pitch(frames: &Frames, from: usize, to: usize, min: usize) -> Option<f32> {
    let to = to.min(frames.pitch.len());
    if from >= to {
        return None;
    }
    let mut v: Vec<f32> = frames.pitch[from..to]
        .iter()
        .copied()
        .filter(|&p| p > 0.0)
        .collect();
    if v.len() < min {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cepstra_ignore_loudness_but_not_timbre() {
        let fs = 11025.0;
        // A tone over a little noise (every band has some energy, as in any recording).
        let tone = |f: f64, a: f32| -> Vec<f32> {
            let mut seed = 12345u32;
            (0..SPEC_WIN)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                    let s = (2.0 * std::f64::consts::PI * f * i as f64 / fs).sin() as f32;
                    a * (s + 0.05 * noise)
                })
                .collect()
        };
        let mut sp = Spectrum::new(fs);
        let (mut a, mut b, mut c) = ([0.0f32; NCEP], [0.0f32; NCEP], [0.0f32; NCEP]);
        sp.ceps(tone(440.0, 0.5).into_iter(), &mut a);
        sp.ceps(tone(440.0, 0.05).into_iter(), &mut b);
        sp.ceps(tone(1800.0, 0.5).into_iter(), &mut c);
        let dist = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f32>();
        assert!(dist(&a, &b) < 0.01, "{a:?} vs {b:?}");
        assert!(dist(&a, &c) > 1.0, "{a:?} vs {c:?}");
    }

    #[test]
    fn pitch_of_a_pulse_train() {
        let fs = 4000.0;
        for f0 in [100.0f64, 210.0] {
            let period = fs / f0;
            let ring: Vec<f32> = (0..218)
                .map(|i| {
                    let ph = (i as f64 % period) / period;
                    ((2.0 * std::f64::consts::PI * ph).sin()
                        + 0.5 * (4.0 * std::f64::consts::PI * ph).sin()) as f32
                })
                .collect();
            let mut scratch = Vec::new();
            let p = pitch_of(&ring, 160, 10, 58, fs, &mut scratch);
            assert!((p as f64 - f0).abs() < f0 * 0.05, "{p} for {f0}");
        }
    }
}
