//! The player thread's loop: commands in, decode ahead, events out.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::decode::{Decoder, Pcm};
use super::dsp::{Leveller, SilenceSkipper};
use super::output::AudioOutput;
use super::stream::{self, Chunk, Shared, StreamSource};
use super::{AudioError, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus};

/// Chunks decoded ahead of the device (an MP3 packet is ~26 ms, so ~0.6 s of media: 0.2 s
/// at 3×).
const QUEUE_CHUNKS: usize = 24;
const TICK: Duration = Duration::from_millis(100);
/// How far the clock runs on from the output's last measurement of the heard frame.
const MAX_HEARD_AGE: f64 = 0.25;

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
                settings: Settings::default(),
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
    /// Processed audio waiting for room in the queue.
    pending: VecDeque<Chunk>,
    /// Media-time processing before the queue.
    leveller: Leveller,
    skipper: SilenceSkipper,
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

    /// Moves the track to `target` seconds: a new generation from there (stale audio dropped).
    fn jump(&mut self, target: f64) -> Result<(), AudioError> {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        self.pending.clear();
        self.leveller.reset();
        self.skipper.reset();
        while self.rx.try_recv().is_ok() {}
        let result = self.decoder.seek(target);
        self.base = target;
        self.eof_sent = false;
        self.ended_reported = false;
        self.shared.store_base(target, self.decoder.sample_rate);
        self.mark_resumed();
        result.map(|_| ())
    }

    /// Decoded audio through levelling and skip silence (both pass through when off).
    fn process(&mut self, pcm: Pcm, out: &mut Vec<Pcm>) {
        let mut levelled = Vec::new();
        self.leveller.process(pcm, &mut levelled);
        for p in levelled {
            self.skipper.process(p, out);
        }
    }

    /// Lets out what the processing holds back (end of the track).
    fn flush_processing(&mut self, out: &mut Vec<Pcm>) {
        let mut levelled = Vec::new();
        self.leveller.flush(&mut levelled);
        for p in levelled {
            self.skipper.process(p, out);
        }
        self.skipper.flush(out);
    }

    fn position_event(&self, playing: bool) -> PlayerEvent {
        PlayerEvent::Position {
            position: self.position(),
            playing,
            at: Instant::now(),
            speed: self.shared.speed(),
            silence_skipped: self.skipper.skipped_frames() as f64 / self.rate(),
        }
    }

    fn position(&self) -> f64 {
        let heard = match self.shared.played_frame() {
            Some(frame) => {
                let taken = frame as f64 / self.rate();
                let speed = self.shared.speed() as f64;
                if let Some((f, at, advancing)) = self.shared.heard() {
                    // The output measured what the listener hears (its own clock): run on
                    // from that at the speed in force while playing, never past what the
                    // device has taken.
                    let el = if advancing && self.playing() {
                        at.elapsed().as_secs_f64().min(MAX_HEARD_AGE)
                    } else {
                        0.0
                    };
                    (f as f64 / self.rate() + el * speed).min(taken)
                } else if self.playing() {
                    // The device's buffer holds `latency` seconds of output, which is
                    // `latency * speed` seconds of media.
                    match self.shared.stamp().filter(|_| self.latency > 0.0) {
                        // Between callbacks the device drains its buffer: run on from the
                        // last frame taken at the speed in force.
                        Some((f, at)) => {
                            let el = at.elapsed().as_secs_f64().min(self.latency);
                            (f as f64 / self.rate() - (self.latency - el) * speed).min(taken)
                        }
                        None => taken - self.latency * speed,
                    }
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

/// Player settings: they outlive tracks.
#[derive(Debug, Clone, Copy)]
struct Settings {
    speed: f32,
    volume: f32,
    skip_silence: bool,
    levelling: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            speed: 1.0,
            volume: 1.0,
            skip_silence: false,
            levelling: false,
        }
    }
}

struct Engine {
    output: Box<dyn AudioOutput>,
    events: Sender<PlayerEvent>,
    track: Option<Track>,
    settings: Settings,
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
                .is_some_and(|t| !t.eof_sent && t.pending.is_empty());
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
            self.check_lost();
            let mut tick = None;
            if let Some(t) = self.track.as_mut() {
                let was = t.flowing;
                t.update_flowing();
                // Tell the UI at once when audio starts to flow, then every tick.
                if last_tick.elapsed() >= TICK || (t.flowing && !was) {
                    last_tick = Instant::now();
                    if t.playing() {
                        tick = Some(t.position_event(t.flowing));
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
                    self.output.stop();
                }
                self.emit(PlayerEvent::Status {
                    status: PlayerStatus::Idle,
                    position: 0.0,
                });
            }
            PlayerCommand::Shutdown => {}
            PlayerCommand::SetSpeed(speed) => {
                self.settings.speed = super::dsp::clamp_speed(speed);
                if let Some(t) = &self.track {
                    t.shared.set_speed(self.settings.speed);
                    // The UI re-bases its interpolation on the new speed at once.
                    if t.playing() {
                        let e = t.position_event(t.flowing);
                        self.emit(e);
                    }
                }
            }
            PlayerCommand::SetVolume(volume) => {
                self.settings.volume = if volume.is_nan() { 1.0 } else { volume };
                if let Some(t) = &self.track {
                    t.shared.set_volume(self.settings.volume);
                }
            }
            PlayerCommand::SetSkipSilence(on) => {
                self.settings.skip_silence = on;
                if let Some(t) = self.track.as_mut() {
                    t.skipper.set_enabled(on);
                }
            }
            PlayerCommand::SetLevelling(on) => {
                self.settings.levelling = on;
                if let Some(t) = self.track.as_mut() {
                    t.leveller.set_enabled(on);
                }
            }
        }
    }

    fn load(&mut self, media: &Media, start: f64, autoplay: bool, token: u64) {
        if let Some(old) = self.track.take() {
            old.shared.stopped.store(true, Ordering::Release);
            // An episode that ended plays out its last buffered audio; any other is cut.
            if !(old.ended_reported || old.shared.has_ended()) {
                self.output.stop();
            }
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
        shared.set_speed(self.settings.speed);
        shared.set_volume(self.settings.volume);
        let mut leveller = Leveller::new(decoder.channels, decoder.sample_rate);
        leveller.set_enabled(self.settings.levelling);
        let mut skipper = SilenceSkipper::new(decoder.channels, decoder.sample_rate);
        skipper.set_enabled(self.settings.skip_silence);
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
            pending: VecDeque::new(),
            leveller,
            skipper,
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
        // A device lost since the last turn is let go of first: this Play opens a new one.
        self.check_lost();
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
        // Position events say `playing` once the device takes audio again.
        t.mark_resumed();
        // The first audio is queued before the device is told to go.
        self.decode_ahead();
        self.output.play();
        let t = self.track.as_mut().expect("still loaded");
        let position = t.position();
        let tick = t.position_event(true);
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Playing,
            position,
        });
        self.emit(tick);
    }

    fn pause(&mut self) {
        let Some(t) = self.track.as_mut() else { return };
        let was_playing = t.playing();
        t.shared.paused.store(true, Ordering::Release);
        if was_playing {
            // An output that dropped its buffered audio says where the listener stopped
            // hearing: play resumes from there.
            if let Some(frame) = self.output.pause() {
                let t = self.track.as_mut().expect("still loaded");
                let at = frame as f64 / t.rate();
                if let Err(e) = t.jump(at) {
                    tracing::warn!("resume point after pause: {e}");
                }
            }
        }
        let t = self.track.as_mut().expect("still loaded");
        let position = t.position();
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Paused,
            position,
        });
    }

    fn seek(&mut self, seconds: f64) {
        let Some(t) = self.track.as_mut() else { return };
        let target = t.duration.map_or(seconds, |d| seconds.min(d)).max(0.0);
        let result = t.jump(target);
        let (token, playing) = (t.token, t.playing());
        if playing {
            // The new audio is queued, then the device drops the old: heard at once.
            self.decode_ahead();
            self.output.flush();
        }
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
        // A few packets per turn, so commands are never kept waiting for long.
        for _ in 0..4 {
            if t.eof_sent {
                return;
            }
            if t.pending.is_empty() {
                let generation = t.shared.generation.load(Ordering::Acquire);
                let mut pieces = Vec::new();
                let eof = match t.decoder.next_pcm() {
                    Ok(Some(pcm)) => {
                        t.process(pcm, &mut pieces);
                        false
                    }
                    Ok(None) => true,
                    Err(error) => {
                        // A fatal read error ends this track where it is.
                        tracing::warn!("{error}");
                        let _ = self.events.send(PlayerEvent::Error {
                            error,
                            token: Some(t.token),
                        });
                        true
                    }
                };
                if eof {
                    t.flush_processing(&mut pieces);
                }
                t.pending.extend(pieces.into_iter().map(|p| Chunk {
                    generation,
                    start: p.start,
                    samples: p.samples,
                    eof: false,
                }));
                if eof {
                    t.pending.push_back(Chunk {
                        generation,
                        start: 0,
                        samples: Vec::new(),
                        eof: true,
                    });
                }
            }
            while let Some(chunk) = t.pending.pop_front() {
                let eof = chunk.eof;
                match stream::offer(&t.tx, chunk) {
                    Ok(()) => t.eof_sent = eof,
                    Err(back) => {
                        if let Some(c) = back {
                            t.pending.push_front(c);
                        }
                        return;
                    }
                }
            }
        }
    }

    /// The output lost its device (the sound server died or restarted): pause where the
    /// listener stopped hearing, say so if they were listening, and let the next Play open a
    /// device again from there.
    fn check_lost(&mut self) {
        let Some(lost) = self.output.lost() else {
            return;
        };
        let Some(t) = self.track.as_mut() else {
            tracing::warn!("audio output lost while idle: {}", lost.error);
            return;
        };
        let ended = t.ended_reported || t.shared.has_ended();
        let was_playing = t.playing() && !ended;
        let position = match lost.frame.filter(|_| was_playing) {
            Some(frame) => frame as f64 / t.rate(),
            None => t.position(),
        };
        let position = t.duration.map_or(position, |d| position.min(d)).max(0.0);
        t.shared.paused.store(true, Ordering::Release);
        if !ended {
            // Audio queued for the old device is dropped; the next one starts at `position`.
            if let Err(e) = t.jump(position) {
                tracing::warn!("resume point after losing the output: {e}");
            }
        }
        t.source = Some(StreamSource::new(
            t.shared.clone(),
            t.rx.clone(),
            t.decoder.channels,
            t.decoder.sample_rate,
        ));
        if !was_playing {
            tracing::info!("audio output lost while not playing: {}", lost.error);
            return;
        }
        tracing::warn!("{} (paused at {position:.3} s)", lost.error);
        let token = t.token;
        self.emit(PlayerEvent::Error {
            error: lost.error,
            token: Some(token),
        });
        self.emit(PlayerEvent::Status {
            status: PlayerStatus::Paused,
            position,
        });
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
