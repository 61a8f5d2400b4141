//! `earshot-cli`: Earshot's core without a window. Every subcommand prints JSON on stdout;
//! errors go to stderr with a non-zero exit status.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use earshot::feed::{self, FeedError, ParsedFeed};
use earshot::fetch::{Fetched, Http, Validators, MAX_FEED_BYTES};
use earshot::{chapters, transcript, Error};

#[derive(Parser)]
#[command(
    name = "earshot-cli",
    version,
    about = "Earshot's podcast core, headless"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play a file or URL headless on the default output device, printing one JSON line per
    /// player event (position lines several times a second) with milliseconds since start.
    Play {
        /// An audio file or an http(s) URL.
        source: String,
        /// Start here (seconds).
        #[arg(long, default_value_t = 0.0)]
        start: f64,
        /// Stop after this many seconds of wall time (default: play to the end).
        #[arg(long)]
        duration: Option<f64>,
        /// Playback speed, 0.5–3, pitch kept (1: the decoded samples untouched).
        #[arg(long, default_value_t = 1.0)]
        speed: f32,
        /// Volume, 0–1.5.
        #[arg(long, default_value_t = 1.0)]
        volume: f32,
        /// Shorten pauses longer than 0.6 s to 0.3 s.
        #[arg(long)]
        skip_silence: bool,
        /// Level the loudness toward -16 LUFS.
        #[arg(long)]
        levelling: bool,
    },
    /// Parse a transcript — WebVTT, SRT, Podcasting 2.0 JSON, HTML or plain text, found from
    /// the extension, else the content — and print its segments as `{start, end, speaker, text,
    /// estimated}` (with `words` when the file times words). HTML and text transcripts without
    /// times get estimated times (about 15 characters a second, between the times they give).
    ///
    /// With `--audio`, an untimed transcript (HTML, text) is aligned to the audio (its segments
    /// then say `estimated: false` where their start was found in it), and a timed one is
    /// checked for drift (an ad inserted or removed) and corrected, with a `drift` report.
    Transcript {
        file: PathBuf,
        /// The episode's audio: align an untimed transcript to it, or correct a timed one's drift.
        #[arg(long)]
        audio: Option<PathBuf>,
        /// Chapters (any file `chapters` reads) whose starts help alignment.
        #[arg(long, requires = "audio")]
        chapters: Option<PathBuf>,
        /// Print JSON (the only output format so far; accepted for forward compatibility).
        #[arg(long)]
        json: bool,
    },
    /// Fetch (http/https) or read (a file) a podcast feed and print what Earshot understands
    /// of it: the podcast, and its episodes with enclosure, duration, chapters and transcripts.
    Feed {
        /// A feed URL (or a web page linking its feed), or a path to a feed file.
        source: String,
        #[arg(long)]
        json: bool,
    },
    /// Find the chapters in a file and say where they come from: audio (ID3 CHAP, MP4 chapter
    /// track or Nero chpl, Vorbis CHAPTERxxx comments), Podcasting 2.0 chapters JSON, show notes
    /// (HTML or text), or a feed item / feed (its first item's show notes; its chapters URL is
    /// printed as `chaptersUrl`, not fetched).
    Chapters {
        /// An audio file, a chapters.json, show notes (.html/.txt) or a feed item (.xml).
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Download a URL into a folder with the app's download manager (resume by Range, retries
    /// with backoff, `.part` renamed when complete) and print `{path, size, sha256}`. A `.part`
    /// of the same URL left in the folder by an earlier, interrupted run is resumed.
    Download {
        url: String,
        dir: PathBuf,
        /// Name the file from this (e.g. the episode title) rather than from the URL.
        #[arg(long, default_value = "")]
        name: String,
        /// Attempts that may fail in a row without progress (1: no retry).
        #[arg(long, default_value_t = 8)]
        attempts: u32,
        /// Seconds without a byte before an attempt is abandoned and retried.
        #[arg(long, default_value_t = 30.0)]
        stall_timeout: f64,
        #[arg(long)]
        json: bool,
    },
    /// Decode a file or URL through the player's decoder (its exact seek included) as fast as
    /// possible and print `{frames, sampleRate, channels, seconds, start, …}`; with `--out`,
    /// write the decoded audio as a 32-bit float WAV.
    Decode {
        /// An audio file or an http(s) URL.
        source: String,
        /// Start here (seconds); the JSON says where decoding actually started.
        #[arg(long, default_value_t = 0.0)]
        start: f64,
        /// Decode at most this many seconds of audio (default: to the end).
        #[arg(long)]
        duration: Option<f64>,
        /// Write the decoded PCM here (WAV, 32-bit float, interleaved).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Search every transcript in a library (the app's, or `--data-dir`) and print the
    /// matching lines: episode, podcast, start (seconds) and text.
    Search {
        /// Words; "a phrase" in quotes.
        query: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Listen to an episode of a library (the app's, or `--data-dir`) the way the app plays it:
    /// resuming where it was left, saving progress as it plays. Prints one JSON line per player
    /// event. With `--output null` no sound card is used: a clock takes the audio in real time.
    Listen {
        /// The library folder (default: the app's data folder, `EARSHOT_DATA_DIR` overrides).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The episode id (default: the last one played, else the newest episode).
        #[arg(long)]
        episode: Option<i64>,
        /// `default` (the system's output device) or `null` (no device; real-time clock).
        #[arg(long, default_value = "default")]
        output: String,
        /// Stop after this many seconds of wall time (default: play to the end).
        #[arg(long)]
        duration: Option<f64>,
    },
}

#[derive(Serialize)]
struct TranscriptOut {
    source: String,
    format: &'static str,
    segments: Vec<transcript::Segment>,
    /// With `--audio`: `"aligned"` (untimed text aligned to it) or `"drift-checked"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    timing: Option<&'static str>,
    /// With `--audio` and a timed transcript: the shifts found and applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<earshot::align::DriftReport>,
    /// Repairs and guesses (text encoding, a format other than the extension says).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize)]
struct ChaptersOut {
    source: String,
    /// `format`, `from` (the chapter source), `chapters` and, for feed items, `chaptersUrl`.
    #[serde(flatten)]
    found: chapters::FileChapters,
}

#[derive(Serialize)]
struct FeedOut {
    source: String,
    feed: ParsedFeed,
}

/// Reads a feed from a file or the network (following one web page's feed link).
fn load_feed(source: &str) -> Result<FeedOut, Error> {
    let path = Path::new(source);
    if !source.contains("://") && path.exists() {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let feed =
            feed::parse_feed(&bytes, None).map_err(|e| Error::Feed(format!("{source}: {e}")))?;
        return Ok(FeedOut {
            source: source.to_string(),
            feed,
        });
    }
    let mut url = earshot::subscriptions::normalize_url(source)
        .map_err(|e| Error::Feed(format!("{source}: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let http = Http::new();
    for _ in 0..2 {
        let body = match rt.block_on(http.get(&url, &Validators::default(), MAX_FEED_BYTES)) {
            Ok(Fetched::Body(b)) => b,
            Ok(Fetched::NotModified { .. }) => {
                return Err(Error::Feed(format!(
                    "{url}: the server answered 304 Not Modified"
                )))
            }
            Err(e) => return Err(Error::Feed(format!("{url}: {e}"))),
        };
        match feed::parse_feed(&body.bytes, Some(&body.final_url)) {
            Ok(feed) => {
                return Ok(FeedOut {
                    source: body.final_url.to_string(),
                    feed,
                })
            }
            Err(FeedError::HtmlPage { feed_links }) if !feed_links.is_empty() => {
                url = url::Url::parse(&feed_links[0])
                    .map_err(|e| Error::Feed(format!("{url}: bad feed link ({e})")))?;
            }
            Err(e) => return Err(Error::Feed(format!("{url}: {e}"))),
        }
    }
    Err(Error::Feed(format!(
        "{source}: its feed link leads to another web page"
    )))
}

fn run(cli: Cli) -> Result<String, Error> {
    let json = match cli.command {
        Command::Play {
            source,
            start,
            duration,
            speed,
            volume,
            skip_silence,
            levelling,
        } => {
            let settings = PlaySettings {
                speed,
                volume,
                skip_silence,
                levelling,
            };
            play(&source, start, duration, settings)?;
            return Ok(String::new());
        }
        Command::Feed { source, json: _ } => serde_json::to_string_pretty(&load_feed(&source)?),
        Command::Transcript {
            file,
            audio,
            chapters,
            json: _,
        } => {
            let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
            let name = file.to_string_lossy();
            let parsed = transcript::parse_transcript(&bytes, None, Some(&name))
                .map_err(|e| Error::parse(file.display().to_string(), e.to_string()))?;
            let (mut segments, mut timing, mut drift) = (parsed.segments, None, None);
            if let Some(audio) = &audio {
                match &parsed.untimed {
                    Some(untimed) if !untimed.fully_timed() => {
                        let marks = match &chapters {
                            Some(c) => chapters::chapters_from_file(c)?.chapters,
                            None => Vec::new(),
                        };
                        segments = earshot::align::align_untimed(untimed, audio, &marks, |_| true)?;
                        timing = Some("aligned");
                    }
                    _ => {
                        let (fixed, report) = earshot::align::correct_drift(&segments, audio)?;
                        segments = fixed;
                        drift = Some(report);
                        timing = Some("drift-checked");
                    }
                }
            }
            serde_json::to_string_pretty(&TranscriptOut {
                source: file.display().to_string(),
                format: parsed.format.as_str(),
                segments,
                timing,
                drift,
                notes: parsed.notes,
            })
        }
        Command::Chapters { file, json: _ } => serde_json::to_string_pretty(&ChaptersOut {
            source: file.display().to_string(),
            found: chapters::chapters_from_file(&file)?,
        }),
        Command::Download {
            url,
            dir,
            name,
            attempts,
            stall_timeout,
            json: _,
        } => serde_json::to_string_pretty(&download(&url, &dir, &name, attempts, stall_timeout)?),
        Command::Decode {
            source,
            start,
            duration,
            out,
        } => serde_json::to_string_pretty(&decode(&source, start, duration, out.as_deref())?),
        Command::Search {
            query,
            data_dir,
            limit,
            json: _,
        } => {
            let dir = match data_dir {
                Some(d) => d,
                None => app_data_dir()?,
            };
            let path = dir.join("library.sqlite3");
            if !path.is_file() {
                return Err(Error::NotFound(format!(
                    "a library at {} (pass --data-dir)",
                    path.display()
                )));
            }
            let lib = earshot::library::Library::open(&path)?;
            let hits = lib.search(&query, limit)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "query": query,
                "hits": hits.iter().map(|h| serde_json::json!({
                    "episodeId": h.episode_id,
                    "episode": h.episode_title,
                    "podcast": h.podcast_title,
                    "start": h.start,
                    "estimated": h.estimated,
                    "speaker": h.speaker,
                    "text": h.text,
                    "snippet": h.snippet.replace('\u{2}', "[").replace('\u{3}', "]"),
                })).collect::<Vec<_>>(),
            }))
        }
        Command::Listen {
            data_dir,
            episode,
            output,
            duration,
        } => {
            listen(data_dir, episode, &output, duration)?;
            return Ok(String::new());
        }
    };
    Ok(json.expect("serializing plain data cannot fail"))
}

#[derive(Serialize)]
struct DownloadOut {
    path: String,
    size: u64,
    sha256: String,
}

/// Runs `download`: the app's download manager, headless; retries are noted on stderr.
fn download(
    url: &str,
    dir: &Path,
    name: &str,
    attempts: u32,
    stall_timeout: f64,
) -> Result<DownloadOut, Error> {
    use earshot::download::{download_one, DownloadConfig, DownloadEvent, HashKind};
    let parsed =
        url::Url::parse(url).map_err(|e| Error::parse(url, format!("it is not a URL ({e})")))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let cfg = DownloadConfig {
        max_attempts: attempts.max(1),
        stall_timeout: std::time::Duration::from_secs_f64(stall_timeout.max(0.1)),
        // The output promises `sha256` (the app records BLAKE3 instead).
        hash: HashKind::Sha256,
        ..DownloadConfig::default()
    };
    let done = rt
        .block_on(download_one(parsed, dir, name, cfg, |event| {
            if let DownloadEvent::Retrying {
                attempt,
                delay_ms,
                message,
                ..
            } = event
            {
                eprintln!(
                    "earshot-cli: attempt {attempt} failed ({message}); retrying in {:.1} s",
                    *delay_ms as f64 / 1000.0
                );
            }
        }))
        .map_err(Error::Download)?;
    Ok(DownloadOut {
        path: done.path.display().to_string(),
        size: done.size,
        sha256: done
            .sha256()
            .expect("the CLI's manager hashes with SHA-256")
            .to_string(),
    })
}

/// The `play` subcommand's playback settings.
struct PlaySettings {
    speed: f32,
    volume: f32,
    skip_silence: bool,
    levelling: bool,
}

/// Runs `play`: prints events as JSON lines until the end, an error, or `duration`.
fn play(
    source: &str,
    start: f64,
    duration: Option<f64>,
    settings: PlaySettings,
) -> Result<(), Error> {
    use earshot::player::{self, Media, PlayerCommand, PlayerEvent, PlayerStatus, RodioOutput};
    let media = if source.starts_with("http://") || source.starts_with("https://") {
        Media::Url(source.to_string())
    } else {
        let path = Path::new(source);
        if !path.is_file() {
            return Err(Error::NotFound(format!("the audio file {source}")));
        }
        Media::File(path.to_path_buf())
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = player::spawn(Box::new(RodioOutput::default()), tx);
    let t0 = std::time::Instant::now();
    handle.send(PlayerCommand::SetSpeed(settings.speed));
    handle.send(PlayerCommand::SetVolume(settings.volume));
    handle.send(PlayerCommand::SetSkipSilence(settings.skip_silence));
    handle.send(PlayerCommand::SetLevelling(settings.levelling));
    handle.send(PlayerCommand::Load {
        media,
        start,
        autoplay: true,
        token: 1,
    });
    let deadline = duration.map(|d| t0 + std::time::Duration::from_secs_f64(d));
    let ms = || t0.elapsed().as_secs_f64() * 1000.0;
    loop {
        let wait = deadline.map_or(std::time::Duration::from_secs(3600), |d| {
            d.saturating_duration_since(std::time::Instant::now())
        });
        let event = match rx.recv_timeout(wait) {
            Ok(e) => e,
            Err(_) => break,
        };
        let line = match event {
            PlayerEvent::Loaded {
                duration, position, ..
            } => {
                serde_json::json!({"ms": ms(), "event": "loaded", "duration": duration, "position": position})
            }
            PlayerEvent::Status { status, position } => {
                serde_json::json!({"ms": ms(), "event": "status", "status": status, "position": position})
            }
            PlayerEvent::Position {
                position,
                playing,
                speed,
                silence_skipped,
                ..
            } => {
                serde_json::json!({"ms": ms(), "event": "position", "position": position, "playing": playing, "speed": speed, "silenceSkipped": silence_skipped})
            }
            PlayerEvent::Seeked { position } => {
                serde_json::json!({"ms": ms(), "event": "seeked", "position": position})
            }
            PlayerEvent::Error { error, .. } => {
                handle.send(PlayerCommand::Shutdown);
                return Err(Error::Audio(error));
            }
        };
        if writeln!(std::io::stdout(), "{line}").is_err() {
            break; // the reader went away (e.g. `| head`): stop quietly
        }
        if line["event"] == "status" && (line["status"] == "ended" || line["status"] == "idle") {
            break;
        }
        let _ = PlayerStatus::Idle;
    }
    handle.send(PlayerCommand::Shutdown);
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecodeOut {
    source: String,
    sample_rate: u32,
    channels: u16,
    /// Frames (samples per channel) decoded, from `start` on.
    frames: u64,
    seconds: f64,
    /// Where decoding started (seconds): the frame the seek landed on.
    start: f64,
    start_frame: u64,
    /// The whole track's length when known.
    duration: Option<f64>,
    /// The WAV written, if any.
    out: Option<String>,
    /// Wall time of open + seek + decode (+ write), milliseconds.
    elapsed_ms: f64,
}

/// Runs `decode`: the player's `Decoder`, open → seek → decode, optionally to a WAV file.
fn decode(
    source: &str,
    start: f64,
    duration: Option<f64>,
    out: Option<&Path>,
) -> Result<DecodeOut, Error> {
    use earshot::player::decode::Decoder;
    let t0 = std::time::Instant::now();
    let mut d = if source.starts_with("http://") || source.starts_with("https://") {
        Decoder::open_url(source)?
    } else {
        Decoder::open(Path::new(source))?
    };
    let (rate, channels) = (d.sample_rate, d.channels);
    let ch = channels.max(1) as usize;
    let start_frame = if start > 0.0 { d.seek(start)? } else { 0 };
    let limit = duration.map(|s| (s.max(0.0) * rate as f64).round() as u64);
    let mut wav = match out {
        Some(path) => Some(WavWriter::create(path, rate, channels)?),
        None => None,
    };
    let mut frames = 0u64;
    while limit.is_none_or(|l| frames < l) {
        let Some(pcm) = d.next_pcm()? else { break };
        let mut n = (pcm.samples.len() / ch) as u64;
        if let Some(l) = limit {
            n = n.min(l - frames);
        }
        if let Some(w) = wav.as_mut() {
            w.write(&pcm.samples[..n as usize * ch])?;
        }
        frames += n;
    }
    if let Some(w) = wav {
        w.finish()?;
    }
    Ok(DecodeOut {
        source: source.to_string(),
        sample_rate: rate,
        channels,
        frames,
        seconds: frames as f64 / rate as f64,
        start: start_frame as f64 / rate as f64,
        start_frame,
        duration: d.duration(),
        out: out.map(|p| p.display().to_string()),
        elapsed_ms: t0.elapsed().as_secs_f64() * 1000.0,
    })
}

/// A WAV file of 32-bit float samples (WAVE_FORMAT_IEEE_FLOAT), sizes filled in at the end.
struct WavWriter {
    file: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    bytes: u64,
    /// Bytes per frame.
    block: u32,
    scratch: Vec<u8>,
}

impl WavWriter {
    fn create(path: &Path, rate: u32, channels: u16) -> Result<Self, Error> {
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = Self {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
            bytes: 0,
            block: channels.max(1) as u32 * 4,
            scratch: Vec::new(),
        };
        let block = w.block;
        let mut h = Vec::with_capacity(58);
        h.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        h.extend_from_slice(&18u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        h.extend_from_slice(&channels.to_le_bytes());
        h.extend_from_slice(&rate.to_le_bytes());
        h.extend_from_slice(&(rate * block).to_le_bytes());
        h.extend_from_slice(&(block as u16).to_le_bytes());
        h.extend_from_slice(&32u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // no extension
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // frames, filled in by finish
        h.extend_from_slice(b"data\0\0\0\0");
        w.file.write_all(&h).map_err(|e| Error::io(path, e))?;
        Ok(w)
    }

    fn write(&mut self, samples: &[f32]) -> Result<(), Error> {
        self.scratch.clear();
        self.scratch.reserve(samples.len() * 4);
        for s in samples {
            self.scratch.extend_from_slice(&s.to_le_bytes());
        }
        self.bytes += self.scratch.len() as u64;
        self.file
            .write_all(&self.scratch)
            .map_err(|e| Error::io(&self.path, e))
    }

    fn finish(mut self) -> Result<(), Error> {
        use std::io::{Seek, SeekFrom};
        let path = self.path.clone();
        let io = |e| Error::io(&path, e);
        let data = u32::try_from(self.bytes).map_err(|_| {
            Error::parse(
                path.display().to_string(),
                "the audio is too long for a WAV file (4 GB)",
            )
        })?;
        self.file.flush().map_err(io)?;
        let f = self.file.get_mut();
        // Header layout: RIFF size at 4, fact frames at 46, data size at 54.
        let fields = [(4u64, data + 50), (46, data / self.block), (54, data)];
        for (at, v) in fields {
            f.seek(SeekFrom::Start(at)).map_err(io)?;
            f.write_all(&v.to_le_bytes()).map_err(io)?;
        }
        Ok(())
    }
}

/// The app's data folder, as the desktop app finds it (`EARSHOT_DATA_DIR` overrides).
fn app_data_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("EARSHOT_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| Error::NotFound("a data folder (set --data-dir or HOME)".into()))?;
    Ok(base.join("org.earshot.app"))
}

fn listen(
    data_dir: Option<PathBuf>,
    episode: Option<i64>,
    output: &str,
    duration: Option<f64>,
) -> Result<(), Error> {
    use earshot::library::{EpisodeId, Library};
    use earshot::player::output::manual::ManualOutput;
    use earshot::player::{AudioOutput, PlayerStatus, RodioOutput};
    use earshot::session::{Session, UiEvent};
    use std::time::{Duration, Instant};

    let dir = match data_dir {
        Some(d) => d,
        None => app_data_dir()?,
    };
    let mut library = Library::open(&dir.join("library.sqlite3"))?;
    earshot::demo::install_on_first_launch(&mut library, &dir)?;
    let manual = ManualOutput::default();
    let device: Box<dyn AudioOutput> = match output {
        "null" => Box::new(manual.clone()),
        "default" => Box::new(RodioOutput::default()),
        other => {
            return Err(Error::parse(
                format!("--output {other}"),
                "use default (the sound card) or null (no device)",
            ))
        }
    };
    let started = Instant::now();
    let print = move |line: serde_json::Value| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let session = Session::start(library, dir.clone(), device, move |event| {
        let ms = started.elapsed().as_millis() as u64;
        let line = match &event {
            UiEvent::Position {
                position, playing, ..
            } => {
                serde_json::json!({"event": "position", "position": position, "playing": playing, "ms": ms})
            }
            UiEvent::State { snapshot } => {
                serde_json::json!({"event": "state", "status": snapshot.status, "position": snapshot.position, "episodeId": snapshot.episode_id, "ms": ms})
            }
            UiEvent::Error { message } => {
                serde_json::json!({"event": "error", "message": message, "ms": ms})
            }
            UiEvent::Queue { .. } => return,
        };
        print(line);
    });
    let target = match episode {
        Some(id) => Some(EpisodeId(id)),
        None => match session.library().state("last_episode")? {
            Some(v) => v.parse().ok().map(EpisodeId),
            None => None,
        },
    };
    let target = match target {
        Some(t) => t,
        None => {
            let lib = session.library();
            let podcast = lib
                .podcasts()?
                .into_iter()
                .next()
                .ok_or_else(|| Error::NotFound("a podcast in the library".into()))?;
            lib.episodes(podcast.id)?
                .first()
                .map(|e| e.id)
                .ok_or_else(|| Error::NotFound("an episode in the library".into()))?
        }
    };
    session.load(target, true)?;
    // With no device, a clock takes the audio in real time, as a sound card would.
    let mut clock: Option<(Instant, u64)> = None;
    loop {
        if duration.is_some_and(|d| started.elapsed().as_secs_f64() >= d) {
            break;
        }
        let snap = session.snapshot();
        if let Some(e) = &snap.error {
            session.shutdown();
            return Err(Error::Playback(e.clone()));
        }
        match snap.status {
            PlayerStatus::Ended | PlayerStatus::Idle
                if started.elapsed() > Duration::from_secs(2) =>
            {
                break
            }
            PlayerStatus::Playing if output == "null" => {
                if let Some(sps) = manual.samples_per_second() {
                    let (t0, taken) = clock.get_or_insert((Instant::now(), 0));
                    let due = (t0.elapsed().as_secs_f64() * sps as f64) as u64;
                    if *taken < due {
                        let n = (due - *taken).min(4096) as usize;
                        *taken += manual.take_audio(n, Duration::from_millis(20)).len() as u64;
                        continue;
                    }
                }
            }
            _ => clock = None,
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    session.shutdown();
    std::thread::sleep(Duration::from_millis(100));
    Ok(())
}

fn main() -> ExitCode {
    // Diagnostics only when asked for (RUST_LOG=info): stdout stays JSON, stderr stays terse.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            if !out.is_empty() {
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = writeln!(std::io::stdout(), "{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("earshot-cli: {e}");
            ExitCode::FAILURE
        }
    }
}
