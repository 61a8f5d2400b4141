//! Playback straight to a PulseAudio (or pipewire-pulse) server through the pure-Rust
//! `pulseaudio` crate, without cpal: a stream with a sane buffer, the server's own timing for
//! the position clock, and flush / cork so seeks and pauses are heard at once.
//!
//! - Buffer: ~80 ms target (`tlength`), ~25 ms requests (`minreq`), `ADJUST_LATENCY`, so
//!   PulseAudio splits it between the sink (~15 ms) and our stream instead of running the sink
//!   at minimum latency (cpal asks for 2 × its small buffer: the daemon then wakes every few ms).
//!   `EARSHOT_PULSE_TLENGTH_MS` / `EARSHOT_PULSE_MINREQ_MS` override them (for measuring).
//! - Samples: f32, pulled from the track's [`StreamSource`] (the rodio `Source` the rodio
//!   fallback plays too) on the client's reactor thread whenever the server asks. Paused or
//!   starved, nothing is written (no silence queued ahead of the audio).
//! - Clock: every write records which stream offsets hold which media frames; a poller asks
//!   the server for the stream's timing (`PlaybackLatency`: read index, sink latency) every
//!   100 ms (8 ms for a while after a change) and publishes the media frame at the listener
//!   then ([`Shared::store_heard`]); the player runs on from it at the speed in force.
//! - Seek / stop / episode change: the server's buffer is flushed; a 4 ms fade of the old
//!   audio (kept in a short history) ends it cleanly, the new audio fades in over 4 ms.
//!   Pause: flush, a 12 ms fade-out, then cork once it has played; the player resumes from
//!   the frame where the fade began.
//! - Connection lost (the server died, restarted or stopped answering): the client's reactor
//!   drops our source at once when the socket closes, and a failed timing poll says so too.
//!   [`PulseOutput::lost`] then reports it with the media frame heard last (the last
//!   measurement run on to the moment the connection went, never past what was written) and
//!   lets go of the stream and the client; the next start connects again.

use std::collections::VecDeque;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use pulseaudio::protocol;

use super::output::{AudioOutput, Lost, OutputInfo};
use super::stream::{Shared, StreamSource};
use super::AudioError;

/// Fade over a seek's cut (old audio out, new audio in), seconds.
const SEEK_FADE: f64 = 0.004;
/// Fade-out on pause and stop, seconds.
const PAUSE_FADE: f64 = 0.012;
/// How often the poller asks the server for the stream's timing (the position between polls
/// runs on at the speed in force; a flush, play or new track asks again at once).
const POLL: Duration = Duration::from_millis(100);
/// The poller's pace for a few polls after the audio changed.
const FAST_POLL: Duration = Duration::from_millis(8);
/// Written audio kept for the fade-outs, seconds.
const HISTORY: f64 = 0.5;
/// Round trips to the server give up after this long (a hung server is "no device").
const ROUNDTRIP: Duration = Duration::from_millis(1500);

fn env_ms(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0 && *v < 10_000.0)
        .unwrap_or(default)
}

/// Runs a future on this thread until it completes or `timeout` passes.
fn wait<F: Future>(f: F, timeout: Duration) -> Option<F::Output> {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    let deadline = Instant::now() + timeout;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::park_timeout(left);
    }
}

/// A stretch of written stream frames `a..b` holding media frames `ma..mb` (linear between).
#[derive(Debug, Clone, Copy)]
struct Mark {
    tag: u32,
    a: u64,
    b: u64,
    ma: f64,
    mb: f64,
}

impl Mark {
    fn media_at(&self, off: f64) -> f64 {
        if self.b <= self.a {
            return self.ma;
        }
        self.ma + (off - self.a as f64) * (self.mb - self.ma) / (self.b - self.a) as f64
    }
}

/// What the reactor thread's callback and the player thread share about the stream. Its lock
/// is a leaf: nothing else is locked, and no round trip to the server waits, while it is held.
struct Feed {
    source: Option<StreamSource>,
    channels: usize,
    rate: u32,
    /// While set, nothing is written (a flush is under way).
    hold: bool,
    /// The reactor's waker, parked when there was nothing to write.
    waker: Option<Waker>,
    /// Frames written so far: the server's write index, in frames.
    written: u64,
    marks: VecDeque<Mark>,
    /// The last written samples, `history[0]` at stream frame `hist_start`.
    history: VecDeque<f32>,
    hist_start: u64,
    /// Samples to write before any new audio: the fade-out of flushed audio, and its mark.
    tail: VecDeque<f32>,
    tail_mark: Option<Mark>,
    /// Frames of fade-in left, out of `fade_len`.
    fade_in: usize,
    fade_len: usize,
    /// The poller's last measurement: the stream frame at the listener, when, and whether
    /// playback was running then.
    heard_off: Option<(f64, Instant, bool)>,
    /// The connection or the stream went away: why, and when.
    lost: Option<(String, Instant)>,
    /// We are deleting the stream ourselves (its source going is no loss).
    closing: bool,
}

impl Feed {
    /// Records a loss (the earliest moment any sign of it came).
    fn mark_lost(&mut self, reason: &str, at: Instant) {
        if self.closing {
            return;
        }
        match &mut self.lost {
            Some((_, t)) => *t = (*t).min(at),
            None => self.lost = Some((reason.to_string(), at)),
        }
    }

    /// The (tag, media frame) at the listener at `at`: the last measurement run on to then
    /// while playing, never past what was written.
    fn heard_at(&self, at: Instant) -> Option<(u32, f64)> {
        let (off, t, advancing) = self.heard_off?;
        let run = if advancing {
            at.saturating_duration_since(t).as_secs_f64().min(0.5)
        } else {
            0.0
        };
        let off = (off + run * self.rate as f64).min(self.written as f64);
        self.lookup(off.max(0.0))
    }

    fn lookup(&self, off: f64) -> Option<(u32, f64)> {
        let m = self
            .marks
            .iter()
            .rev()
            .find(|m| (m.a as f64) <= off && off <= m.b as f64)?;
        Some((m.tag, m.media_at(off)))
    }

    fn push_mark(&mut self, m: Mark) {
        if m.b > m.a {
            self.marks.push_back(m);
        }
        while self.marks.len() > 1024 {
            self.marks.pop_front();
        }
    }

    fn push_history(&mut self, frame: &[f32]) {
        self.history.extend(frame.iter().copied());
        let keep = (HISTORY * self.rate as f64) as usize * self.channels;
        while self.history.len() > keep + self.channels * 1024 {
            self.history.drain(..self.channels * 1024);
            self.hist_start += 1024;
        }
    }

    /// Fills `buf` with whole f32 frames; returns the bytes written (0: nothing to write).
    fn fill(&mut self, buf: &mut [u8]) -> usize {
        if self.hold {
            return 0;
        }
        let ch = self.channels;
        let cap = buf.len() / (ch * 4);
        let mut n = 0usize;
        let put = |n: usize, frame: &[f32], buf: &mut [u8]| {
            for (i, s) in frame.iter().enumerate() {
                let at = (n * ch + i) * 4;
                buf[at..at + 4].copy_from_slice(&s.to_le_bytes());
            }
        };
        let mut frame = vec![0.0f32; ch];
        let base = self.written;
        // The fade-out of flushed audio first.
        if let Some(m) = self.tail_mark.take() {
            while n < cap && self.tail.len() >= ch {
                for s in frame.iter_mut() {
                    *s = self.tail.pop_front().unwrap_or(0.0);
                }
                put(n, &frame, buf);
                self.push_history(&frame);
                n += 1;
            }
            let len = (m.b - m.a).max(1) as f64;
            let done = (n as f64 / len).min(1.0);
            let mid = m.ma + (m.mb - m.ma) * done;
            self.push_mark(Mark {
                a: base,
                b: base + n as u64,
                mb: mid,
                ..m
            });
            if !self.tail.is_empty() {
                // Not all of it fitted: the rest goes first next time.
                self.tail_mark = Some(Mark {
                    ma: mid,
                    a: 0,
                    b: (len as u64).saturating_sub(n as u64),
                    ..m
                });
                self.written = base + n as u64;
                return n * ch * 4;
            }
        }
        let Some(mut src) = self.source.take() else {
            self.written = base + n as u64;
            return n * ch * 4;
        };
        let mut keep = true;
        let shared = src.shared().clone();
        // A run of consecutive frames of one generation, for its mark.
        let mut run: Option<(u32, u64, f64, u64, f64)> = None; // tag, a, ma, b, mb
        let mut runs = Vec::new();
        while n < cap {
            if src.is_silent_paused() {
                break;
            }
            let starved = src.starved();
            let mut ended = false;
            for s in frame.iter_mut() {
                match src.next() {
                    Some(v) => *s = v,
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            if ended {
                // The engine stopped this track.
                keep = false;
                break;
            }
            if src.starved() != starved {
                break;
            }
            if self.fade_in > 0 {
                let g = 1.0 - self.fade_in as f32 / self.fade_len.max(1) as f32;
                for s in frame.iter_mut() {
                    *s *= g;
                }
                self.fade_in -= 1;
            }
            put(n, &frame, buf);
            self.push_history(&frame);
            let off = base + n as u64 + 1;
            let (tag, media) = shared.last_taken();
            let media = media as f64;
            // One mark per write, linear in between (the time-stretch moves the media
            // position a little unevenly within a hop); a new one where the media jumps (skip
            // silence, a new generation).
            run = match run {
                Some((t, a, ma, _, mb)) if t == tag && (0.0..=64.0).contains(&(media - mb)) => {
                    Some((t, a, ma, off, media))
                }
                other => {
                    if let Some(r) = other {
                        runs.push(r);
                    }
                    Some((tag, off - 1, media - 1.0, off, media))
                }
            };
            n += 1;
        }
        if keep {
            self.source = Some(src);
        }
        runs.extend(run);
        for (tag, a, ma, b, mb) in runs {
            self.push_mark(Mark { tag, a, b, ma, mb });
        }
        self.written = base + n as u64;
        n * ch * 4
    }
}

/// The reactor's view of the feed: `poll_read` fills from it, or parks until woken.
struct Pull(Arc<Mutex<Feed>>);

impl Drop for Pull {
    /// The client's reactor drops the stream's source when we delete the stream, or when it
    /// stops because the connection broke (server killed or restarted): then it is a loss.
    fn drop(&mut self) {
        lock(&self.0).mark_lost("the server closed the connection", Instant::now());
    }
}

fn lock(feed: &Mutex<Feed>) -> MutexGuard<'_, Feed> {
    feed.lock().unwrap_or_else(|e| e.into_inner())
}

impl pulseaudio::PlaybackSource for Pull {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<usize> {
        let mut feed = lock(&self.0);
        let n = feed.fill(buf);
        if n == 0 {
            // 0 would end the stream: wait to be woken instead.
            feed.waker = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(n)
        }
    }
}

/// Cork state and a delayed cork, changed under one lock so the poller's delayed cork and the
/// player's uncork never cross.
#[derive(Default)]
struct Control {
    corked: bool,
    cork_at: Option<Instant>,
    /// Polls left at the fast pace (after a flush, play or new track: the clock picks up
    /// the new audio as soon as it is heard).
    fast: u32,
}

struct Active {
    stream: pulseaudio::PlaybackStream,
    feed: Arc<Mutex<Feed>>,
    control: Arc<Mutex<Control>>,
    spec: (u32, usize),
    cancel: Arc<AtomicBool>,
    poller: Option<std::thread::JoinHandle<()>>,
    /// The end-to-end latency the server settled on at creation (seconds).
    latency: f64,
}

impl Drop for Active {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Release);
        let lost = {
            let mut feed = lock(&self.feed);
            feed.closing = true;
            feed.lost.is_some()
        };
        if let Some(p) = self.poller.take() {
            p.thread().unpark();
            let _ = p.join();
        }
        if !lost {
            let _ = wait(self.stream.clone().delete(), ROUNDTRIP);
        }
    }
}

/// A client connection, and our own handle on its socket to end it: the client's reactor
/// thread runs until the socket closes.
struct Conn {
    client: pulseaudio::Client,
    socket: std::os::unix::net::UnixStream,
}

impl Conn {
    /// Connects to the server listening at `socket` (2 s at most).
    fn open(socket: &Path) -> Result<Conn, String> {
        let stream = std::os::unix::net::UnixStream::connect(socket)
            .map_err(|e| format!("PulseAudio at {}: {e}", socket.display()))?;
        let ours = stream.try_clone().map_err(|e| format!("PulseAudio: {e}"))?;
        // The handshake blocks: a hung server must not keep its thread forever.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        let cookie = pulseaudio::cookie_path_from_env().and_then(|p| std::fs::read(p).ok());
        // Run the handshake aside, and give up on a hung server.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("earshot-pulse-connect".into())
            .spawn(move || {
                let _ = tx.send(pulseaudio::Client::new_unix(c"Earshot", stream, cookie));
            })
            .map_err(|e| e.to_string())?;
        let client = match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(format!("PulseAudio: {e}")),
            Err(_) => {
                let _ = ours.shutdown(std::net::Shutdown::Both);
                return Err("the PulseAudio server did not answer".to_string());
            }
        };
        Ok(Conn {
            client,
            socket: ours,
        })
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Ends the reactor thread (it sees the socket close), whatever state the server is in.
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

/// Playback to the PulseAudio server named by the environment (`PULSE_SERVER`,
/// `XDG_RUNTIME_DIR/pulse/native`). One stream, kept while tracks have its sample format.
/// When the connection is lost it reports so ([`AudioOutput::lost`]) and connects again at
/// the next start.
pub struct PulseOutput {
    socket: PathBuf,
    conn: Option<Conn>,
    active: Option<Active>,
}

impl Drop for PulseOutput {
    fn drop(&mut self) {
        // The stream first (deleted through the client), then the connection.
        self.active = None;
        self.conn = None;
    }
}

impl PulseOutput {
    /// Connects to the server the environment names (2 s at most); `Err` says why there is
    /// none.
    pub fn connect() -> Result<PulseOutput, String> {
        let socket = pulseaudio::socket_path_from_env().ok_or("no PulseAudio server socket")?;
        Self::connect_at(&socket)
    }

    /// Connects to the server listening at `socket` (2 s at most). After a lost connection
    /// it connects there again.
    pub fn connect_at(socket: &Path) -> Result<PulseOutput, String> {
        let conn = Conn::open(socket)?;
        Ok(PulseOutput {
            socket: socket.to_path_buf(),
            conn: Some(conn),
            active: None,
        })
    }

    /// The connection was lost (see [`AudioOutput::lost`]): `Some` once, then the stream and
    /// the client are gone and the next start connects again.
    pub fn lost(&mut self) -> Option<Lost> {
        let a = self.active.as_ref()?;
        let (reason, frame) = {
            let feed = lock(&a.feed);
            let (reason, at) = feed.lost.clone()?;
            let frame = feed.heard_at(at).and_then(|(tag, media)| {
                let shared = feed.source.as_ref()?.shared();
                (tag == shared.generation_tag()).then(|| media.max(0.0).round() as u64)
            });
            (reason, frame)
        };
        tracing::warn!("PulseAudio connection lost: {reason}");
        self.active = None;
        self.conn = None;
        Some(Lost {
            error: AudioError::ConnectionLost(reason),
            frame,
        })
    }

    /// The end-to-end latency of the current stream as configured (seconds).
    pub fn configured_latency(&self) -> Option<f64> {
        self.active.as_ref().map(|a| a.latency)
    }

    fn open_stream(&mut self, rate: u32, channels: usize) -> Result<Active, String> {
        let frame_bytes = channels * 4;
        let bytes =
            |ms: f64| ((rate as f64 * ms / 1000.0).round() as u32).max(1) * frame_bytes as u32;
        let tlength_ms = env_ms("EARSHOT_PULSE_TLENGTH_MS", 80.0);
        let minreq_ms = env_ms("EARSHOT_PULSE_MINREQ_MS", 25.0);
        let channel_map = match channels {
            1 => protocol::ChannelMap::mono(),
            2 => protocol::ChannelMap::stereo(),
            n => {
                use protocol::ChannelPosition::*;
                let order = [
                    FrontLeft,
                    FrontRight,
                    FrontCenter,
                    Lfe,
                    RearLeft,
                    RearRight,
                    SideLeft,
                    SideRight,
                ];
                if n > order.len() {
                    return Err(format!("{n} channels"));
                }
                protocol::ChannelMap::new(order[..n].iter().copied())
            }
        };
        let mut props = protocol::Props::new();
        props.set(protocol::Prop::MediaName, c"Earshot");
        props.set(protocol::Prop::MediaRole, c"music");
        let params = protocol::PlaybackStreamParams {
            sample_spec: protocol::SampleSpec {
                format: protocol::SampleFormat::Float32Le,
                channels: channels as u8,
                sample_rate: rate,
            },
            channel_map,
            buffer_attr: protocol::stream::BufferAttr {
                max_length: u32::MAX,
                target_length: bytes(tlength_ms),
                // Small, so a flushed stream restarts with the first few ms written.
                pre_buffering: bytes(SEEK_FADE * 1000.0),
                minimum_request_length: bytes(minreq_ms),
                fragment_size: u32::MAX,
            },
            props,
            flags: protocol::stream::StreamFlags {
                start_corked: true,
                adjust_latency: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let feed = Arc::new(Mutex::new(Feed {
            source: None,
            channels,
            rate,
            hold: false,
            waker: None,
            written: 0,
            marks: VecDeque::new(),
            history: VecDeque::new(),
            hist_start: 0,
            tail: VecDeque::new(),
            tail_mark: None,
            fade_in: 0,
            fade_len: (SEEK_FADE * rate as f64) as usize,
            heard_off: None,
            lost: None,
            closing: false,
        }));
        let began = Instant::now();
        let client = &self.conn.as_ref().ok_or("not connected")?.client;
        let stream = wait(
            client.create_playback_stream(params, Pull(feed.clone())),
            ROUNDTRIP,
        )
        .ok_or("creating the stream timed out")?
        .map_err(|e| format!("PulseAudio stream: {e}"))?;
        let attr = *stream.buffer_attr();
        // ADJUST_LATENCY: tlength is the end-to-end latency asked for (sink + stream buffer).
        // The clock uses the measured one; this is its estimate until the first measurement.
        let latency = tlength_ms / 1000.0;
        tracing::info!(
            "PulseAudio stream opened in {:?}: {rate} Hz, {channels} ch, stream buffer \
             {:.1} ms (asked {tlength_ms} ms end to end), minreq {:.1} ms, prebuf {:.1} ms",
            began.elapsed(),
            attr.target_length as f64 / frame_bytes as f64 / rate as f64 * 1e3,
            attr.minimum_request_length as f64 / frame_bytes as f64 / rate as f64 * 1e3,
            attr.pre_buffering as f64 / frame_bytes as f64 / rate as f64 * 1e3,
        );
        let control = Arc::new(Mutex::new(Control {
            corked: true,
            ..Default::default()
        }));
        let cancel = Arc::new(AtomicBool::new(false));
        let poller = {
            let (stream, feed, control, cancel) = (
                stream.clone(),
                feed.clone(),
                control.clone(),
                cancel.clone(),
            );
            std::thread::Builder::new()
                .name("earshot-pulse-clock".into())
                .spawn(move || poll_timing(stream, feed, control, cancel, frame_bytes, rate))
                .map_err(|e| e.to_string())?
        };
        Ok(Active {
            stream,
            feed,
            control,
            spec: (rate, channels),
            cancel,
            poller: Some(poller),
            latency,
        })
    }

    /// Flushes the server's buffer with the writer held; the audio from the flush point on
    /// is gone. Returns the flush point (stream frame) and whether the stream was playing.
    /// `fade` > 0 queues that long a fade-out of the flushed audio (if it was playing).
    fn flush_with_tail(&mut self, fade: f64) -> Option<(u32, f64)> {
        let a = self.active.as_ref()?;
        lock(&a.feed).hold = true;
        let playing = {
            let c = a.control.lock().unwrap_or_else(|e| e.into_inner());
            !c.corked && c.cork_at.is_none()
        };
        let flushed = wait(a.stream.flush(), ROUNDTRIP).is_some_and(|r| r.is_ok());
        let timing = if flushed {
            wait(a.stream.timing_info(), ROUNDTRIP).and_then(|r| r.ok())
        } else {
            None
        };
        let mut feed = lock(&a.feed);
        let mut stop = None;
        if let Some(t) = timing {
            let fb = (feed.channels * 4) as i64;
            let p = (t.write_offset.max(0) / fb) as u64;
            // The stream from `p` on was discarded: forget it, and keep its first few ms
            // for the fade-out.
            let at = feed.lookup(p as f64);
            stop = at;
            let ch = feed.channels;
            let fade_frames = (fade * feed.rate as f64) as u64;
            feed.tail.clear();
            feed.tail_mark = None;
            if playing && fade_frames > 0 && p >= feed.hist_start {
                let from = ((p - feed.hist_start) as usize) * ch;
                let to = (from + fade_frames as usize * ch).min(feed.history.len());
                if from < to {
                    let frames = (to - from) / ch;
                    let samples: Vec<f32> = feed.history.range(from..to).copied().collect();
                    for (i, f) in samples.chunks_exact(ch).enumerate() {
                        let g = 1.0 - (i + 1) as f32 / frames as f32;
                        feed.tail.extend(f.iter().map(|s| s * g));
                    }
                    if let (Some((tag, ma)), Some((_, mb))) =
                        (at, feed.lookup((p + frames as u64) as f64))
                    {
                        feed.tail_mark = Some(Mark {
                            tag,
                            a: 0,
                            b: frames as u64,
                            ma,
                            mb,
                        });
                    } else {
                        feed.tail_mark = Some(Mark {
                            tag: u32::MAX,
                            a: 0,
                            b: frames as u64,
                            ma: 0.0,
                            mb: 0.0,
                        });
                    }
                }
            }
            // History and marks past the flush point describe nothing any more.
            if p >= feed.hist_start {
                let keep = ((p - feed.hist_start) as usize * ch).min(feed.history.len());
                feed.history.truncate(keep);
            } else {
                feed.history.clear();
                feed.hist_start = p;
            }
            while feed.marks.back().is_some_and(|m| m.a >= p) {
                feed.marks.pop_back();
            }
            if let Some(m) = feed.marks.back_mut() {
                if m.b > p {
                    m.mb = m.media_at(p as f64);
                    m.b = p;
                }
            }
            feed.written = p;
        } else {
            tracing::warn!("PulseAudio flush failed; the buffered audio plays out");
        }
        feed.fade_in = feed.fade_len;
        feed.hold = false;
        if let Some(w) = feed.waker.take() {
            w.wake();
        }
        stop
    }

    /// Has the poller measure the clock at a fast pace for a while.
    fn poll_soon(&self) {
        if let Some(a) = &self.active {
            a.control.lock().unwrap_or_else(|e| e.into_inner()).fast = 12;
            if let Some(p) = &a.poller {
                p.thread().unpark();
            }
        }
    }

    fn schedule_cork(&self, after: f64) {
        if let Some(a) = &self.active {
            let mut c = a.control.lock().unwrap_or_else(|e| e.into_inner());
            if !c.corked {
                c.cork_at = Some(Instant::now() + Duration::from_secs_f64(after));
            }
        }
        if let Some(p) = self.active.as_ref().and_then(|a| a.poller.as_ref()) {
            p.thread().unpark();
        }
    }

    /// Seconds until a fade queued now has been heard: the sink's latency and the fade.
    fn fade_heard_in(&self, fade: f64) -> f64 {
        let sink = self
            .active
            .as_ref()
            .and_then(|a| wait(a.stream.timing_info(), ROUNDTRIP))
            .and_then(|r| r.ok())
            .map_or(0.05, |t| t.sink_usec as f64 / 1e6);
        sink + fade + 0.02
    }
}

/// The poller: publishes the heard frame from the server's timing, wakes a writer parked on
/// starvation, and corks when a delayed cork is due.
fn poll_timing(
    stream: pulseaudio::PlaybackStream,
    feed: Arc<Mutex<Feed>>,
    control: Arc<Mutex<Control>>,
    cancel: Arc<AtomicBool>,
    frame_bytes: usize,
    rate: u32,
) {
    while !cancel.load(Ordering::Acquire) {
        let pace = {
            let mut c = control.lock().unwrap_or_else(|e| e.into_inner());
            if c.fast > 0 {
                c.fast -= 1;
                FAST_POLL
            } else {
                POLL
            }
        };
        std::thread::park_timeout(pace);
        if cancel.load(Ordering::Acquire) {
            break;
        }
        if let Some(w) = lock(&feed).waker.take() {
            w.wake();
        }
        if lock(&feed).lost.is_some() {
            break;
        }
        {
            let mut c = control.lock().unwrap_or_else(|e| e.into_inner());
            if c.cork_at.is_some_and(|t| Instant::now() >= t) {
                c.cork_at = None;
                if wait(stream.cork(), ROUNDTRIP).is_some_and(|r| r.is_ok()) {
                    c.corked = true;
                }
            }
        }
        let t0 = Instant::now();
        let t = match wait(stream.timing_info(), ROUNDTRIP) {
            Some(Ok(t)) => t,
            failed => {
                if cancel.load(Ordering::Acquire) {
                    break;
                }
                // The server is gone, hung, or dropped the stream: the player hears of it
                // through `lost`, and this poller ends.
                let reason = match failed {
                    None => "the server stopped answering".to_string(),
                    Some(Err(pulseaudio::ClientError::ServerError(e))) => {
                        format!("the server ended the stream ({e:?})")
                    }
                    Some(Err(pulseaudio::ClientError::Disconnected))
                    | Some(Err(pulseaudio::ClientError::Io(_))) => {
                        "the server closed the connection".to_string()
                    }
                    Some(Err(e)) => e.to_string(),
                    Some(Ok(_)) => unreachable!("matched above"),
                };
                tracing::warn!("PulseAudio timing poll failed: {reason}");
                lock(&feed).mark_lost(&reason, t0);
                break;
            }
        };
        let t1 = Instant::now();
        let at = t0 + (t1 - t0) / 2;
        // The frame at the listener: the sink has taken up to the read index and plays it
        // `sink_usec` later.
        let heard =
            t.read_offset as f64 / frame_bytes as f64 - t.sink_usec as f64 * rate as f64 / 1e6;
        tracing::trace!(
            "timing: read {} write {} sink {} us playing {} underrun {} rtt {:?}",
            t.read_offset / frame_bytes as i64,
            t.write_offset / frame_bytes as i64,
            t.sink_usec,
            t.playing,
            t.underrun_for,
            t1 - t0
        );
        // The feed's lock is a leaf (the reactor thread takes it inside its own lock, which
        // a cork or uncork round trip under the control lock waits for): take nothing under it.
        let corked = control.lock().map(|c| c.corked).unwrap_or(false);
        let advancing = t.playing && !corked && t.underrun_for == 0;
        let mut feed = lock(&feed);
        feed.heard_off = Some((heard, at, advancing));
        if let Some(src) = feed.source.as_ref() {
            if let Some((tag, media)) = feed.lookup(heard) {
                src.shared()
                    .store_heard(tag, media.max(0.0).round() as u64, at, advancing);
            }
        }
    }
}

impl PulseOutput {
    /// [`AudioOutput::start`], handing the source back when the stream cannot be opened (so
    /// another output can play it).
    pub fn try_start(
        &mut self,
        source: StreamSource,
    ) -> Result<OutputInfo, Box<(AudioError, StreamSource)>> {
        use rodio::Source;
        let spec = (source.sample_rate().get(), source.channels().get() as usize);
        // A loss not yet reported: it is over now, start afresh.
        if self
            .active
            .as_ref()
            .is_some_and(|a| lock(&a.feed).lost.is_some())
        {
            self.active = None;
            self.conn = None;
        }
        if self.active.as_ref().is_some_and(|a| a.spec != spec) {
            self.active = None;
        }
        if self.active.is_none() {
            let mut opened = match self.conn {
                Some(_) => self.open_stream(spec.0, spec.1),
                None => Err("not connected".to_string()),
            };
            if let Err(e) = &opened {
                // Lost before, or an idle connection that died unnoticed (the server
                // restarted): once more on a new connection.
                tracing::info!("PulseAudio: {e}; connecting again");
                self.conn = None;
                opened = Conn::open(&self.socket).and_then(|c| {
                    self.conn = Some(c);
                    self.open_stream(spec.0, spec.1)
                });
            }
            match opened {
                Ok(active) => self.active = Some(active),
                Err(e) => return Err(Box::new((AudioError::NoDevice(e), source))),
            }
        }
        let a = self.active.as_ref().expect("opened above");
        let mut feed = lock(&a.feed);
        feed.source = Some(source);
        feed.fade_in = feed.fade_len;
        if let Some(w) = feed.waker.take() {
            w.wake();
        }
        drop(feed);
        let latency = a.latency;
        self.poll_soon();
        Ok(OutputInfo { latency })
    }
}

impl AudioOutput for PulseOutput {
    fn start(&mut self, source: StreamSource) -> Result<OutputInfo, AudioError> {
        self.try_start(source).map_err(|b| b.0)
    }

    fn play(&mut self) {
        let Some(a) = &self.active else { return };
        if let Some(w) = lock(&a.feed).waker.take() {
            w.wake();
        }
        let mut c = a.control.lock().unwrap_or_else(|e| e.into_inner());
        c.cork_at = None;
        if c.corked {
            match wait(a.stream.uncork(), ROUNDTRIP) {
                Some(Ok(())) => c.corked = false,
                other => tracing::warn!("PulseAudio uncork failed: {other:?}"),
            }
        }
        drop(c);
        self.poll_soon();
    }

    fn pause(&mut self) -> Option<u64> {
        let stop = self.flush_with_tail(PAUSE_FADE);
        let after = self.fade_heard_in(PAUSE_FADE);
        self.schedule_cork(after);
        let a = self.active.as_ref()?;
        let feed = lock(&a.feed);
        let shared: &Arc<Shared> = feed.source.as_ref()?.shared();
        let (tag, media) = stop?;
        (tag == shared.generation_tag()).then(|| media.max(0.0).round() as u64)
    }

    fn flush(&mut self) {
        self.flush_with_tail(SEEK_FADE);
        self.poll_soon();
    }

    fn lost(&mut self) -> Option<Lost> {
        PulseOutput::lost(self)
    }

    fn stop(&mut self) {
        if self.active.is_none() {
            return;
        }
        self.flush_with_tail(PAUSE_FADE);
        if let Some(a) = &self.active {
            lock(&a.feed).source = None;
        }
        let after = self.fade_heard_in(PAUSE_FADE);
        self.schedule_cork(after);
    }
}
