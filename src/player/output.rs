//! Where decoded audio goes: the real device through rodio, or a test device.

use super::stream::StreamSource;
use super::AudioError;

/// What the output reports once a stream runs on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputInfo {
    /// Seconds between a frame leaving our source and the listener hearing it (device buffer).
    pub latency: f64,
}

/// The output lost its device mid-stream (see [`AudioOutput::lost`]).
#[derive(Debug, Clone)]
pub struct Lost {
    /// What to tell the listener.
    pub error: AudioError,
    /// The media frame (current generation) the listener heard last, when the output knows.
    pub frame: Option<u64>,
}

pub trait AudioOutput: Send + 'static {
    /// Starts the device pulling `source` (opening the device on first use).
    fn start(&mut self, source: StreamSource) -> Result<OutputInfo, AudioError>;

    /// Playback (re)starts: the player has unpaused the source and queued its first audio.
    fn play(&mut self) {}

    /// The player has paused the source. An output that drops the audio it holds (so the
    /// pause is heard at once) returns the media frame (current generation) where the
    /// listener stopped hearing; the player resumes from there.
    fn pause(&mut self) -> Option<u64> {
        None
    }

    /// The source jumped (seek): drop audio queued at the device so the new audio is heard
    /// at once. Called once the new audio is queued.
    fn flush(&mut self) {}

    /// The track is stopped or replaced: drop what the device holds of it.
    fn stop(&mut self) {}

    /// Polled by the player every turn: `Some` once when the device went away since the last
    /// call (the sound server died or restarted). The output has let go of it and holds no
    /// source any more; the next [`AudioOutput::start`] opens a device again.
    fn lost(&mut self) -> Option<Lost> {
        None
    }
}

/// The system's output. On Linux with a reachable PulseAudio (or pipewire-pulse) server,
/// audio goes to it directly ([`super::pulse::PulseOutput`]: a sane buffer, the server's
/// timing for the clock, flush on seek, cork on pause). Otherwise, or with
/// `EARSHOT_OUTPUT=rodio`, through rodio's mixer on cpal's default device. The choice is
/// made when the first track starts and kept.
#[derive(Default)]
pub struct RodioOutput {
    backend: Backend,
    /// Never try PulseAudio directly.
    rodio_only: bool,
}

#[derive(Default)]
enum Backend {
    #[default]
    Undecided,
    #[cfg(target_os = "linux")]
    Pulse(super::pulse::PulseOutput),
    Rodio(RodioMixer),
}

impl RodioOutput {
    /// Always rodio's mixer (cpal's default host), never PulseAudio directly.
    pub fn rodio_only() -> Self {
        Self {
            backend: Backend::Undecided,
            rodio_only: true,
        }
    }

    /// Which backend plays: "pulseaudio", "rodio", or "none yet".
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Undecided => "none yet",
            #[cfg(target_os = "linux")]
            Backend::Pulse(_) => "pulseaudio",
            Backend::Rodio(_) => "rodio",
        }
    }

    fn decide(&mut self) {
        if !matches!(self.backend, Backend::Undecided) {
            return;
        }
        let forced_rodio =
            self.rodio_only || std::env::var("EARSHOT_OUTPUT").is_ok_and(|v| v == "rodio");
        #[cfg(target_os = "linux")]
        if !forced_rodio {
            match super::pulse::PulseOutput::connect() {
                Ok(p) => {
                    tracing::info!("audio output: PulseAudio, directly");
                    self.backend = Backend::Pulse(p);
                    return;
                }
                Err(e) => tracing::info!("audio output: rodio ({e})"),
            }
        }
        let _ = forced_rodio;
        self.backend = Backend::Rodio(RodioMixer::default());
    }
}

impl AudioOutput for RodioOutput {
    fn start(&mut self, source: StreamSource) -> Result<OutputInfo, AudioError> {
        // rodio never opened a device (the fallback failed too): look for PulseAudio again.
        if matches!(&self.backend, Backend::Rodio(r) if r.sink.is_none()) {
            self.backend = Backend::Undecided;
        }
        self.decide();
        match &mut self.backend {
            #[cfg(target_os = "linux")]
            Backend::Pulse(p) => match p.try_start(source) {
                Ok(info) => Ok(info),
                Err(failed) => {
                    let (e, source) = *failed;
                    // The server went away (and did not come back) or refused the stream:
                    // rodio from now on.
                    tracing::warn!("PulseAudio output failed ({e}); falling back to rodio");
                    let mut rodio = RodioMixer::default();
                    let started = rodio.start(source);
                    self.backend = Backend::Rodio(rodio);
                    started
                }
            },
            Backend::Rodio(r) => r.start(source),
            Backend::Undecided => unreachable!("decided above"),
        }
    }
    fn play(&mut self) {
        #[cfg(target_os = "linux")]
        if let Backend::Pulse(p) = &mut self.backend {
            p.play();
        }
    }
    fn pause(&mut self) -> Option<u64> {
        #[cfg(target_os = "linux")]
        if let Backend::Pulse(p) = &mut self.backend {
            return p.pause();
        }
        None
    }
    fn flush(&mut self) {
        #[cfg(target_os = "linux")]
        if let Backend::Pulse(p) = &mut self.backend {
            p.flush();
        }
    }
    fn stop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Backend::Pulse(p) = &mut self.backend {
            p.stop();
        }
    }
    fn lost(&mut self) -> Option<Lost> {
        #[cfg(target_os = "linux")]
        if let Backend::Pulse(p) = &mut self.backend {
            return p.lost();
        }
        None
    }
}

/// The default output device through rodio's mixer. Opened on first use and kept.
#[derive(Default)]
pub struct RodioMixer {
    sink: Option<rodio::MixerDeviceSink>,
}

impl AudioOutput for RodioMixer {
    fn start(&mut self, source: StreamSource) -> Result<OutputInfo, AudioError> {
        if self.sink.is_none() {
            let started = std::time::Instant::now();
            let mut sink = rodio::DeviceSinkBuilder::open_default_sink()
                .map_err(|e| AudioError::NoDevice(e.to_string()))?;
            sink.log_on_drop(false);
            tracing::info!(
                "audio output opened in {:?}: {:?}",
                started.elapsed(),
                sink.config()
            );
            self.sink = Some(sink);
        }
        let sink = self.sink.as_ref().expect("opened above");
        let config = sink.config();
        // cpal's PulseAudio host asks for tlength = 2 × the fixed buffer with ADJUST_LATENCY:
        // that whole target is the output latency (PulseAudio then runs its sink at minimum
        // latency). Other hosts: one buffer.
        let buffers = if cpal::default_host().id() == cpal::HostId::PulseAudio {
            2.0
        } else {
            1.0
        };
        let latency = match config.buffer_size() {
            cpal::BufferSize::Fixed(frames) => {
                buffers * *frames as f64 / config.sample_rate().get() as f64
            }
            cpal::BufferSize::Default => 0.0,
        };
        sink.mixer().add(source);
        Ok(OutputInfo { latency })
    }
}

/// A device that takes samples only when a test tells it to: playback becomes deterministic.
pub mod manual {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    pub struct ManualOutput {
        source: Arc<Mutex<Option<StreamSource>>>,
        pub fail_with: Option<String>,
        lost: Arc<Mutex<Option<String>>>,
    }

    impl ManualOutput {
        /// A test device whose opening always fails, like a machine with no sound card.
        pub fn failing(reason: &str) -> Self {
            Self {
                fail_with: Some(reason.to_string()),
                ..Default::default()
            }
        }

        /// Takes `samples` samples of real audio, as a device callback would, waiting out
        /// moments where the decoder has not caught up. Returns them; fewer if playback is
        /// paused, stopped or ended for `timeout`.
        pub fn take_audio(&self, samples: usize, timeout: std::time::Duration) -> Vec<f32> {
            let deadline = std::time::Instant::now() + timeout;
            let mut out = Vec::with_capacity(samples);
            while out.len() < samples && std::time::Instant::now() < deadline {
                let mut guard = self.source.lock().expect("test output lock");
                let Some(src) = guard.as_mut() else {
                    drop(guard);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    continue;
                };
                let before = src.starved();
                match src.next() {
                    None => break,
                    Some(s) if src.starved() == before && !src.is_silent_paused() => out.push(s),
                    Some(_) => {
                        drop(guard);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                }
            }
            out
        }
        /// Samples per second of the stream running on it (rate × channels), once started.
        pub fn samples_per_second(&self) -> Option<u64> {
            use rodio::Source;
            let guard = self.source.lock().expect("test output lock");
            let src = guard.as_ref()?;
            Some(src.sample_rate().get() as u64 * src.channels().get() as u64)
        }

        /// The device goes away (like a sound server killed): the player hears of it at its
        /// next turn, as [`AudioError::ConnectionLost`] with `reason`.
        pub fn lose(&self, reason: &str) {
            *self.source.lock().expect("test output lock") = None;
            *self.lost.lock().expect("test output lock") = Some(reason.to_string());
        }

        pub fn is_started(&self) -> bool {
            self.source.lock().expect("test output lock").is_some()
        }
    }

    impl AudioOutput for ManualOutput {
        fn start(&mut self, source: StreamSource) -> Result<OutputInfo, AudioError> {
            if let Some(reason) = &self.fail_with {
                return Err(AudioError::NoDevice(reason.clone()));
            }
            *self.source.lock().expect("test output lock") = Some(source);
            Ok(OutputInfo::default())
        }

        fn lost(&mut self) -> Option<Lost> {
            let reason = self.lost.lock().expect("test output lock").take()?;
            Some(Lost {
                error: AudioError::ConnectionLost(reason),
                frame: None,
            })
        }
    }
}
