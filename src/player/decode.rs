//! Decoding through symphonia: probe, pick the audio track, decode packets to interleaved f32,
//! trim encoder delay/padding (gapless) and seek to an exact frame.

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::Time;

use super::AudioError;

/// How far before a seek target decoding restarts (see [`Decoder::seek`]).
const PREROLL_SECS: f64 = 0.1;

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
}

impl Decoder {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| AudioError::Open {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        let ext = path.extension().and_then(|e| e.to_str());
        Self::from_source(Box::new(file), ext, name)
    }

    /// Streams from an http(s) URL (ranged reads; see [`super::http_source`]).
    pub fn open_url(url: &str) -> Result<Self, AudioError> {
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
        Ok(d)
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
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| AudioError::Unsupported {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let sample_rate = params.sample_rate.unwrap_or(44_100);
        let channels = params.channels.map(|c| c.count() as u16).unwrap_or(0);
        Ok(Self {
            track_id: track.id,
            reader,
            decoder,
            sample_rate,
            channels,
            n_frames: params.n_frames,
            skip_until: 0,
            buf: None,
            name,
            remote: false,
        })
    }

    pub fn duration(&self) -> Option<f64> {
        self.n_frames.map(|n| n as f64 / self.sample_rate as f64)
    }

    /// Seeks so that the next `Pcm` starts exactly at `seconds` (clamped to the start).
    /// Returns the frame the next audio starts at.
    pub fn seek(&mut self, seconds: f64) -> Result<u64, AudioError> {
        let seconds = seconds.max(0.0);
        let target = (seconds * self.sample_rate as f64).round() as u64;
        // Start decoding a little early and discard up to the target: a decoder reset mid-stream
        // (MP3's bit reservoir, AAC's overlap) garbles its first frames.
        let from = (seconds - PREROLL_SECS).max(0.0);
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
        self.decoder.reset();
        self.skip_until = target;
        Ok(target)
    }

    /// Decodes the next piece of audio. `Ok(None)` at the end of the stream. Packets that fail
    /// to decode are skipped, as a damaged stretch of a file should not stop playback.
    pub fn next_pcm(&mut self) -> Result<Option<Pcm>, AudioError> {
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
            let mut start = packet.ts();
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
