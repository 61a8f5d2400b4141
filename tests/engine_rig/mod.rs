//! A player on the test device (`ManualOutput`), fed generated WAV files: the audio the device
//! takes can be compared sample by sample with what was written, and the position the player
//! reports with the media frame that was actually handed out.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use earshot::player::output::manual::ManualOutput;
use earshot::player::{self, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus};

pub const RATE: u32 = 44_100;
pub const T: Duration = Duration::from_secs(20);

/// Writes 16-bit PCM WAV. Returns the samples as the decoder will give them back.
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) -> Vec<f32> {
    let data: Vec<i16> = samples
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect();
    let mut b = Vec::with_capacity(44 + data.len() * 2);
    let bytes = (data.len() * 2) as u32;
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + bytes).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
    b.extend_from_slice(&(channels * 2).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&bytes.to_le_bytes());
    for s in &data {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
    data.iter().map(|&s| s as f32 / 32768.0).collect()
}

pub fn tone(secs: f64, hz: f64, amp: f32) -> Vec<f32> {
    let n = (secs * RATE as f64) as usize;
    (0..n)
        .map(|i| (std::f64::consts::TAU * hz * i as f64 / RATE as f64).sin() as f32 * amp)
        .collect()
}

pub struct Rig {
    pub player: PlayerHandle,
    pub out: ManualOutput,
    pub events: Receiver<PlayerEvent>,
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
}

impl Rig {
    /// Writes `samples` (mono, 44.1 kHz) to a WAV file; returns the rig and the samples as
    /// decoded.
    pub fn with_audio(samples: &[f32]) -> (Self, Vec<f32>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audio.wav");
        let decoded = write_wav(&file, RATE, 1, samples);
        let out = ManualOutput::default();
        let (tx, events) = crossbeam_channel::unbounded();
        let player = player::spawn(Box::new(out.clone()), tx);
        (
            Self {
                player,
                out,
                events,
                dir,
                file,
            },
            decoded,
        )
    }

    pub fn send(&self, cmd: PlayerCommand) {
        self.player.send(cmd);
    }

    /// Loads the file at `start` and plays; returns once the player says it is playing.
    pub fn play_from(&self, start: f64) {
        self.send(PlayerCommand::Load {
            media: Media::File(self.file.clone()),
            start,
            autoplay: true,
            token: 1,
        });
        self.wait_status(PlayerStatus::Playing);
    }

    /// Waits for the player to report `want`; returns the position in that report.
    pub fn wait_status(&self, want: PlayerStatus) -> f64 {
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            if let Ok(PlayerEvent::Status { status, position }) =
                self.events.recv_timeout(Duration::from_millis(50))
            {
                if status == want {
                    return position;
                }
            }
        }
        panic!("player never reached {want:?}");
    }

    /// The device takes `n` samples (all of them, or the test fails).
    pub fn take(&self, n: usize) -> Vec<f32> {
        let got = self.out.take_audio(n, T);
        assert_eq!(got.len(), n, "the device got all the audio it asked for");
        got
    }

    /// Takes samples until the end of the track (the device then gets nothing more).
    pub fn take_to_end(&self) -> Vec<f32> {
        let mut all = Vec::new();
        loop {
            let got = self.out.take_audio(4096, Duration::from_millis(1500));
            let done = got.len() < 4096;
            all.extend(got);
            if done {
                return all;
            }
        }
    }

    /// The position the player reports now (from a Position event read after this call) and
    /// the speed in it. Nothing is taken meanwhile, so the position holds still.
    pub fn position(&self) -> (f64, f32) {
        while self.events.try_recv().is_ok() {}
        let mut seen = 0;
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            if let Ok(PlayerEvent::Position {
                position, speed, ..
            }) = self.events.recv_timeout(Duration::from_millis(50))
            {
                // The first may have been read before the call; the second was not.
                seen += 1;
                if seen == 2 {
                    return (position, speed);
                }
            }
        }
        panic!("no position event");
    }

    /// The latest Position event's `silence_skipped`.
    pub fn silence_skipped(&self) -> f64 {
        while self.events.try_recv().is_ok() {}
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            if let Ok(PlayerEvent::Position {
                silence_skipped, ..
            }) = self.events.recv_timeout(Duration::from_millis(50))
            {
                return silence_skipped;
            }
        }
        panic!("no position event");
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.player.send(PlayerCommand::Shutdown);
    }
}

/// The frequency of the strongest component between `lo` and `hi` Hz: a Hann-windowed DFT
/// scanned in 0.1 Hz steps (Goertzel), with parabolic interpolation of the peak.
pub fn dominant_hz(samples: &[f32], rate: f64, lo: f64, hi: f64) -> f64 {
    let n = samples.len();
    let w: Vec<f64> = (0..n)
        .map(|i| {
            let s = (std::f64::consts::PI * i as f64 / n as f64).sin();
            samples[i] as f64 * s * s
        })
        .collect();
    let power = |f: f64| {
        let k = 2.0 * (std::f64::consts::TAU * f / rate).cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in &w {
            let s0 = x + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        s1 * s1 + s2 * s2 - k * s1 * s2
    };
    let step = 0.5;
    let mut best = (lo, 0.0);
    let mut f = lo;
    while f <= hi {
        let p = power(f);
        if p > best.1 {
            best = (f, p);
        }
        f += step;
    }
    // Parabolic refinement around the coarse peak.
    let (f0, p0) = best;
    let (pm, pp) = (power(f0 - step), power(f0 + step));
    let denom = pm - 2.0 * p0 + pp;
    if denom.abs() > 0.0 {
        f0 + 0.5 * step * (pm - pp) / denom
    } else {
        f0
    }
}
