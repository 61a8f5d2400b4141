//! The PulseAudio output against a private PulseAudio server with a null sink (started here,
//! in its own runtime folder; like `tests/e2e/run.sh`), recorded from `null.monitor` with
//! `parec`: what the sink really plays is the truth. Skipped (with a note) where `pulseaudio`
//! or `parec` is not installed; `scripts/test.sh` installs both.
#![cfg(target_os = "linux")]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use earshot::player::pulse::PulseOutput;
use earshot::player::{self, Media, PlayerCommand, PlayerEvent, PlayerHandle, PlayerStatus};

const RATE: u32 = 44_100;

/// One test at a time: they time audio on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

struct Server {
    dir: tempfile::TempDir,
}

impl Server {
    fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }
    fn socket(&self) -> PathBuf {
        self.run_dir().join("pulse/native")
    }
    /// Starts the daemon (again, after [`Server::kill`]) at the same socket.
    fn launch(&self) {
        let status = self
            .cmd("pulseaudio")
            .args([
                "-D",
                "--exit-idle-time=-1",
                "-n",
                "--use-pid-file=yes",
                "--load=module-null-sink sink_name=null",
                "--load=module-native-protocol-unix",
            ])
            .arg(format!(
                "--log-target=file:{}",
                self.dir.path().join("pulse.log").display()
            ))
            .status()
            .expect("run pulseaudio");
        assert!(status.success(), "pulseaudio did not start");
        let until = Instant::now() + Duration::from_secs(5);
        // Listening (a killed server leaves its socket file behind).
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err()
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            std::os::unix::net::UnixStream::connect(self.socket()).is_ok(),
            "pulseaudio's socket did not appear"
        );
    }
    /// Kills the daemon outright (SIGKILL: no goodbye to its clients).
    fn kill(&self) {
        let pid = std::fs::read_to_string(self.run_dir().join("pulse/pid")).expect("pid file");
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -KILL {pid}");
        // Dead at once, but a zombie until reaped (slowly, by some containers' init), which
        // a new daemon would take for a running one.
        let _ = std::fs::remove_file(self.run_dir().join("pulse/pid"));
    }
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", self.run_dir())
            .env("PULSE_SERVER", format!("unix:{}", self.socket().display()))
            .env_remove("PULSE_RUNTIME_PATH");
        c
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .cmd("pulseaudio")
            .arg("--kill")
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A private PulseAudio with a null sink, or `None` (test skipped) where it is not installed.
fn server() -> Option<Server> {
    if !have("pulseaudio") || !have("parec") {
        eprintln!("pulseaudio / parec not installed: PulseAudio output test skipped");
        return None;
    }
    let server = Server {
        dir: tempfile::tempdir().expect("temp dir"),
    };
    std::fs::create_dir_all(server.run_dir()).expect("run dir");
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(server.run_dir(), std::fs::Permissions::from_mode(0o700));
    server.launch();
    Some(server)
}

/// Recorded samples, and (when, frames so far) for every read.
type Recording = (Vec<f32>, Vec<(Instant, usize)>);

/// `null.monitor` recorded by parec (mono f32), every read timestamped.
struct Recorder {
    child: Child,
    data: Arc<Mutex<Recording>>,
}

impl Recorder {
    fn start(server: &Server) -> Recorder {
        let mut child = server
            .cmd("parec")
            .args([
                "--latency-msec=5",
                "--format=float32le",
                "--rate=44100",
                "--channels=1",
                "-d",
                "null.monitor",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("parec");
        let mut out = child.stdout.take().expect("piped");
        let data = Arc::new(Mutex::new((Vec::new(), Vec::new())));
        let shared = data.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 8192];
            let mut carry = Vec::new();
            loop {
                let n = match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let t = Instant::now();
                carry.extend_from_slice(&buf[..n]);
                let whole = carry.len() / 4 * 4;
                let mut d = shared.lock().unwrap();
                d.0.extend(
                    carry[..whole]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
                carry.drain(..whole);
                let total = d.0.len();
                d.1.push((t, total));
            }
        });
        // parec hands over a backlog of the sink's past first: let it settle.
        std::thread::sleep(Duration::from_millis(600));
        Recorder { child, data }
    }

    /// Recorded frames and a map from frame to the instant it was at the sink: the lower
    /// envelope of `read time - frames / rate` (a read can only come late) over the reads
    /// from `since` on.
    fn snapshot(&self, since: Instant) -> (Vec<f32>, impl Fn(usize) -> Instant) {
        let d = self.data.lock().unwrap();
        let reads: Vec<(Instant, usize)> = d.1.iter().copied().filter(|r| r.0 >= since).collect();
        assert!(reads.len() > 10, "parec recorded nothing");
        // Offset of frame 0's instant relative to `since`, in seconds (may be negative).
        let offset = reads
            .iter()
            .map(|(t, f)| t.duration_since(since).as_secs_f64() - *f as f64 / RATE as f64)
            .fold(f64::INFINITY, f64::min);
        let time_of = move |frame: usize| {
            let s = offset + frame as f64 / RATE as f64;
            if s >= 0.0 {
                since + Duration::from_secs_f64(s)
            } else {
                since - Duration::from_secs_f64(-s)
            }
        };
        (d.0.clone(), time_of)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A 440 Hz tone of `seconds`, at half scale.
fn tone(dir: &Path, seconds: f64) -> PathBuf {
    wav(dir, "tone.wav", seconds, |i| {
        0.5 * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin()
    })
}

/// A mono 16-bit WAV of `secs` seconds, sample `i` from `f`.
fn wav(dir: &Path, name: &str, secs: f64, f: impl Fn(usize) -> f32) -> PathBuf {
    wav_ch(dir, name, secs, 1, f)
}

/// A 16-bit WAV with `ch` channels (the same sample in each).
fn wav_ch(dir: &Path, name: &str, secs: f64, ch: u16, f: impl Fn(usize) -> f32) -> PathBuf {
    let frames = (secs * RATE as f64) as usize;
    let n = frames * ch as usize;
    let mut b = Vec::with_capacity(44 + n * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + n as u32 * 2).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&ch.to_le_bytes());
    b.extend_from_slice(&RATE.to_le_bytes());
    b.extend_from_slice(&(RATE * 2 * ch as u32).to_le_bytes());
    b.extend_from_slice(&(2 * ch).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(n as u32 * 2).to_le_bytes());
    for i in 0..frames {
        let v = (f(i).clamp(-1.0, 1.0) * 32767.0) as i16;
        for _ in 0..ch {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, b).expect("write wav");
    path
}

/// Clicks (a 1 ms burst) every 250 ms, on silence: each heard click says which media time
/// the sink played when.
fn click_file(dir: &Path, secs: f64) -> PathBuf {
    let every = RATE as usize / 4;
    wav(dir, "clicks.wav", secs, move |i| {
        if i % every < 44 {
            0.8
        } else {
            0.0
        }
    })
}

struct Player {
    handle: PlayerHandle,
    rx: Receiver<PlayerEvent>,
}

impl Player {
    fn start(server: &Server) -> Player {
        let out = PulseOutput::connect_at(&server.socket()).expect("connect to PulseAudio");
        let (tx, rx) = crossbeam_channel::unbounded();
        Player {
            handle: player::spawn(Box::new(out), tx),
            rx,
        }
    }
    fn load(&self, file: &Path, start: f64) {
        self.handle.send(PlayerCommand::Load {
            media: Media::File(file.to_path_buf()),
            start,
            autoplay: true,
            token: 1,
        });
    }
    /// Collects events for `secs`.
    fn events(&self, secs: f64) -> Vec<PlayerEvent> {
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let mut v = Vec::new();
        while let Ok(e) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            if let PlayerEvent::Error { error, .. } = &e {
                panic!("player error: {error}");
            }
            v.push(e);
        }
        v
    }
    /// Waits until the clock runs past `position` (audio is heard).
    fn wait_playing_past(&self, position: f64) {
        let until = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while Instant::now() < until {
            match self.rx.recv_timeout(Duration::from_millis(200)) {
                Ok(PlayerEvent::Position {
                    position: p,
                    playing: true,
                    ..
                }) if p > position => return,
                Ok(e) => seen.push(format!("{e:?}")),
                Err(_) => {}
            }
        }
        seen.truncate(8);
        panic!("playback did not pass {position} s: {seen:#?}");
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.handle.send(PlayerCommand::Shutdown);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// (at, position, speed) of the playing Position events.
fn positions(events: &[PlayerEvent]) -> Vec<(Instant, f64, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::Position {
                position,
                playing: true,
                at,
                speed,
                ..
            } => Some((*at, *position, *speed as f64)),
            _ => None,
        })
        .collect()
}

/// The instants clicks began at the sink (recorded frames past `from_frame`).
fn clicks(rec: &[f32], from_frame: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = from_frame;
    while i < rec.len() {
        if rec[i].abs() > 0.3 {
            out.push(i);
            i += RATE as usize / 10;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn it_plays_and_the_clock_is_what_the_sink_plays() {
    clock_vs_sink(1.0);
}

#[test]
fn at_2x_the_clock_is_what_the_sink_plays() {
    clock_vs_sink(2.0);
}

fn clock_vs_sink(speed: f32) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = click_file(dir.path(), 12.0);
    let rec = Recorder::start(&server);
    let since = Instant::now();
    let p = Player::start(&server);
    p.handle.send(PlayerCommand::SetSpeed(speed));
    p.load(&file, 0.3);
    p.wait_playing_past(0.5);
    let events = p.events(3.0);
    let pos = positions(&events);
    assert!(
        pos.len() >= 20,
        "position events while playing: {}",
        pos.len()
    );

    // The clock advances at real time.
    let (a, b) = (pos[0], pos[pos.len() - 1]);
    let rate = (b.1 - a.1) / b.0.duration_since(a.0).as_secs_f64();
    assert!(
        (rate / speed as f64 - 1.0).abs() < 0.02,
        "at {speed}× the position advances {rate:.3} s per second"
    );

    // Each click heard at the sink vs the position the clock gives for that instant.
    std::thread::sleep(Duration::from_millis(300));
    let (rec_audio, time_of) = rec.snapshot(since);
    let first = pos[0].0;
    let mut errors = Vec::new();
    for f in clicks(&rec_audio, 0) {
        let t = time_of(f);
        if t < first || t > b.0 {
            continue;
        }
        // The last event at or before t, run on at its speed: what the UI shows at t.
        let Some(e) = pos.iter().rev().find(|e| e.0 <= t) else {
            continue;
        };
        let shown = e.1 + t.duration_since(e.0).as_secs_f64() * e.2;
        let click = (shown * 4.0).round() / 4.0; // the click the listener hears
        errors.push(shown - click);
    }
    assert!(errors.len() >= 8, "clicks heard: {}", errors.len());
    errors.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let median = errors[errors.len() / 2].abs();
    let worst = errors.last().unwrap().abs();
    eprintln!(
        "{speed}×: position error vs the sink: median {:.1} ms, max {:.1} ms over {} clicks",
        median * 1e3,
        worst * 1e3,
        errors.len()
    );
    assert!(median <= 0.020, "median position error {median:.3} s");
    assert!(worst <= 0.040, "worst position error {worst:.3} s");
}

#[test]
fn a_seek_is_heard_at_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    // 4 s of silence, then 4 s of a loud tone.
    let file = wav(dir.path(), "half.wav", 8.0, |i| {
        if i < 4 * RATE as usize {
            0.0
        } else {
            0.5 * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin()
        }
    });
    let rec = Recorder::start(&server);
    let since = Instant::now();
    let p = Player::start(&server);
    p.load(&file, 0.2);
    p.wait_playing_past(0.4);
    let mut seeks = Vec::new();
    for k in 0..4 {
        std::thread::sleep(Duration::from_millis(400));
        let t = Instant::now();
        p.handle.send(PlayerCommand::Seek(4.5 + k as f64 * 0.8));
        std::thread::sleep(Duration::from_millis(400));
        p.handle.send(PlayerCommand::Seek(0.5 + k as f64 * 0.5));
        seeks.push(t);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (audio, time_of) = rec.snapshot(since);
    let mut latencies = Vec::new();
    for t in &seeks {
        let heard = (0..audio.len())
            .find(|&f| time_of(f) >= *t - Duration::from_millis(20) && audio[f].abs() > 0.05)
            .map(&time_of)
            .expect("the tone after the seek was heard");
        let ms = if heard >= *t {
            heard.duration_since(*t).as_secs_f64() * 1e3
        } else {
            -(t.duration_since(heard).as_secs_f64() * 1e3)
        };
        latencies.push(ms);
    }
    latencies.sort_by(f64::total_cmp);
    eprintln!("seek → new audio at the sink, ms: {latencies:.1?}");
    // Without the flush the ~65 ms the stream holds would play first.
    assert!(
        latencies[latencies.len() / 2] <= 50.0,
        "seek latency {latencies:?} ms"
    );
    // And the old audio stops: the silence after seeking back is silent within 50 ms.
    let _ = p.events(0.1);
}

#[test]
fn pause_is_heard_at_once_and_play_resumes_where_it_stopped() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = tone(dir.path(), 8.0);
    let rec = Recorder::start(&server);
    let since = Instant::now();
    let p = Player::start(&server);
    p.load(&file, 1.0);
    p.wait_playing_past(1.5);
    std::thread::sleep(Duration::from_millis(300));
    let before = positions(&p.events(0.2));
    let t = Instant::now();
    p.handle.send(PlayerCommand::Pause);
    let events = p.events(0.4);
    let paused_at = events
        .iter()
        .find_map(|e| match e {
            PlayerEvent::Status {
                status: PlayerStatus::Paused,
                position,
            } => Some(*position),
            _ => None,
        })
        .expect("paused");
    // The position it paused at is what was heard when the pause came (the clock just before,
    // run on to the pause).
    let last = before.last().expect("positions before the pause");
    let expected = last.1 + t.duration_since(last.0).as_secs_f64();
    assert!(
        (paused_at - expected).abs() < 0.03,
        "paused at {paused_at:.3} s; heard {expected:.3} s when the pause came"
    );
    let (audio, time_of) = rec.snapshot(since);
    let last_loud = (0..audio.len())
        .rev()
        .find(|&f| audio[f].abs() > 0.02)
        .map(time_of)
        .expect("the tone was heard");
    let tail = last_loud.saturating_duration_since(t).as_secs_f64() * 1e3;
    eprintln!("pause → silence at the sink: {tail:.1} ms");
    assert!(tail <= 50.0, "audio went on {tail:.1} ms after the pause");

    // Play resumes where it stopped.
    p.handle.send(PlayerCommand::Play);
    p.wait_playing_past(paused_at + 0.05);
    let resumed = positions(&p.events(0.5));
    let first = resumed.first().expect("positions after play");
    assert!(
        first.1 >= paused_at - 0.01 && first.1 < paused_at + 0.6,
        "resumed at {:.3} s after pausing at {paused_at:.3} s",
        first.1
    );
}

#[test]
fn without_a_server_it_says_so_or_falls_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let err = PulseOutput::connect_at(&dir.path().join("no-such-socket"))
        .err()
        .expect("no server there");
    assert!(err.contains("PulseAudio"), "{err}");

    // The app's output (`RodioOutput`) then plays through rodio, or reports a clear error if
    // there is no device at all: never a crash.
    let file = wav(dir.path(), "short.wav", 1.0, |_| 0.0);
    let out = Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
        .args(["play", file.to_str().unwrap(), "--duration", "1"])
        .env(
            "PULSE_SERVER",
            format!("unix:{}/none", dir.path().display()),
        )
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("HOME", dir.path())
        .output()
        .expect("run earshot-cli");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let played = stdout.contains(r#""status":"playing""#);
    assert!(
        played || stderr.contains("No audio output device is available"),
        "neither played nor said why: {stdout}\n{stderr}"
    );
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "earshot-cli crashed: {:?}\n{stderr}",
        out.status
    );
}

#[test]
fn track_after_track_with_pauses_and_stops_keeps_playing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    // Stereo, like most episodes.
    let file = wav_ch(dir.path(), "noise.wav", 30.0, 2, |i| {
        ((i.wrapping_mul(2654435761) >> 7) % 1000) as f32 / 2000.0 - 0.25
    });
    let _rec = Recorder::start(&server);
    let p = Player::start(&server);
    let load = |start: f64, autoplay: bool| {
        p.handle.send(PlayerCommand::Load {
            media: Media::File(file.clone()),
            start,
            autoplay,
            token: 1,
        })
    };
    // The latency bench's sequence: loaded paused then Play, Pause; Load with autoplay, Stop.
    for k in 0..3 {
        let at = 1.0 + k as f64 * 4.0;
        load(at, false);
        std::thread::sleep(Duration::from_millis(250));
        p.handle.send(PlayerCommand::Play);
        p.wait_playing_past(at + 0.1);
        std::thread::sleep(Duration::from_millis(300));
        p.handle.send(PlayerCommand::Pause);
        std::thread::sleep(Duration::from_millis(200));
        load(at + 2.0, true);
        p.wait_playing_past(at + 2.1);
        std::thread::sleep(Duration::from_millis(300));
        p.handle.send(PlayerCommand::Stop);
        std::thread::sleep(Duration::from_millis(100));
        let _ = p.events(0.01);
    }
}

/// Threads of this process whose name starts with `prefix` (Linux keeps 15 bytes of it; the
/// client's unnamed reactor thread inherits "earshot-pulse-c" from the connect thread).
fn threads(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| {
        d.filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| c.trim_end().starts_with(prefix))
            })
            .count()
    })
}

/// Events for `secs`, errors included.
fn events_with_errors(p: &Player, secs: f64) -> Vec<PlayerEvent> {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let mut v = Vec::new();
    while let Ok(e) =
        p.rx.recv_timeout(until.saturating_duration_since(Instant::now()))
    {
        v.push(e);
    }
    v
}

fn paused_at(events: &[PlayerEvent]) -> Option<f64> {
    events.iter().find_map(|e| match e {
        PlayerEvent::Status {
            status: PlayerStatus::Paused,
            position,
        } => Some(*position),
        _ => None,
    })
}

#[test]
fn a_lost_server_pauses_where_the_audio_stopped_and_play_connects_again() {
    use earshot::player::AudioError;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let file = tone(dir.path(), 12.0);
    let rec = Recorder::start(&server);
    let since = Instant::now();
    let p = Player::start(&server);
    p.load(&file, 1.0);
    p.wait_playing_past(1.3);
    let before = positions(&p.events(0.4));

    // The server dies mid-playback.
    let killed = Instant::now();
    server.kill();
    let mut error = None;
    let mut paused = None;
    while paused.is_none() && killed.elapsed() < Duration::from_secs(3) {
        match p.rx.recv_timeout(Duration::from_millis(50)) {
            Ok(PlayerEvent::Error { error: e, .. }) => error = Some((e, killed.elapsed())),
            Ok(PlayerEvent::Status {
                status: PlayerStatus::Paused,
                position,
            }) => paused = Some(position),
            _ => {}
        }
    }
    let (error, detected) = error.expect("the lost server is reported");
    let paused = paused.expect("paused after losing the server");
    eprintln!(
        "server killed → error reported in {:.1} ms",
        detected.as_secs_f64() * 1e3
    );
    assert!(
        detected <= Duration::from_secs(1),
        "reported after {detected:?}"
    );
    assert!(matches!(error, AudioError::ConnectionLost(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("Lost the connection to the sound server (PulseAudio): ")
            && message.ends_with("Press play to try again."),
        "{message}"
    );

    // Paused where the audio stopped: the last of the tone the sink played, on the clock of
    // the positions before.
    std::thread::sleep(Duration::from_millis(200));
    let (audio, time_of) = rec.snapshot(since);
    drop(rec);
    let stopped = (0..audio.len())
        .rev()
        .find(|&f| audio[f].abs() > 0.02)
        .map(&time_of)
        .expect("the tone was heard");
    let last = before.last().expect("positions before the kill");
    let heard = last.1 + stopped.duration_since(last.0).as_secs_f64();
    eprintln!(
        "paused at {paused:.3} s; the sink stopped at {heard:.3} s ({:+.1} ms)",
        (paused - heard) * 1e3
    );
    assert!(
        (paused - heard).abs() < 0.05,
        "paused at {paused:.3} s; the audio stopped at {heard:.3} s"
    );
    // Nothing plays on, and no thread of the old connection is left.
    let after = events_with_errors(&p, 0.3);
    assert!(positions(&after).is_empty(), "still playing: {after:?}");
    assert_eq!(
        threads("earshot-pulse-c"),
        0,
        "threads of the lost connection"
    );

    // Play with no server: the clear "no device" error, still paused there.
    p.handle.send(PlayerCommand::Play);
    let events = events_with_errors(&p, 0.5);
    assert!(
        events.iter().any(|e| matches!(
            e,
            PlayerEvent::Error {
                error: AudioError::NoDevice(_),
                ..
            }
        )),
        "{events:?}"
    );
    let again = paused_at(&events).expect("still paused");
    assert!((again - paused).abs() < 0.002, "{again} vs {paused}");

    // A new server at the same socket: Play connects again and resumes from there.
    let launched = Instant::now();
    server.launch();
    let rec = Recorder::start(&server);
    // A new null sink renders its first 2 s block before it takes up the latency parec
    // asks for (its first stream waits that out): a real device does not.
    std::thread::sleep(Duration::from_millis(2200).saturating_sub(launched.elapsed()));
    let since = Instant::now();
    let play = Instant::now();
    p.handle.send(PlayerCommand::Play);
    p.wait_playing_past(paused + 0.05);
    let resumed = positions(&p.events(0.6));
    let first = resumed.first().expect("positions after play");
    assert!(
        first.1 >= paused - 0.01 && first.1 < paused + 0.6,
        "resumed at {:.3} s after losing the server at {paused:.3} s",
        first.1
    );
    let (a, b) = (first, resumed.last().unwrap());
    let rate = (b.1 - a.1) / b.0.duration_since(a.0).as_secs_f64();
    assert!((rate - 1.0).abs() < 0.03, "the clock runs at {rate:.3}×");
    let (audio, time_of) = rec.snapshot(since);
    let flowing = (0..audio.len())
        .find(|&f| audio[f].abs() > 0.05)
        .map(&time_of)
        .expect("the tone plays at the new server's sink");
    eprintln!(
        "play → audio at the new server's sink: {:+.1} ms (the method's bias is ~-5 ms)",
        if flowing >= play {
            flowing.duration_since(play).as_secs_f64() * 1e3
        } else {
            -(play.duration_since(flowing).as_secs_f64() * 1e3)
        }
    );
    assert!(
        flowing >= play - Duration::from_millis(20),
        "tone before play"
    );
    let heard = (0..audio.len())
        .filter(|&f| time_of(f) >= play && audio[f].abs() > 0.05)
        .count() as f64
        / RATE as f64;
    assert!(heard > 0.4, "{heard:.2} s of tone heard after play");
    assert!(threads("earshot-pulse-c") >= 1);
    drop(rec);

    // Gone again, then quit: the player thread and the client's threads end at once.
    server.kill();
    std::thread::sleep(Duration::from_millis(300));
    let _ = events_with_errors(&p, 0.0);
    let quit = Instant::now();
    p.handle.send(PlayerCommand::Shutdown);
    while (threads("earshot-player") > 0 || threads("earshot-pulse-c") > 0)
        && quit.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!("shutdown with the server gone: {:?}", quit.elapsed());
    assert!(
        quit.elapsed() < Duration::from_secs(1),
        "shutdown took {:?}",
        quit.elapsed()
    );
}

#[test]
fn earshot_cli_play_says_so_when_the_server_dies() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = wav(dir.path(), "tone.wav", 10.0, |i| {
        0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin()
    });
    // The app's output (`RodioOutput`: PulseAudio directly when there is a server).
    let mut child = server
        .cmd(env!("CARGO_BIN_EXE_earshot-cli"))
        .args(["play", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run earshot-cli");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut stdout, &mut line).expect("read");
        assert!(n > 0, "earshot-cli ended before playing");
        if line.contains(r#""event":"position""#) && line.contains(r#""playing":true"#) {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let killed = Instant::now();
    server.kill();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if killed.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("earshot-cli went on after the server died: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = killed.elapsed();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    eprintln!("earshot-cli: server killed → exit in {took:?}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Lost the connection to the sound server (PulseAudio)")
            && stderr.contains("Press play to try again."),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}
