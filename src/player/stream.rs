//! The bridge between the player thread and the output device.
//!
//! The player thread decodes ahead into a small bounded queue of chunks; the output device's
//! callback pulls samples from [`StreamSource`], which time-stretches them to the current speed
//! (bypassed at 1×) and applies the volume. The source records, after every frame it hands
//! over, which media frame of the track that frame came from: that, not a wall clock and not
//! what was decoded ahead, is the playback position.

use std::num::NonZero;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::dsp::{self, Stretcher};

/// A piece of decoded audio tagged with the seek generation it belongs to.
pub struct Chunk {
    pub generation: u32,
    /// Media frame of the first frame; frames inside a chunk are consecutive media frames.
    pub start: u64,
    pub samples: Vec<f32>,
    /// Marks the end of the stream for this generation (no samples).
    pub eof: bool,
}

const FRAME_BITS: u32 = 48;
const FRAME_MASK: u64 = (1 << FRAME_BITS) - 1;
/// Volume changes glide over about this long (no zipper noise).
const VOLUME_RAMP_SECS: f32 = 0.03;
/// The loudest volume accepted (150 %).
pub const MAX_VOLUME: f32 = 1.5;

/// State shared by the player thread and the output callback; all lock-free.
pub struct Shared {
    pub paused: AtomicBool,
    pub stopped: AtomicBool,
    /// Bumped on every seek; chunks of older generations are dropped unplayed.
    pub generation: AtomicU32,
    /// (generation << 48) | frame: the last frame the device took, and from which generation.
    played: AtomicU64,
    /// Generation whose end-of-stream marker the device has reached.
    pub ended_generation: AtomicU32,
    /// Frames the callback wanted while it had nothing (underruns), for diagnostics.
    pub starved: AtomicU64,
    /// Playback speed (f32 bits), 0.5–3; 1 plays the decoded samples untouched.
    speed: AtomicU32,
    /// Volume (f32 bits), 0–[`MAX_VOLUME`].
    volume: AtomicU32,
    /// (generation << 48) | frame, and when (ns since EPOCH) the device took it: a recent
    /// sample, so the clock can run smoothly between device callbacks.
    stamp_frame: AtomicU64,
    stamp_ns: AtomicU64,
    /// The output's own clock, when it has one (PulseAudio's timing info): the frame being
    /// heard at an instant. Overrides the stamps + fixed latency estimate.
    heard: std::sync::Mutex<Option<Heard>>,
}

/// A frame the output measured as heard at an instant (see [`Shared::store_heard`]).
#[derive(Debug, Clone, Copy)]
struct Heard {
    tag: u64,
    frame: u64,
    at: std::time::Instant,
    advancing: bool,
}

fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

impl Shared {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            paused: AtomicBool::new(true),
            stopped: AtomicBool::new(false),
            generation: AtomicU32::new(1),
            played: AtomicU64::new(1 << FRAME_BITS),
            ended_generation: AtomicU32::new(0),
            starved: AtomicU64::new(0),
            speed: AtomicU32::new(1.0f32.to_bits()),
            volume: AtomicU32::new(1.0f32.to_bits()),
            stamp_frame: AtomicU64::new(0),
            stamp_ns: AtomicU64::new(0),
            heard: std::sync::Mutex::new(None),
        })
    }

    pub fn speed(&self) -> f32 {
        f32::from_bits(self.speed.load(Ordering::Relaxed))
    }

    /// Sets the speed (clamped to 0.5–3); heard from the next stretch hop (15 ms).
    pub fn set_speed(&self, speed: f32) {
        self.speed
            .store(dsp::clamp_speed(speed).to_bits(), Ordering::Relaxed);
    }

    pub fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }

    /// Sets the volume (clamped to 0–1.5); the gain glides there over 30 ms.
    pub fn set_volume(&self, volume: f32) {
        let v = if volume.is_nan() {
            1.0
        } else {
            volume.clamp(0.0, MAX_VOLUME)
        };
        self.volume.store(v.to_bits(), Ordering::Relaxed);
    }

    fn gen_tag(generation: u32) -> u64 {
        (generation as u64 & 0xffff) << FRAME_BITS
    }

    /// The last frame the device took, if it belongs to the current generation.
    pub fn played_frame(&self) -> Option<u64> {
        let packed = self.played.load(Ordering::Acquire);
        let generation = self.generation.load(Ordering::Acquire);
        (packed & !FRAME_MASK == Self::gen_tag(generation)).then_some(packed & FRAME_MASK)
    }

    fn store_played(&self, generation: u32, frame: u64) {
        self.played.store(
            Self::gen_tag(generation) | (frame & FRAME_MASK),
            Ordering::Release,
        );
    }

    fn store_stamp(&self, generation: u32, frame: u64) {
        let ns = epoch().elapsed().as_nanos() as u64;
        self.stamp_ns.store(ns, Ordering::Release);
        self.stamp_frame.store(
            Self::gen_tag(generation) | (frame & FRAME_MASK),
            Ordering::Release,
        );
    }

    /// A recent (frame, when the device took it), current generation only.
    pub fn stamp(&self) -> Option<(u64, std::time::Instant)> {
        let packed = self.stamp_frame.load(Ordering::Acquire);
        let ns = self.stamp_ns.load(Ordering::Acquire);
        let generation = self.generation.load(Ordering::Acquire);
        (packed & !FRAME_MASK == Self::gen_tag(generation) && ns > 0).then(|| {
            (
                packed & FRAME_MASK,
                epoch() + std::time::Duration::from_nanos(ns),
            )
        })
    }

    /// The generation tag of the current generation (what [`Self::last_taken`] reports).
    pub fn generation_tag(&self) -> u32 {
        self.generation.load(Ordering::Acquire) & 0xffff
    }

    /// The last frame the device took and the tag of its generation (16 bits), whatever the
    /// current generation is.
    pub fn last_taken(&self) -> (u32, u64) {
        let packed = self.played.load(Ordering::Acquire);
        ((packed >> FRAME_BITS) as u32, packed & FRAME_MASK)
    }

    /// The output measured media `frame` of generation `tag` at the listener at `at`;
    /// `advancing` when playback was running then (the frame moves on in real time).
    pub fn store_heard(&self, tag: u32, frame: u64, at: std::time::Instant, advancing: bool) {
        *self.heard.lock().unwrap_or_else(|e| e.into_inner()) = Some(Heard {
            tag: (tag as u64 & 0xffff) << FRAME_BITS,
            frame,
            at,
            advancing,
        });
    }

    /// The output's last measurement of the frame heard (current generation only):
    /// (frame, when, advancing).
    pub fn heard(&self) -> Option<(u64, std::time::Instant, bool)> {
        let h = (*self.heard.lock().unwrap_or_else(|e| e.into_inner()))?;
        let generation = self.generation.load(Ordering::Acquire);
        (h.tag == Self::gen_tag(generation)).then_some((h.frame, h.at, h.advancing))
    }

    /// Marks `seconds` as the current generation's position until the device takes audio.
    pub fn store_base(&self, seconds: f64, sample_rate: u32) {
        let generation = self.generation.load(Ordering::Acquire);
        self.store_played(
            generation,
            (seconds.max(0.0) * sample_rate as f64).round() as u64,
        );
    }

    pub fn has_ended(&self) -> bool {
        self.ended_generation.load(Ordering::Acquire) == self.generation.load(Ordering::Acquire)
    }
}

/// Creates the queue between the player thread and the device callback.
/// `capacity` is in chunks (one MP3 packet is ~26 ms).
pub fn channel(capacity: usize) -> (Sender<Chunk>, Receiver<Chunk>) {
    crossbeam_channel::bounded(capacity)
}

/// Sends a chunk without blocking; hands it back when the queue is full.
pub fn offer(tx: &Sender<Chunk>, chunk: Chunk) -> Result<(), Option<Chunk>> {
    match tx.try_send(chunk) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(c)) => Err(Some(c)),
        Err(TrySendError::Disconnected(_)) => Err(None),
    }
}

/// The rodio source the output device pulls. Emits silence while paused or starved.
pub struct StreamSource {
    shared: Arc<Shared>,
    rx: Receiver<Chunk>,
    channels: NonZero<u16>,
    sample_rate: NonZero<u32>,
    /// The generation the stretcher holds audio of.
    generation: u32,
    stretch: Stretcher,
    /// A chunk of a newer generation, read before the source noticed the seek.
    early: Option<Chunk>,
    /// Volume: the gain now, and per-frame glide factor toward the target.
    gain: f32,
    glide: f32,
    /// The last media frame reported for this generation: the clock never runs backwards
    /// (a slow stretch may take a segment from a little before the previous one).
    last_played: u64,
    since_stamp: u32,
}

impl StreamSource {
    pub fn new(shared: Arc<Shared>, rx: Receiver<Chunk>, channels: u16, sample_rate: u32) -> Self {
        let gain = shared.volume();
        Self {
            shared,
            rx,
            channels: NonZero::new(channels.max(1)).expect("nonzero"),
            sample_rate: NonZero::new(sample_rate.max(1)).expect("nonzero"),
            generation: 0,
            stretch: Stretcher::new(channels, sample_rate),
            early: None,
            gain,
            last_played: 0,
            since_stamp: 0,
            glide: 1.0 - (-1.0 / (VOLUME_RAMP_SECS / 3.0 * sample_rate.max(1) as f32)).exp(),
        }
    }

    /// True while the stream is paused (it then yields silence without advancing).
    pub fn is_silent_paused(&self) -> bool {
        self.shared.paused.load(Ordering::Relaxed)
    }

    /// The state it shares with the player thread.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// How many samples the device wanted while nothing was decoded yet.
    pub fn starved(&self) -> u64 {
        self.shared.starved.load(Ordering::Relaxed)
    }

    /// Feeds the stretcher the next chunk of the current generation. False when none is queued.
    fn feed(&mut self, generation: u32) -> bool {
        loop {
            let c = match self.early.take() {
                Some(c) => c,
                None => match self.rx.try_recv() {
                    Ok(c) => c,
                    Err(_) => return false,
                },
            };
            // Generations only grow: an older one is stale, a newer one waits for its seek.
            if c.generation.wrapping_sub(generation) as i32 > 0 {
                self.early = Some(c);
                return false;
            }
            if c.generation != generation {
                continue;
            }
            if c.eof {
                self.stretch.finish();
            } else {
                self.stretch.push(c.start, &c.samples);
            }
            return true;
        }
    }

    /// The next sample of the current generation at `speed`, or `None` when starved.
    fn next_audio(&mut self, generation: u32, speed: f32) -> Option<f32> {
        loop {
            if let Some(s) = self.stretch.next_sample(speed) {
                return Some(s);
            }
            if self.stretch.is_finished() {
                if self.stretch.is_drained() {
                    self.shared
                        .ended_generation
                        .store(generation, Ordering::Release);
                }
                return None;
            }
            if !self.feed(generation) {
                return None;
            }
        }
    }
}

impl Iterator for StreamSource {
    type Item = f32;

    #[inline]
    fn next(&mut self) -> Option<f32> {
        if self.shared.stopped.load(Ordering::Relaxed) {
            return None;
        }
        if self.shared.paused.load(Ordering::Relaxed) {
            return Some(0.0);
        }
        let generation = self.shared.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.stretch.reset();
            self.generation = generation;
            self.last_played = 0;
        }
        let frame_start = self.stretch.at_frame_start();
        let Some(mut sample) = self.next_audio(generation, self.shared.speed()) else {
            self.shared.starved.fetch_add(1, Ordering::Relaxed);
            return Some(0.0);
        };
        if frame_start {
            let target = self.shared.volume();
            if self.gain != target {
                self.gain += (target - self.gain) * self.glide;
                if (self.gain - target).abs() < 1e-4 {
                    self.gain = target;
                }
            }
        }
        if self.gain != 1.0 {
            sample = (sample * self.gain).clamp(-1.0, 1.0);
        }
        if self.stretch.at_frame_start() {
            if let Some(media) = self.stretch.media_position() {
                let frame = (media.round().max(0.0) as u64).max(self.last_played);
                self.last_played = frame;
                self.shared.store_played(generation, frame);
                self.since_stamp += 1;
                if self.since_stamp >= 64 {
                    self.since_stamp = 0;
                    self.shared.store_stamp(generation, frame);
                }
            }
        }
        Some(sample)
    }
}

impl rodio::Source for StreamSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }
    fn channels(&self) -> rodio::ChannelCount {
        self.channels
    }
    fn sample_rate(&self) -> rodio::SampleRate {
        self.sample_rate
    }
    fn total_duration(&self) -> Option<std::time::Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(generation: u32, start: u64, n: usize) -> Chunk {
        Chunk {
            generation,
            start,
            samples: vec![0.5; n],
            eof: false,
        }
    }

    #[test]
    fn position_is_what_the_device_took_not_what_was_queued() {
        let shared = Shared::new();
        let (tx, rx) = channel(8);
        let mut src = StreamSource::new(shared.clone(), rx, 2, 1000);
        tx.send(chunk(1, 100, 200)).unwrap(); // 100 stereo frames queued
        assert_eq!(shared.played_frame(), Some(0));
        // Paused: silence, nothing consumed.
        assert_eq!(src.next(), Some(0.0));
        assert_eq!(shared.played_frame(), Some(0));
        shared.paused.store(false, Ordering::SeqCst);
        for _ in 0..20 {
            assert_eq!(src.next(), Some(0.5));
        }
        assert_eq!(
            shared.played_frame(),
            Some(110),
            "10 frames taken after frame 100"
        );
    }

    #[test]
    fn a_seek_drops_stale_audio_and_reports_no_stale_position() {
        let shared = Shared::new();
        let (tx, rx) = channel(8);
        let mut src = StreamSource::new(shared.clone(), rx, 1, 1000);
        shared.paused.store(false, Ordering::SeqCst);
        tx.send(chunk(1, 0, 50)).unwrap();
        src.next();
        shared.generation.store(2, Ordering::SeqCst);
        assert_eq!(
            shared.played_frame(),
            None,
            "old generation's frame is not reported"
        );
        tx.send(chunk(1, 50, 50)).unwrap();
        assert_eq!(src.next(), Some(0.0), "stale audio is not played");
        tx.send(chunk(2, 5000, 10)).unwrap();
        assert_eq!(src.next(), Some(0.5));
        assert_eq!(shared.played_frame(), Some(5001));
        tx.send(Chunk {
            generation: 2,
            start: 0,
            samples: vec![],
            eof: true,
        })
        .unwrap();
        for _ in 0..10 {
            src.next();
        }
        assert!(shared.has_ended());
    }
}
