//! The player thread's loop: commands in, decode ahead, events out.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::decode::Decoder;
use super::output::AudioOutput;
use super::stream::{self, Chunk, Shared, StreamSource};
use super::{AudioError, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus};

/// Chunks decoded ahead of the device (an MP3 packet is ~26 ms, so ~0.4 s).
const QUEUE_CHUNKS: usize = 16;
const TICK: Duration = Duration::from_millis(100);

/// Starts the player thread with `output` as its device; events go to `events`.
pub fn spawn(output: Box<dyn AudioOutput>, events: Sender<PlayerEvent>) -> PlayerHandle {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("earshot-player".into())
        .spawn(move || {
            Engine {
                output,
                events,
                track: None,
            }
            .run(rx)
        })
        .expect("spawn player thread");
    PlayerHandle { tx }
}

struct Track {
    decoder: Decoder,
    shared: Arc<Shared>,
    tx: Sender<Chunk>,
    /// Our copy of the queue's receiver: lets a seek discard stale audio here, not in the
    /// device callback. The source's own receiver is in `source` until the device starts.
    rx: Receiver<Chunk>,
    source: Option<StreamSource>,
    pending: Option<Chunk>,
    eof_sent: bool,
    latency: f64,
    duration: Option<f64>,
    /// Where the current generation starts (load or seek target).
    base: f64,
    token: u64,
    ended_reported: bool,
    /// The frame when playback last started or jumped; audio is "flowing" once the device has
    /// taken frames past it (output start-up takes a while on some systems).
    resumed_at: Option<(u64, Instant)>,
    flowing: bool,
}

impl Track {
    fn rate(&self) -> f64 {
        self.decoder.sample_rate as f64
    }
    fn playing(&self) -> bool {
        !self.shared.paused.load(Ordering::Acquire)
    }
    /// Called every tick: notices the moment the device starts taking audio after a play/seek.
    fn update_flowing(&mut self) {
        if self.flowing || !self.playing() {
            return;
        }
        if let (Some((from, since)), Some(now)) = (self.resumed_at, self.shared.played_frame()) {
            if now > from {
                self.flowing = true;
                tracing::info!("audio flowing {:?} after play/seek", since.elapsed());
            }
        }
    }

    /// Marks a play or a jump: the position holds still until the device takes new audio.
    fn mark_resumed(&mut self) {
        let frame = self
            .shared
            .played_frame()
            .unwrap_or((self.base * self.rate()).round() as u64);
        self.resumed_at = Some((frame, Instant::now()));
        self.flowing = false;
    }

    fn position(&self) -> f64 {
        let heard = match self.shared.played_frame() {
            Some(frame) => {
                let taken = frame as f64 / self.rate();
                if self.playing() {
                    taken - self.latency
                } else {
                    taken
                }
            }
            None => self.base,
        };
        let p = heard.max(self.base);
        self.duration.map_or(p, |d| p.min(d))
    }
}

struct Engine {
    output: Box<dyn AudioOutput>,
    events: Sender<PlayerEvent>,
    track: Option<Track>,
}

impl Engine {
    fn emit(&self, e: PlayerEvent) {
        let _ = self.events.send(e);
    }

    fn run(mut self, rx: Receiver<PlayerCommand>) {
        let mut last_tick = Instant::now();
        loop {
            let wants_decode = self
                .track
                .as_ref()
                .is_some_and(|t| !t.eof_sent && t.pending.is_none());
            let wait = if wants_decode {
                Duration::ZERO
            } else {
                Duration::from_millis(10)
            };
            match rx.recv_timeout(wait) {
                Ok(PlayerCommand::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(cmd) => {
                    // A bug in one command must not take the player down with it.
                    let handled =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(cmd)));
                    if handled.is_err() {
                        tracing::error!("the player hit an internal error; the track was unloaded");
                        if let Some(t) = self.track.take() {
                            t.shared.stopped.store(true, Ordering::Release);
                        }
                        self.emit(PlayerEvent::Error {
                            error: AudioError::Decode {
                                name: "the track".into(),
                                reason: "internal error".into(),
                            },
                            token: None,
                        });
                        self.emit(PlayerEvent::Status {
                            status: PlayerStatus::Idle,
                            position: 0.0,
                        });
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.decode_ahead();
            self.check_end();
            let mut tick = None;
            if let Some(t) = self.track.as_mut() {
                let was = t.flowing;
                t.update_flowing();
                // Tell the UI at once when audio starts to flow, then every tick.
                if last_tick.elapsed() >= TICK || (t.flowing && !was) {
                    last_tick = Instant::now();
                    if t.playing() {
                        tick = Some(PlayerEvent::Position {
                            position: t.position(),
                            playing: t.flowing,
                            at: Instant::now(),
                        });
                    }
                }
            }
            if let Some(e) = tick {
                self.emit(e);
            }
        }
        if let Some(t) = self.track.take() {
            t.shared.stopped.store(true, Ordering::Release);
        }
    }

    fn handle(&mut self, cmd: PlayerCommand) {
        match cmd {
            PlayerCommand::Load {
                media,
                start,
                autoplay,
                token,
            } => self.load(&media, start, autoplay, token),
            PlayerCommand::Play => self.play(),
            PlayerCommand::Pause => self.pause(),
            PlayerCommand::Seek(s) => self.seek(s),
            PlayerCommand::Stop => {
                if let Some(t) = self.track.take() {
                    t.shared.stopped.store(true, Ordering::Release);
                }
                self.emit(PlayerEvent::Status {
                    status: PlayerStatus::Idle,
                    position: 0.0,
                });
            }
            PlayerCommand::Shutdown => {}
        }
    }

    fn load(&mut self, media: &Media, start: f64, autoplay: bool, token: u64) {
        if let Some(old) = self.track.take() {
            old.shared.stopped.store(true, Ordering::Release);
        }
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Loading,
            position: start,
        });
        let began = Instant::now();
        let opened = match media {
            Media::File(path) => Decoder::open(path),
            Media::Url(url) => Decoder::open_url(url),
        };
        let opened = opened.and_then(|mut d| {
            let duration = d.duration();
            let start = duration.map_or(start, |dur| start.min(dur)).max(0.0);
            if start > 0.0 {
                d.seek(start)?;
            }
            Ok((d, start, duration))
        });
        let (decoder, start, duration) = match opened {
            Ok(v) => v,
            Err(error) => {
                self.emit(PlayerEvent::Error {
                    error,
                    token: Some(token),
                });
                self.emit(PlayerEvent::Status {
                    status: PlayerStatus::Idle,
                    position: 0.0,
                });
                return;
            }
        };
        let shared = Shared::new();
        shared.store_base(start, decoder.sample_rate);
        let (tx, rx) = stream::channel(QUEUE_CHUNKS);
        let source = StreamSource::new(
            shared.clone(),
            rx.clone(),
            decoder.channels,
            decoder.sample_rate,
        );
        self.track = Some(Track {
            decoder,
            shared,
            tx,
            rx,
            source: Some(source),
            pending: None,
            eof_sent: false,
            latency: 0.0,
            duration,
            base: start,
            token,
            ended_reported: false,
            resumed_at: None,
            flowing: false,
        });
        tracing::info!("track opened in {:?}", began.elapsed());
        self.emit(PlayerEvent::Loaded {
            token,
            duration,
            position: start,
        });
        if autoplay {
            self.play();
        } else {
            self.emit(PlayerEvent::Status {
                status: PlayerStatus::Paused,
                position: start,
            });
        }
    }

    fn play(&mut self) {
        let Some(t) = self.track.as_mut() else { return };
        if t.ended_reported || t.shared.has_ended() {
            self.seek(0.0);
        }
        let t = self.track.as_mut().expect("still loaded");
        if let Some(source) = t.source.take() {
            match self.output.start(source) {
                Ok(info) => t.latency = info.latency,
                Err(error) => {
                    // Keep a fresh source so a later Play can retry once a device appears.
                    t.source = Some(StreamSource::new(
                        t.shared.clone(),
                        t.rx.clone(),
                        t.decoder.channels,
                        t.decoder.sample_rate,
                    ));
                    let (token, position) = (t.token, t.position());
                    self.emit(PlayerEvent::Error {
                        error,
                        token: Some(token),
                    });
                    self.emit(PlayerEvent::Status {
                        status: PlayerStatus::Paused,
                        position,
                    });
                    return;
                }
            }
        }
        t.shared.paused.store(false, Ordering::Release);
        let position = t.position();
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Playing,
            position,
        });
        self.emit(PlayerEvent::Position {
            position,
            playing: true,
            at: Instant::now(),
        });
    }

    fn pause(&mut self) {
        let Some(t) = self.track.as_mut() else { return };
        t.shared.paused.store(true, Ordering::Release);
        let position = t.position();
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Paused,
            position,
        });
    }

    fn seek(&mut self, seconds: f64) {
        let Some(t) = self.track.as_mut() else { return };
        let target = t.duration.map_or(seconds, |d| seconds.min(d)).max(0.0);
        t.shared.generation.fetch_add(1, Ordering::AcqRel);
        t.pending = None;
        while t.rx.try_recv().is_ok() {}
        let result = t.decoder.seek(target);
        t.base = target;
        t.eof_sent = false;
        t.ended_reported = false;
        t.shared.store_base(target, t.decoder.sample_rate);
        t.mark_resumed();
        let token = t.token;
        match result {
            Ok(_) => self.emit(PlayerEvent::Seeked { position: target }),
            Err(error) => self.emit(PlayerEvent::Error {
                error,
                token: Some(token),
            }),
        }
    }

    fn decode_ahead(&mut self) {
        let Some(t) = self.track.as_mut() else { return };
        // A few chunks per turn, so commands are never kept waiting for long.
        for _ in 0..4 {
            if t.eof_sent {
                return;
            }
            let chunk = match t.pending.take() {
                Some(c) => c,
                None => {
                    let generation = t.shared.generation.load(Ordering::Acquire);
                    match t.decoder.next_pcm() {
                        Ok(Some(pcm)) => Chunk {
                            generation,
                            start: pcm.start,
                            samples: pcm.samples,
                            eof: false,
                        },
                        Ok(None) => Chunk {
                            generation,
                            start: 0,
                            samples: Vec::new(),
                            eof: true,
                        },
                        Err(error) => {
                            tracing::warn!("{error}");
                            let token = t.token;
                            // A fatal read error ends this track where it is.
                            let generation = t.shared.generation.load(Ordering::Acquire);
                            t.pending = Some(Chunk {
                                generation,
                                start: 0,
                                samples: Vec::new(),
                                eof: true,
                            });
                            self.emit(PlayerEvent::Error {
                                error,
                                token: Some(token),
                            });
                            return;
                        }
                    }
                }
            };
            let eof = chunk.eof;
            match stream::offer(&t.tx, chunk) {
                Ok(()) => t.eof_sent = eof,
                Err(back) => {
                    t.pending = back;
                    return;
                }
            }
        }
    }

    fn check_end(&mut self) {
        let Some(t) = self.track.as_mut() else { return };
        if !t.ended_reported && t.shared.has_ended() {
            t.ended_reported = true;
            t.shared.paused.store(true, Ordering::Release);
            let position = t.duration.unwrap_or_else(|| t.position());
            self.emit(PlayerEvent::Status {
                status: PlayerStatus::Ended,
                position,
            });
        }
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<AudioError>();
}
