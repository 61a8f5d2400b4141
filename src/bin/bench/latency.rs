//! `earshot-bench latency`: what the listener hears, measured at a PulseAudio null sink, side by
//! side with mpv in the same run.
//!
//! The bench starts its own PulseAudio (a null sink, in a private `XDG_RUNTIME_DIR`, like
//! `tests/e2e/run.sh`) and records `null.monitor` with `parec --latency-msec=5` for the whole
//! run, timestamping every read with `Instant` (CLOCK_MONOTONIC) in this process. The sink time
//! of a recorded frame is the lower envelope of `read time - frames so far / 44100` over the
//! reads within ±1 s (a read can only be late). Test audio is generated white noise (an MP3), so
//! any 12 ms of it identifies its place in the file: events are found by normalized
//! cross-correlation of the recording with the file as Earshot's decoder decodes it, never by a
//! level threshold.
//!
//! 1. play → the first sample at the sink, the player already running: Earshot's engine (this
//!    process, `RodioOutput`: PulseAudio directly, or rodio/cpal with `EARSHOT_OUTPUT=rodio`)
//!    loaded paused then `Play`, or `Load` with autoplay; mpv (`--idle`, JSON IPC) `set pause no` on a loaded file, or `loadfile`. Also
//!    spawning the player (`earshot-cli play` vs `mpv <file>`).
//! 2. an exact seek while playing → the new position at the sink.
//! 3. position error: Earshot's reported position (and the UI's interpolation from Position
//!    events) minus the media position heard at the sink at that instant, at 1× and 2×.
//! 4. CPU of steady playback at 1× and 2× (`earshot-cli play` vs mpv with scaletempo2), from
//!    /proc/<pid>/stat, with the PulseAudio daemon's CPU beside each.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use earshot::player::decode::Decoder;
use earshot::player::{self, Media, PlayerCommand, PlayerEvent, PlayerHandle, RodioOutput};

const RATE: f64 = 44_100.0;
/// The recorder's first seconds are not used for timing: the null sink hands over a backlog of
/// mixed silence when a recording starts.
const RECORDER_WARMUP: f64 = 2.5;
/// Latency templates start this far into the new audio (past any decoder warm-up) and are
/// projected back: the result is when the target frame itself was at the sink.
const LEAD: f64 = 0.1;
const TEMPLATE: usize = 4096;

pub struct Options {
    pub runs: usize,
    pub spawn_runs: usize,
    pub cpu_secs: f64,
    pub cpu_file: PathBuf,
}

// ---------------------------------------------------------------------------------------------
// PulseAudio and the recorder

struct Pulse {
    dir: PathBuf,
}

impl Pulse {
    fn start() -> Result<Pulse, String> {
        let dir =
            std::env::temp_dir().join(format!("earshot-bench-latency-{}", std::process::id()));
        let run = dir.join("run");
        std::fs::create_dir_all(&run).map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700));
        // Still one thread here: setting the environment is safe. Children (parec, mpv,
        // earshot-cli) and this process's own audio output all find this server through it.
        std::env::set_var("XDG_RUNTIME_DIR", &run);
        std::env::set_var(
            "PULSE_SERVER",
            format!("unix:{}/pulse/native", run.display()),
        );
        std::env::remove_var("PULSE_RUNTIME_PATH");
        let status = Command::new("pulseaudio")
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
                dir.join("pulse.log").display()
            ))
            .status()
            .map_err(|e| format!("pulseaudio: {e} (install pulseaudio)"))?;
        if !status.success() {
            return Err("pulseaudio did not start".into());
        }
        let pulse = Pulse { dir };
        let socket = run.join("pulse/native");
        let until = Instant::now() + Duration::from_secs(5);
        while !socket.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !socket.exists() {
            return Err("pulseaudio's socket did not appear".into());
        }
        Ok(pulse)
    }

    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("run/pulse/pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = Command::new("pulseaudio")
            .arg("--kill")
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Default)]
struct RecData {
    /// Mono (mean of both channels), -1..1.
    mono: Vec<f32>,
    /// (frames recorded so far, read time in seconds since the bench's base instant).
    reads: Vec<(u64, f64)>,
}

struct Recorder {
    child: Child,
    data: Arc<Mutex<RecData>>,
    /// When the recorder started (seconds since base).
    started: f64,
}

impl Recorder {
    fn start(base: Instant) -> Result<Recorder, String> {
        let mut child = Command::new("parec")
            .args([
                "--latency-msec=5",
                "--format=s16le",
                "--rate=44100",
                "--channels=2",
                "-d",
                "null.monitor",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("parec: {e} (install pulseaudio-utils)"))?;
        let mut out = child.stdout.take().expect("piped");
        let data = Arc::new(Mutex::new(RecData::default()));
        let shared = data.clone();
        std::thread::Builder::new()
            .name("parec-reader".into())
            .spawn(move || {
                let mut buf = vec![0u8; 16384];
                let mut carry: Vec<u8> = Vec::new();
                let mut mono = Vec::new();
                loop {
                    let n = match out.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let t = base.elapsed().as_secs_f64();
                    carry.extend_from_slice(&buf[..n]);
                    let frames = carry.len() / 4;
                    mono.clear();
                    for f in carry[..frames * 4].chunks_exact(4) {
                        let l = i16::from_le_bytes([f[0], f[1]]) as f32;
                        let r = i16::from_le_bytes([f[2], f[3]]) as f32;
                        mono.push((l + r) / 65536.0);
                    }
                    carry.drain(..frames * 4);
                    let mut d = shared.lock().expect("recorder lock");
                    d.mono.extend_from_slice(&mono);
                    let total = d.mono.len() as u64;
                    d.reads.push((total, t));
                }
            })
            .expect("spawn recorder thread");
        Ok(Recorder {
            child,
            data,
            started: base.elapsed().as_secs_f64(),
        })
    }

    fn clock(&self) -> Clock {
        let reads = self.data.lock().expect("recorder lock").reads.clone();
        Clock::new(reads, self.started + RECORDER_WARMUP)
    }

    /// Recorded frames `a..b` (clamped to what there is).
    fn slice(&self, a: usize, b: usize) -> Vec<f32> {
        let d = self.data.lock().expect("recorder lock");
        let b = b.min(d.mono.len());
        d.mono[a.min(b)..b].to_vec()
    }

    /// Waits until the recording reaches `t` (seconds since base).
    fn wait_until(&self, base: Instant, t: f64) {
        let limit = Instant::now() + Duration::from_secs(10);
        loop {
            let last = self
                .data
                .lock()
                .expect("recorder lock")
                .reads
                .last()
                .map_or(0.0, |r| r.1);
            if last >= t || Instant::now() > limit {
                return;
            }
            let ahead = (t - base.elapsed().as_secs_f64()).max(0.005);
            std::thread::sleep(Duration::from_secs_f64(ahead.min(0.1)));
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Maps recorded frames to sink time and back.
struct Clock {
    reads: Vec<(u64, f64)>,
    /// Reads before this are not used (the start-up backlog).
    from: usize,
}

impl Clock {
    fn new(reads: Vec<(u64, f64)>, warm: f64) -> Clock {
        let from = reads.partition_point(|r| r.1 < warm);
        Clock { reads, from }
    }

    /// `time - frame / rate` for frames recorded around `t`: the lower envelope of the reads
    /// within ±1 s (a read may be late, never early).
    fn offset(&self, t: f64) -> f64 {
        let r = &self.reads[self.from..];
        if r.is_empty() {
            return self.reads.last().map_or(0.0, |x| x.1 - x.0 as f64 / RATE);
        }
        let a = r.partition_point(|x| x.1 < t - 1.0);
        let b = r.partition_point(|x| x.1 <= t + 1.0);
        let window = if a < b { &r[a..b] } else { r };
        window
            .iter()
            .map(|x| x.1 - x.0 as f64 / RATE)
            .fold(f64::INFINITY, f64::min)
    }

    /// How late reads come after the envelope (ms): median and p95, for the method line.
    fn read_lag_ms(&self) -> (f64, f64) {
        let mut lag: Vec<f64> = self.reads[self.from..]
            .iter()
            .map(|x| (x.1 - x.0 as f64 / RATE - self.offset(x.1)) * 1e3)
            .collect();
        if lag.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        lag.sort_by(f64::total_cmp);
        (pct(&lag, 0.5), pct(&lag, 0.95))
    }

    /// The recorded frame that was at the sink at `t`.
    fn frame_at(&self, t: f64) -> f64 {
        (t - self.offset(t)) * RATE
    }

    /// When recorded frame `f` was at the sink.
    fn time_of(&self, f: f64) -> f64 {
        let rough = f / RATE + self.offset(f64::MAX / 4.0);
        let rough = if rough.is_finite() { rough } else { f / RATE };
        f / RATE + self.offset(rough)
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-correlation

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Where `needle` fits best in `hay`: (offset, normalized cross-correlation -1..1).
fn best_match(needle: &[f32], hay: &[f32]) -> (usize, f32) {
    let n = needle.len();
    if n == 0 || hay.len() < n {
        return (0, 0.0);
    }
    let ne = needle
        .iter()
        .map(|x| (*x as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let mut prefix = Vec::with_capacity(hay.len() + 1);
    prefix.push(0.0f64);
    let mut acc = 0.0;
    for x in hay {
        acc += (*x as f64).powi(2);
        prefix.push(acc);
    }
    let mut best = (0, f32::MIN);
    for off in 0..=hay.len() - n {
        let e = (prefix[off + n] - prefix[off]).max(0.0).sqrt();
        if e < 1e-6 {
            continue;
        }
        let ncc = (dot(needle, &hay[off..off + n]) as f64 / (ne * e + 1e-12)) as f32;
        if ncc > best.1 {
            best = (off, ncc);
        }
    }
    best
}

/// The recording, the clock and the file, for finding things at the sink.
struct Sink<'a> {
    rec: &'a Recorder,
    base: Instant,
    reference: &'a [f32],
}

/// When media second `media` was at the sink, looking at `from..from + span` (seconds since
/// base). `heard` is the timeline (the frame's own time); `first_ok` the start of the first
/// 6 ms of the new audio that matches the file (ncc ≥ 0.5), later than `heard` when a player
/// plays warm-up or silence first.
struct Found {
    heard: f64,
    first_ok: f64,
}

impl Sink<'_> {
    fn now(&self) -> f64 {
        self.base.elapsed().as_secs_f64()
    }

    fn when_heard(&self, clock: &Clock, media: f64, from: f64, span: f64) -> Option<Found> {
        let m0 = ((media + LEAD) * RATE).round() as usize;
        let needle = self.reference.get(m0..m0 + TEMPLATE)?;
        let lo = clock.frame_at(from - 0.02).max(0.0) as usize;
        let hi = clock.frame_at(from + span + LEAD) as usize + TEMPLATE;
        let hay = self.rec.slice(lo, hi);
        let (off, ncc) = best_match(needle, &hay);
        if ncc < 0.3 {
            return None;
        }
        let at_frame = (lo + off) as f64 - LEAD * RATE;
        let heard = clock.time_of(at_frame);
        // The first window of the new audio that is the file's audio.
        let (w, step) = (256usize, 64usize);
        let start = at_frame.round().max(0.0) as usize;
        let mut first_ok = None;
        let rec = self
            .rec
            .slice(start, start + (LEAD * RATE) as usize + TEMPLATE);
        let mstart = (media * RATE).round() as usize;
        let mut k = 0;
        while k + w <= rec.len() {
            if let Some(r) = self.reference.get(mstart + k..mstart + k + w) {
                let (_, c) = best_match(r, &rec[k..k + w]);
                if c >= 0.5 {
                    first_ok = Some(clock.time_of((start + k) as f64));
                    break;
                }
            }
            k += step;
        }
        Some(Found {
            heard,
            first_ok: first_ok.unwrap_or(heard),
        })
    }

    /// The media second heard at the sink at time `t`, searched within `guess ± range`.
    fn heard_at(&self, clock: &Clock, t: f64, guess: f64, range: f64) -> Option<f64> {
        let w = 512usize;
        let k = clock.frame_at(t).round() as i64 - (w / 2) as i64;
        if k < 0 {
            return None;
        }
        let window = self.rec.slice(k as usize, k as usize + w);
        if window.len() < w {
            return None;
        }
        let lo = ((guess - range) * RATE).max(0.0) as usize;
        let hi = (((guess + range) * RATE) as usize + w).min(self.reference.len());
        let (off, ncc) = best_match(&window, self.reference.get(lo..hi)?);
        (ncc >= 0.3).then(|| (lo + off + w / 2) as f64 / RATE)
    }
}

// ---------------------------------------------------------------------------------------------
// The players

struct Ours {
    handle: PlayerHandle,
    rx: Receiver<PlayerEvent>,
}

impl Ours {
    fn start() -> Ours {
        let (tx, rx) = crossbeam_channel::unbounded();
        let handle = player::spawn(Box::new(RodioOutput::default()), tx);
        Ours { handle, rx }
    }
    fn load(&self, file: &Path, start: f64, autoplay: bool, token: u64) {
        self.handle.send(PlayerCommand::Load {
            media: Media::File(file.to_path_buf()),
            start,
            autoplay,
            token,
        });
    }
    /// Waits (up to 3 s) for an event `pred` accepts, dropping the others.
    fn wait(&self, pred: impl Fn(&PlayerEvent) -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(3);
        while let Ok(e) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            if let PlayerEvent::Error { error, .. } = &e {
                eprintln!("earshot: {error}");
                return false;
            }
            if pred(&e) {
                return true;
            }
        }
        false
    }
    fn drain(&self) -> Vec<PlayerEvent> {
        self.rx.try_iter().collect()
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        self.handle.send(PlayerCommand::Shutdown);
    }
}

struct Mpv {
    child: Child,
    sock: UnixStream,
    events: Receiver<serde_json::Value>,
}

const MPV_ARGS: [&str; 5] = [
    "--no-config",
    "--ao=pulse",
    "--no-video",
    "--audio-display=no",
    "--hr-seek=yes",
];

impl Mpv {
    fn start(dir: &Path) -> Option<Mpv> {
        let path = dir.join("mpv.sock");
        let child = Command::new("mpv")
            .args(MPV_ARGS)
            .args(["--idle=yes", "--really-quiet"])
            .arg(format!("--input-ipc-server={}", path.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let until = Instant::now() + Duration::from_secs(5);
        let sock = loop {
            if let Ok(s) = UnixStream::connect(&path) {
                break s;
            }
            if Instant::now() > until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (tx, events) = crossbeam_channel::unbounded();
        let reader = BufReader::new(sock.try_clone().ok()?);
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if v.get("event").is_some() && tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        Some(Mpv {
            child,
            sock,
            events,
        })
    }
    fn cmd(&mut self, args: serde_json::Value) {
        let line = serde_json::json!({ "command": args }).to_string() + "\n";
        let _ = self.sock.write_all(line.as_bytes());
    }
    fn drain(&self) {
        while self.events.try_recv().is_ok() {}
    }
    fn wait_event(&self, name: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(3);
        while let Ok(e) = self
            .events
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            if e["event"] == name {
                return true;
            }
        }
        false
    }
}

impl Drop for Mpv {
    fn drop(&mut self) {
        self.cmd(serde_json::json!(["quit"]));
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sleep(secs: f64) {
    std::thread::sleep(Duration::from_secs_f64(secs));
}

// ---------------------------------------------------------------------------------------------
// Statistics and printing

fn pct(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted[i]
}

fn summary(v: &[f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Some((pct(&s, 0.5), pct(&s, 0.95), s[s.len() - 1]))
}

fn cell(v: &[f64], wanted: usize) -> String {
    match summary(v) {
        Some((m, p, _)) => {
            let missed = if v.len() < wanted {
                format!(" ({}/{wanted})", v.len())
            } else {
                String::new()
            };
            format!("{:>7.1} {:>7.1}{missed}", m * 1e3, p * 1e3)
        }
        None => format!("{:>15}", "n/a"),
    }
}

fn row(name: &str, ours: &[f64], mpv: &[f64], wanted: usize) {
    println!(
        "{name:<46} {:<22} {:<22}",
        cell(ours, wanted),
        cell(mpv, wanted)
    );
}

// ---------------------------------------------------------------------------------------------
// Files and binaries

/// Two minutes of white noise (amplitude 0.3, the same in both channels), VBR MP3 with a LAME
/// tag; generated once with ffmpeg and cached in the temp folder.
fn noise_file() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("earshot-bench-latency");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("noise-120s.mp3");
    if path.exists() {
        return Ok(path);
    }
    let part = dir.join("noise-120s.part.mp3");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg("anoisesrc=color=white:amplitude=0.3:duration=120:sample_rate=44100:seed=7")
        .args(["-ac", "2", "-c:a", "libmp3lame", "-q:a", "4"])
        .arg(&part)
        .status()
        .map_err(|e| format!("ffmpeg: {e} (install ffmpeg)"))?;
    if !status.success() {
        return Err("ffmpeg failed to make the test file".into());
    }
    std::fs::rename(&part, &path).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The file as Earshot's decoder decodes it, mono.
fn decode_mono(path: &Path) -> Result<Vec<f32>, String> {
    let mut d = Decoder::open(path).map_err(|e| e.to_string())?;
    if d.sample_rate != RATE as u32 {
        return Err(format!("{} is not 44.1 kHz", path.display()));
    }
    let ch = d.channels.max(1) as usize;
    let mut out = Vec::new();
    while let Some(p) = d.next_pcm().map_err(|e| e.to_string())? {
        let start = p.start as usize;
        if out.len() < start {
            out.resize(start, 0.0);
        }
        out.truncate(start);
        out.extend(
            p.samples
                .chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() / ch as f32),
        );
    }
    Ok(out)
}

/// `earshot-cli` beside this binary; built (same profile) if it is not there.
fn earshot_cli() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let cli = exe.with_file_name("earshot-cli");
    if !cli.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["build", "-p", "earshot", "--bin", "earshot-cli"]);
        if !cfg!(debug_assertions) {
            c.arg("--release");
        }
        println!("building earshot-cli for the spawn and CPU measures…");
        let _ = c.status();
    }
    cli.exists().then_some(cli)
}

/// utime + stime of a process, seconds.
fn proc_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    Some((f.get(11)? + f.get(12)?) as f64 / 100.0)
}

// ---------------------------------------------------------------------------------------------
// The bench

pub fn bench_latency(opts: Options) {
    let began = Instant::now();
    let pulse = match Pulse::start() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("earshot-bench latency: {e}");
            std::process::exit(1);
        }
    };
    let file = match noise_file() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("earshot-bench latency: {e}");
            std::process::exit(1);
        }
    };
    let reference = decode_mono(&file).unwrap_or_else(|e| {
        eprintln!("earshot-bench latency: {e}");
        std::process::exit(1);
    });
    let base = Instant::now();
    let rec = match Recorder::start(base) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("earshot-bench latency: {e}");
            std::process::exit(1);
        }
    };
    let sink = Sink {
        rec: &rec,
        base,
        reference: &reference,
    };
    let mpv_version = Command::new("mpv")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split(" Copyright").next().unwrap_or(l).to_string())
        });
    let runs = opts.runs;
    println!(
        "latency: private PulseAudio null sink; {} ({:.0} s white noise MP3); {runs} runs, \
         {} spawn runs; earshot {} build; {}",
        file.display(),
        reference.len() as f64 / RATE,
        opts.spawn_runs,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        mpv_version
            .as_deref()
            .unwrap_or("mpv not installed (apt-get install mpv): no peer column")
    );
    println!(
        "method: parec --latency-msec=5 records null.monitor from {RECORDER_WARMUP} s before; reads \
         timestamped with Instant (CLOCK_MONOTONIC) here, frame time = lower envelope of \
         read time - frames/44100 (±1 s); events found by normalized cross-correlation with the \
         decoded file (target frame located via the {:.0} ms of audio {:.0} ms after it), not a threshold",
        TEMPLATE as f64 / RATE * 1e3,
        LEAD * 1e3
    );
    let direct = std::env::var("EARSHOT_OUTPUT").map_or(true, |v| v != "rodio")
        && earshot::player::pulse::PulseOutput::connect().is_ok();
    println!(
        "earshot output: {}",
        if direct {
            "PulseAudio directly (src/player/pulse.rs; EARSHOT_OUTPUT=rodio measures rodio/cpal)"
        } else {
            "rodio's mixer on cpal's PulseAudio host (EARSHOT_OUTPUT=rodio)"
        }
    );
    sleep(RECORDER_WARMUP + 0.2);

    let ours = Ours::start();
    let mut mpv = Mpv::start(&pulse.dir);
    let fpath = file.to_string_lossy().to_string();
    // Distinct start points, so one run's audio can never match another's.
    let play_at = |i: usize| 3.0 + i as f64 * 2.1;

    // --- 1. Play, the player already running ---------------------------------------------------
    let mut cmds: Vec<(&str, f64, f64)> = Vec::new(); // (what, media, command time)
                                                      // A first play opens the device: measured separately, not in the medians.
    {
        ours.load(&file, 1.0, false, 1);
        ours.wait(|e| {
            matches!(
                e,
                PlayerEvent::Status {
                    status: player::PlayerStatus::Paused,
                    ..
                }
            )
        });
        sleep(0.25);
        cmds.push(("ours-first", 1.0, sink.now()));
        ours.handle.send(PlayerCommand::Play);
        sleep(0.6);
        ours.handle.send(PlayerCommand::Pause);
        if let Some(m) = mpv.as_mut() {
            m.cmd(serde_json::json!(["set_property", "pause", true]));
            m.cmd(serde_json::json!(["loadfile", fpath, "replace", "start=2"]));
            m.wait_event("playback-restart");
            sleep(0.25);
            cmds.push(("mpv-first", 2.0, sink.now()));
            m.cmd(serde_json::json!(["set_property", "pause", false]));
            sleep(0.6);
            m.cmd(serde_json::json!(["set_property", "pause", true]));
        }
        sleep(0.2);
    }
    for i in 0..runs {
        // Loaded and paused, then Play.
        let p = play_at(2 * i);
        ours.load(&file, p, false, 10 + i as u64);
        ours.wait(|e| {
            matches!(
                e,
                PlayerEvent::Status {
                    status: player::PlayerStatus::Paused,
                    ..
                }
            )
        });
        sleep(0.25);
        cmds.push(("ours-play", p, sink.now()));
        ours.handle.send(PlayerCommand::Play);
        sleep(0.45);
        ours.handle.send(PlayerCommand::Pause);
        sleep(0.1);
        if let Some(m) = mpv.as_mut() {
            m.cmd(serde_json::json!(["set_property", "pause", true]));
            m.drain();
            m.cmd(serde_json::json!([
                "loadfile",
                fpath,
                "replace",
                format!("start={p}")
            ]));
            m.wait_event("playback-restart");
            sleep(0.25);
            cmds.push(("mpv-play", p, sink.now()));
            m.cmd(serde_json::json!(["set_property", "pause", false]));
            sleep(0.45);
            m.cmd(serde_json::json!(["set_property", "pause", true]));
            sleep(0.1);
        }
        // Load and play at once.
        let p = play_at(2 * i + 1);
        cmds.push(("ours-load", p, sink.now()));
        ours.load(&file, p, true, 100 + i as u64);
        sleep(0.45);
        ours.handle.send(PlayerCommand::Stop);
        sleep(0.1);
        if let Some(m) = mpv.as_mut() {
            m.cmd(serde_json::json!(["stop"]));
            m.cmd(serde_json::json!(["set_property", "pause", false]));
            sleep(0.15);
            cmds.push(("mpv-load", p, sink.now()));
            m.cmd(serde_json::json!([
                "loadfile",
                fpath,
                "replace",
                format!("start={p}")
            ]));
            sleep(0.45);
            m.cmd(serde_json::json!(["stop"]));
            sleep(0.1);
        }
    }

    // Spawning the player.
    let cli = earshot_cli();
    for i in 0..opts.spawn_runs {
        let p = 60.0 + i as f64 * 2.5;
        if let Some(cli) = &cli {
            let t = sink.now();
            let child = Command::new(cli)
                .args([
                    "play",
                    &fpath,
                    "--start",
                    &p.to_string(),
                    "--duration",
                    "0.9",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            if let Ok(mut c) = child {
                cmds.push(("ours-spawn", p, t));
                let _ = c.wait();
            }
            sleep(0.15);
        }
        if mpv.is_some() {
            let p = p + 1.2;
            let t = sink.now();
            let child = Command::new("mpv")
                .args(MPV_ARGS)
                .args(["--really-quiet", &format!("--start={p}"), "--length=0.9"])
                .arg(&file)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            if let Ok(mut c) = child {
                cmds.push(("mpv-spawn", p, t));
                let _ = c.wait();
            }
            sleep(0.15);
        }
    }

    // --- 2. Seeks while playing ------------------------------------------------------------------
    let seek_to = |k: usize| 80.0 + k as f64 * 3.3;
    ours.load(&file, 20.0, true, 1000);
    sleep(1.0);
    for k in 0..runs {
        cmds.push(("ours-seek", seek_to(k), sink.now()));
        ours.handle.send(PlayerCommand::Seek(seek_to(k)));
        sleep(0.4);
    }
    ours.handle.send(PlayerCommand::Stop);
    if let Some(m) = mpv.as_mut() {
        m.cmd(serde_json::json!(["set_property", "pause", false]));
        m.drain();
        m.cmd(serde_json::json!([
            "loadfile", fpath, "replace", "start=40"
        ]));
        m.wait_event("playback-restart");
        sleep(1.0);
        for k in 0..runs {
            // Shifted by half a second from ours: both sets of targets are distinct audio.
            let b = seek_to(k) + 0.5;
            cmds.push(("mpv-seek", b, sink.now()));
            m.cmd(serde_json::json!(["seek", b, "absolute+exact"]));
            sleep(0.4);
        }
        m.cmd(serde_json::json!(["stop"]));
    }
    sleep(0.2);

    // --- 3. Position events while playing, 1× and 2× ---------------------------------------------
    let mut position_runs = Vec::new();
    for (speed, start) in [(1.0f32, 10.0), (2.0, 30.0)] {
        ours.handle.send(PlayerCommand::SetSpeed(speed));
        ours.load(&file, start, true, 2000 + speed as u64);
        sleep(1.0);
        ours.drain();
        sleep(5.0);
        let events: Vec<(f64, f64, f64)> = ours
            .drain()
            .into_iter()
            .filter_map(|e| match e {
                PlayerEvent::Position {
                    position,
                    playing: true,
                    at,
                    speed,
                    ..
                } => Some((
                    at.duration_since(base).as_secs_f64(),
                    position,
                    speed as f64,
                )),
                _ => None,
            })
            .collect();
        ours.handle.send(PlayerCommand::Stop);
        position_runs.push((speed, events));
        sleep(0.2);
    }
    ours.handle.send(PlayerCommand::SetSpeed(1.0));

    // --- analysis of 1–3 ---------------------------------------------------------------------
    rec.wait_until(base, sink.now() + 1.1);
    let clock = rec.clock();
    let mut lat: std::collections::HashMap<&str, (Vec<f64>, Vec<f64>)> = Default::default();
    for (what, media, t) in &cmds {
        let span = if what.ends_with("spawn") { 1.0 } else { 0.45 };
        let e = lat.entry(*what).or_default();
        if let Some(f) = sink.when_heard(&clock, *media, *t, span) {
            e.0.push(f.heard - t);
            e.1.push(f.first_ok - t);
        }
    }
    let get = |k: &str| lat.get(k).map(|v| v.0.clone()).unwrap_or_default();
    let get_ok = |k: &str| lat.get(k).map(|v| v.1.clone()).unwrap_or_default();
    let (lag50, lag95) = clock.read_lag_ms();
    println!(
        "clock: {} parec reads; a read comes {lag50:.1} ms (median; p95 {lag95:.1}) after the \
         envelope, so sink times are good to a few ms",
        clock.reads.len() - clock.from
    );
    println!();
    println!(
        "{:<46} {:<22} {:<22}",
        "ms, command → target frame at the sink", "earshot median   p95", "mpv median   p95"
    );
    let single = |k: &str| {
        get(k)
            .first()
            .map_or("n/a".to_string(), |v| format!("{:.1}", v * 1e3))
    };
    println!(
        "{:<46} {:<22} {:<22}",
        "first play after start (earshot opens output)",
        format!("{:>7}", single("ours-first")),
        format!("{:>7}", single("mpv-first"))
    );
    row(
        "play, loaded paused (Play / set pause no)",
        &get("ours-play"),
        &get("mpv-play"),
        runs,
    );
    row(
        "load + play (Load autoplay / loadfile)",
        &get("ours-load"),
        &get("mpv-load"),
        runs,
    );
    row(
        "spawn the player (earshot-cli play / mpv f)",
        &get("ours-spawn"),
        &get("mpv-spawn"),
        opts.spawn_runs,
    );
    row(
        "exact seek while playing (Seek / seek exact)",
        &get("ours-seek"),
        &get("mpv-seek"),
        runs,
    );
    row(
        "  same, to the first 6 ms matching the file",
        &get_ok("ours-seek"),
        &get_ok("mpv-seek"),
        runs,
    );
    row(
        "  play (paused), first 6 ms matching the file",
        &get_ok("ours-play"),
        &get_ok("mpv-play"),
        runs,
    );

    println!();
    println!(
        "{:<46} {:>7} {:>7} {:>7} {:>9} {:>5}",
        "position error, ms (reported − heard)", "|med|", "|p95|", "|max|", "signed med", "n"
    );
    let mut bias_1x = None;
    for (speed, events) in &position_runs {
        let mut reported = Vec::new();
        let mut interpolated = Vec::new();
        for (i, (at, pos, sp)) in events.iter().enumerate() {
            if let Some(h) = sink.heard_at(&clock, *at, *pos, 0.4) {
                reported.push(pos - h);
            }
            if let Some((next_at, _, _)) = events.get(i + 1) {
                for frac in [0.25, 0.5, 0.75] {
                    let t = at + (next_at - at) * frac;
                    let predicted = pos + (t - at) * sp;
                    if let Some(h) = sink.heard_at(&clock, t, predicted, 0.4) {
                        interpolated.push(predicted - h);
                    }
                }
            }
        }
        for (name, v) in [
            ("reported position", &reported),
            ("UI-interpolated", &interpolated),
        ] {
            let abs: Vec<f64> = v.iter().map(|x| x.abs()).collect();
            let mut signed = v.clone();
            signed.sort_by(f64::total_cmp);
            match summary(&abs) {
                Some((m, p, mx)) => {
                    let med = pct(&signed, 0.5);
                    if *speed == 1.0 && name.starts_with("reported") {
                        bias_1x = Some(med);
                    }
                    println!(
                        "{:<46} {:>7.1} {:>7.1} {:>7.1} {:>+9.1} {:>5}",
                        format!("{speed}× {name}"),
                        m * 1e3,
                        p * 1e3,
                        mx * 1e3,
                        med * 1e3,
                        v.len()
                    );
                }
                None => println!("{:<46} n/a", format!("{speed}× {name}")),
            }
        }
    }
    println!("(goal: |error| ≤ 20 ms; a positive error means the reported position runs ahead of the audio)");
    if let Some(b) = bias_1x {
        println!(
            "at 1× the reported position runs {:+.1} ms (median) ahead of what the sink plays: {}",
            b * 1e3,
            if direct {
                "the clock also counts the sink's latency (the null sink renders ahead of its \
                 own clock and the monitor records at render; a real device plays that late)"
            } else {
                "output latency the engine's correction does not count"
            }
        );
    }
    drop(ours);
    drop(mpv);

    // --- 4. CPU of steady playback -----------------------------------------------------------------
    println!();
    println!(
        "CPU of steady playback, % of one core over {:.0} s ({}; after 2 s)    earshot   mpv    (PulseAudio daemon: earshot / mpv)",
        opts.cpu_secs,
        opts.cpu_file.display()
    );
    let cpu_of = |mut c: Command| -> Option<(f64, f64)> {
        let mut child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
        let pid = child.id();
        sleep(2.0);
        let pa = pulse.pid();
        let (c0, p0, t0) = (proc_cpu(pid), pa.and_then(proc_cpu), Instant::now());
        sleep(opts.cpu_secs);
        let (c1, p1, wall) = (
            proc_cpu(pid),
            pa.and_then(proc_cpu),
            t0.elapsed().as_secs_f64(),
        );
        let alive = child.try_wait().ok().flatten().is_none();
        let _ = child.kill();
        let _ = child.wait();
        if !alive {
            return None;
        }
        Some((
            (c1? - c0?) / wall * 100.0,
            p1.zip(p0).map_or(f64::NAN, |(a, b)| (a - b) / wall * 100.0),
        ))
    };
    // PulseAudio with only the recorder running, for scale.
    if let Some(pa) = pulse.pid() {
        let (p0, t0) = (proc_cpu(pa), Instant::now());
        sleep(3.0);
        if let (Some(a), Some(b)) = (p0, proc_cpu(pa)) {
            println!(
                "{:<46} {:>8} {:>6}    ({:.2} idle, parec only)",
                "nothing playing",
                "",
                "",
                (b - a) / t0.elapsed().as_secs_f64() * 100.0
            );
        }
    }
    let fmt = |v: Option<(f64, f64)>, i: usize| {
        v.map_or("n/a".to_string(), |x| {
            format!("{:.2}", if i == 0 { x.0 } else { x.1 })
        })
    };
    let total = format!("{}", opts.cpu_secs + 4.0);
    for speed in [1.0f32, 2.0] {
        let ours_cpu = cli.as_ref().and_then(|cli| {
            let mut c = Command::new(cli);
            c.arg("play").arg(&opts.cpu_file).args([
                "--speed",
                &speed.to_string(),
                "--duration",
                &total,
            ]);
            cpu_of(c)
        });
        let mpv_cpu = mpv_version.as_ref().and_then(|_| {
            let mut c = Command::new("mpv");
            c.args(MPV_ARGS)
                .args(["--really-quiet", &format!("--speed={speed}")])
                .arg(&opts.cpu_file);
            if speed != 1.0 {
                c.arg("--af=scaletempo2");
            }
            cpu_of(c)
        });
        println!(
            "{:<46} {:>8} {:>6}    ({} / {})",
            format!(
                "{speed}× (earshot-cli play{} / mpv{})",
                if speed != 1.0 { " --speed 2" } else { "" },
                if speed != 1.0 {
                    " --speed=2 --af=scaletempo2"
                } else {
                    ""
                }
            ),
            fmt(ours_cpu, 0),
            fmt(mpv_cpu, 0),
            fmt(ours_cpu, 1),
            fmt(mpv_cpu, 1)
        );
    }
    println!("(goal at 1×: ≤ 2 % of a core)");
    drop(rec);
    drop(pulse);
    println!(
        "latency bench done in {:.0} s",
        began.elapsed().as_secs_f64()
    );
}
