//! Decoding through symphonia: probe, pick the audio track, decode packets to interleaved f32,
//! trim encoder delay/padding (gapless) and seek to an exact frame.

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{
    CodecRegistry, DecoderOptions, CODEC_TYPE_MP3, CODEC_TYPE_NULL, CODEC_TYPE_OPUS,
};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::Time;

use super::AudioError;

/// How far before a seek target decoding restarts (see [`Decoder::seek`]).
const PREROLL_SECS: f64 = 0.1;
/// Opus restarts from a cold decoder; its state converges over a few hundred ms (RFC 7845
/// asks for at least 80 ms).
const OPUS_PREROLL_SECS: f64 = 0.4;

/// symphonia's codecs plus Opus (libopus through `symphonia-adapter-libopus`).
fn codecs() -> &'static CodecRegistry {
    static CODECS: std::sync::OnceLock<CodecRegistry> = std::sync::OnceLock::new();
    CODECS.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_all::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    })
}

/// Runs `f`, turning a panic inside symphonia (damaged data it did not expect) into an error.
fn guard<T>(name: &str, f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(panicked(name)))
}

fn panicked(name: &str) -> AudioError {
    AudioError::Decode {
        name: name.to_string(),
        reason: "the decoder failed on damaged data".into(),
    }
}

/// Decoded audio, interleaved, starting at frame `start` of the track's timeline.
pub struct Pcm {
    pub start: u64,
    pub samples: Vec<f32>,
}

pub struct Decoder {
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    pub sample_rate: u32,
    pub channels: u16,
    /// Total frames when the container says (after gapless trimming).
    pub n_frames: Option<u64>,
    /// Frames before this are dropped from the next decoded packet (exact seek).
    skip_until: u64,
    buf: Option<SampleBuffer<f32>>,
    name: String,
    /// Streamed over HTTP (seeks should avoid reading everything in between).
    remote: bool,
    /// A local MP3 read through its frame index ([`super::mp3index`]): seeks are exact and
    /// fast by themselves, with the pre-roll the bit reservoir needs.
    indexed: bool,
    /// Audio decoded at open to learn the channel count (some containers, e.g. AAC in MP4,
    /// only tell it in the stream); handed out by the first `next_pcm`.
    primed: Option<Pcm>,
    /// Opus: packet timestamps count the pre-skip frames, which the decoder drops; the
    /// timeline here starts after them.
    opus_skip: u64,
    /// Parameters the codec was made from (to make a fresh one when `reset` is not enough).
    params: symphonia::core::codecs::CodecParameters,
}

impl Decoder {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let name = path.display().to_string();
        guard(&name, || Self::open_inner(path))
    }

    fn open_inner(path: &Path) -> Result<Self, AudioError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| AudioError::Open {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        let ext = path.extension().and_then(|e| e.to_str());
        let mut d = Self::from_source(Box::new(file), ext, name)?;
        let params = d
            .reader
            .tracks()
            .iter()
            .find(|t| t.id == d.track_id)
            .map(|t| t.codec_params.clone());
        if let Some(params) = params.filter(|p| p.codec == CODEC_TYPE_MP3) {
            // symphonia's own reader found the stream and its gapless info; the frame index
            // takes over packets and seeks.
            match super::mp3index::Mp3Reader::open(path, &params) {
                Ok(reader) => {
                    d.n_frames = reader.tracks()[0].codec_params.n_frames;
                    d.track_id = 0;
                    d.reader = Box::new(reader);
                    d.indexed = true;
                }
                Err(e) => tracing::warn!("no frame index for {}: {e}", d.name),
            }
        }
        d.prime()
    }

    /// Streams from an http(s) URL (ranged reads; see [`super::http_source`]).
    pub fn open_url(url: &str) -> Result<Self, AudioError> {
        guard(url, || Self::open_url_inner(url))
    }

    fn open_url_inner(url: &str) -> Result<Self, AudioError> {
        let source = super::http_source::HttpSource::open(url, std::time::Duration::from_secs(20))
            .map_err(|e| AudioError::Open {
                name: url.to_string(),
                reason: e.to_string(),
            })?;
        let ext = url::Url::parse(url)
            .ok()
            .and_then(|u| u.path_segments()?.next_back().map(str::to_string))
            .and_then(|last| last.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()));
        let mut d = Self::from_source(Box::new(source), ext.as_deref(), url.to_string())?;
        d.remote = true;
        d.prime()
    }

    fn from_source(
        source: Box<dyn symphonia::core::io::MediaSource>,
        ext: Option<&str>,
        name: String,
    ) -> Result<Self, AudioError> {
        let mss = MediaSourceStream::new(source, Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = ext {
            hint.with_extension(ext);
        }
        let fmt = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &fmt, &MetadataOptions::default())
            .map_err(|e| AudioError::Unsupported {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let reader = probed.format;
        let track = reader
            .tracks()
            .iter()
            .find(|t| {
                t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some()
            })
            .ok_or_else(|| AudioError::Unsupported {
                name: name.clone(),
                reason: "it has no audio track".into(),
            })?;
        let params = track.codec_params.clone();
        let decoder = codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| AudioError::Unsupported {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let sample_rate = params.sample_rate.unwrap_or(44_100);
        let channels = params.channels.map(|c| c.count() as u16).unwrap_or(0);
        let opus_skip = if params.codec == CODEC_TYPE_OPUS {
            params.delay.unwrap_or(0) as u64
        } else {
            0
        };
        Ok(Self {
            track_id: track.id,
            reader,
            decoder,
            sample_rate,
            channels,
            n_frames: params.n_frames.map(|n| n.saturating_sub(opus_skip)),
            skip_until: 0,
            buf: None,
            name,
            remote: false,
            indexed: false,
            primed: None,
            opus_skip,
            params,
        })
    }

    /// Decodes the first audio at open: a file that yields none is damaged (or something
    /// symphonia merely found a codec header in), and some containers (AAC in MP4) only tell
    /// the channel count in the stream, which the output must know before it starts.
    fn prime(mut self) -> Result<Self, AudioError> {
        self.primed = self.next_pcm()?;
        if self.primed.is_none() || self.channels == 0 {
            return Err(AudioError::Unsupported {
                name: self.name.clone(),
                reason: "no audio in it could be decoded".into(),
            });
        }
        Ok(self)
    }

    pub fn duration(&self) -> Option<f64> {
        self.n_frames.map(|n| n as f64 / self.sample_rate as f64)
    }

    /// Seeks so that the next `Pcm` starts exactly at `seconds` (clamped to the start).
    /// Returns the frame the next audio starts at.
    pub fn seek(&mut self, seconds: f64) -> Result<u64, AudioError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.seek_inner(seconds)))
            .unwrap_or_else(|_| Err(panicked(&self.name)))
    }

    fn seek_inner(&mut self, seconds: f64) -> Result<u64, AudioError> {
        let seconds = seconds.max(0.0);
        let target = (seconds * self.sample_rate as f64).round() as u64;
        // Start decoding a little early and discard up to the target: a decoder reset mid-stream
        // (MP3's bit reservoir, AAC's overlap) garbles its first frames.
        let from = if self.indexed {
            seconds
        } else {
            let preroll = if self.opus_skip > 0 {
                OPUS_PREROLL_SECS
            } else {
                PREROLL_SECS
            };
            (seconds - preroll).max(0.0) + self.opus_skip as f64 / self.sample_rate as f64
        };
        let time = Time::new(from.trunc() as u64, from.fract());
        let track_id = Some(self.track_id);
        let to = || SeekTo::Time { time, track_id };
        // Streaming: an accurate MP3 seek reads every byte up to the target. A coarse seek jumps
        // (one ranged request) and the frame trim below makes the landing exact, unless the
        // coarse guess overshot, in which case the accurate seek is the fallback.
        let coarse_ok = self.remote
            && matches!(self.reader.seek(SeekMode::Coarse, to()), Ok(s) if s.actual_ts <= target);
        let result = if coarse_ok {
            Ok(())
        } else {
            self.reader.seek(SeekMode::Accurate, to()).map(|_| ())
        };
        match result {
            Ok(()) => {}
            // Seeking past the end: nothing more to play.
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(SymError::SeekError(_)) if target > 0 => {}
            Err(e) => {
                return Err(AudioError::Decode {
                    name: self.name.clone(),
                    reason: e.to_string(),
                })
            }
        }
        // A fresh decoder rather than `reset`: the libopus adapter's reset keeps the old state,
        // and AAC's leaves a trace in the first frame after it.
        match codecs().make(&self.params, &DecoderOptions::default()) {
            Ok(fresh) => self.decoder = fresh,
            Err(_) => self.decoder.reset(),
        }
        self.primed = None;
        self.skip_until = target;
        Ok(target)
    }

    /// Decodes the next piece of audio. `Ok(None)` at the end of the stream. Packets that fail
    /// to decode are skipped, as a damaged stretch of a file should not stop playback.
    pub fn next_pcm(&mut self) -> Result<Option<Pcm>, AudioError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.next_pcm_inner()))
            .unwrap_or_else(|_| Err(panicked(&self.name)))
    }

    fn next_pcm_inner(&mut self) -> Result<Option<Pcm>, AudioError> {
        if let Some(pcm) = self.primed.take() {
            return Ok(Some(pcm));
        }
        loop {
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None)
                }
                Err(SymError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(e) => {
                    return Err(AudioError::Decode {
                        name: self.name.clone(),
                        reason: e.to_string(),
                    })
                }
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(e)) => {
                    tracing::debug!("skipping a damaged packet in {}: {e}", self.name);
                    continue;
                }
                Err(SymError::IoError(_)) => continue,
                Err(e) => {
                    return Err(AudioError::Decode {
                        name: self.name.clone(),
                        reason: e.to_string(),
                    })
                }
            };
            let spec = *decoded.spec();
            let frames = decoded.frames();
            if self.channels == 0 {
                self.channels = spec.channels.count() as u16;
            }
            let ch = spec.channels.count();
            let buf = match &mut self.buf {
                Some(b) if b.capacity() >= frames * ch => b,
                _ => self
                    .buf
                    .insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
            };
            buf.copy_interleaved_ref(decoded);
            let all = buf.samples();
            // Gapless: drop the encoder delay and padding the container reported. Some
            // decoders (MP3, Vorbis) trim by themselves; the frame count tells which happened.
            let (trim_start, trim_end) = (packet.trim_start as usize, packet.trim_end as usize);
            let untrimmed = trim_start + trim_end > 0
                && frames as u64 == packet.dur + (trim_start + trim_end) as u64;
            let (keep_from, keep_to) = if untrimmed {
                (
                    trim_start.min(frames),
                    frames.saturating_sub(trim_end).max(trim_start.min(frames)),
                )
            } else {
                (0, frames)
            };
            // Opus: the packet's audio ends where the packet does, pre-skip not counted.
            let mut start = if self.opus_skip > 0 {
                (packet.ts() + packet.dur())
                    .saturating_sub(self.opus_skip + (keep_to - keep_from) as u64)
            } else {
                packet.ts()
            };
            let mut first = keep_from;
            // Exact seek: drop frames before the target inside this packet.
            if self.skip_until > start {
                let skip = (self.skip_until - start) as usize;
                if first + skip >= keep_to {
                    continue;
                }
                first += skip;
                start = self.skip_until;
            }
            self.skip_until = 0;
            if first >= keep_to {
                continue;
            }
            let samples = all[first * ch..keep_to * ch].to_vec();
            return Ok(Some(Pcm { start, samples }));
        }
    }
}
