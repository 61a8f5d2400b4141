//! `earshot-bench`: prints the figures the issues ask for. Not a test: it measures.
//!
//! `earshot-bench feed [--items N] [--runs R]`: a generated N-item feed (default 5,000, ~10 MB):
//! parse, first subscribe (parse + store on disk), refresh with nothing changed (same bytes
//! re-served: digest only; and a forced re-parse + compare), refresh with 10 new items, and
//! listing the podcast's episodes.
//!
//! `earshot-bench download [--size-mb 200] [--runs 3]`: one file served on loopback by a small
//! server inside the bench, downloaded by the download manager as the app runs it (BLAKE3, with
//! and without fsync), with SHA-256, by `earshot-cli download` (when built beside the bench)
//! and by `curl` (to a file in the same folder) in the same run, alternating; prints times,
//! MB/s and the ratios to curl.
//!
//! `earshot-bench playback [--file F] [--secs 10] [--real]`: CPU of steady playback (percent of
//! one core, from /proc/self/stat) at 1× and 2× (and 1× with skip silence + levelling), the
//! test device pulling audio at real-time pace (or the default output device with `--real`),
//! and the time-stretch's real-time factor on the decoded file.
//!
//! `earshot-bench latency [--runs 10] [--spawn-runs 5] [--cpu-secs 10]`: at a private
//! PulseAudio null sink, recorded with parec and matched by cross-correlation, beside mpv: play
//! → first sample, exact seek → new audio, position error at 1× and 2×, CPU of playback
//! (see `bench/latency.rs`).

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use earshot::feed::parse_feed;
use earshot::feedgen::{self, FeedSpec};
use earshot::fetch::{sha256_hex, Validators};
use earshot::library::Library;

#[path = "bench/align.rs"]
mod align_bench;
#[path = "bench/latency.rs"]
mod latency;
#[path = "bench/search.rs"]
mod search;
#[path = "bench/stream.rs"]
mod stream;

#[derive(Parser)]
#[command(name = "earshot-bench", about = "Earshot's benchmarks; prints figures")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transcript alignment on generated episodes with known truth (scripts/make-align-episode.sh):
    /// paragraph-start error of the aligner and of even spreading, speed; drift correction on
    /// each episode's ad variant.
    Align {
        /// Episode lengths in minutes.
        #[arg(long, value_delimiter = ',', default_values_t = [5u32, 15, 30, 60])]
        minutes: Vec<u32>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Skip the ad variants.
        #[arg(long)]
        no_ad: bool,
    },
    /// MP3 decode throughput beside `ffmpeg -f null`, and seek latency (CBR, VBR, VBR with no
    /// Xing header) on a generated 60-minute file (or `--file`).
    Decode {
        /// Minutes of audio to generate (cached in the temp folder between runs).
        #[arg(long, default_value_t = 60)]
        minutes: u32,
        /// Decode this MP3 instead of the generated VBR one (seeks still use the generated set).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Random seeks per file.
        #[arg(long, default_value_t = 200)]
        seeks: usize,
    },
    /// Feed parsing, storing, refreshing and listing.
    Feed {
        #[arg(long, default_value_t = 5000)]
        items: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// One big download on loopback: the download manager side by side with curl.
    Download {
        #[arg(long, default_value_t = 200)]
        size_mb: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Time to first audio when streaming an episode that is not downloaded (ranged HTTP from
    /// loopback, also with 50 ms per response), beside a local file; and a seek far ahead.
    Stream {
        #[arg(long, default_value = "assets/demo/episode1.mp3")]
        file: std::path::PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Library-wide transcript search over a generated library (cached in the temp folder).
    Search {
        #[arg(long, default_value_t = 1000)]
        transcripts: usize,
        /// Lines per transcript.
        #[arg(long, default_value_t = 300)]
        lines: usize,
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// What the listener hears, at a private PulseAudio null sink beside mpv: play → first
    /// sample, seek → new audio, position error (1×, 2×), CPU of steady playback.
    Latency {
        /// Runs of each play and seek measure.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Runs that spawn the player process.
        #[arg(long, default_value_t = 5)]
        spawn_runs: usize,
        /// Seconds of steady playback measured for CPU, per player and speed.
        #[arg(long, default_value_t = 10.0)]
        cpu_secs: f64,
        /// The audio the CPU measure plays (the latency measures use generated noise).
        #[arg(long, default_value = "assets/demo/episode1.mp3")]
        cpu_file: std::path::PathBuf,
    },
    /// CPU of steady playback at 1× and 2×; the time-stretch's real-time factor.
    Playback {
        /// The audio to play (default: the demo episode, an MP3).
        #[arg(long, default_value = "assets/demo/episode1.mp3")]
        file: std::path::PathBuf,
        /// Seconds of playback measured per speed.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// Play on the default output device instead of the test device.
        #[arg(long)]
        real: bool,
    },
}

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<48} min {:>8.2} ms   median {:>8.2} ms   max {:>8.2} ms",
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

fn bench_feed(items: usize, runs: usize) {
    let base = "https://cdn.example";
    let old = feedgen::rss(&FeedSpec {
        title: "Bench Show",
        first: 1,
        count: items,
        base,
        guids: true,
    });
    let new = feedgen::rss(&FeedSpec {
        title: "Bench Show",
        first: 1,
        count: items + 10,
        base,
        guids: true,
    });
    println!(
        "feed: {items} items, {:.1} MB; {runs} runs each",
        old.len() as f64 / 1e6
    );
    let url = url::Url::parse("https://cdn.example/feed.xml").unwrap();

    let mut parse = Vec::new();
    let mut subscribe = Vec::new();
    let mut same_bytes = Vec::new();
    let mut reparse = Vec::new();
    let mut ten_new = Vec::new();
    let mut list = Vec::new();
    for _ in 0..runs {
        let dir = tempfile_dir();
        let (d, parsed) =
            time(|| parse_feed(old.as_bytes(), Some(&url)).expect("generated feed parses"));
        parse.push(d);
        assert_eq!(parsed.episodes.len(), items);

        let mut lib = Library::open(&dir.join("library.sqlite3")).unwrap();
        let (d, id) = time(|| {
            let parsed = parse_feed(old.as_bytes(), Some(&url)).unwrap();
            lib.insert_feed(
                url.as_str(),
                &parsed,
                &Validators::default(),
                &sha256_hex(old.as_bytes()),
            )
            .unwrap()
        });
        subscribe.push(d);

        // Unchanged, re-served with 200: the digest matches and nothing is parsed.
        let stored = lib.feed_state(id).unwrap().body_sha256.unwrap();
        let (d, same) = time(|| sha256_hex(old.as_bytes()) == stored);
        assert!(same);
        same_bytes.push(d);

        // Unchanged but re-parsed (e.g. a server that varies whitespace): every item skipped.
        let (d, outcome) = time(|| {
            let parsed = parse_feed(old.as_bytes(), Some(&url)).unwrap();
            lib.apply_feed(id, &parsed, &Validators::default(), "forced")
                .unwrap()
        });
        assert_eq!(outcome.unchanged, items);
        reparse.push(d);

        let (d, outcome) = time(|| {
            let parsed = parse_feed(new.as_bytes(), Some(&url)).unwrap();
            lib.apply_feed(
                id,
                &parsed,
                &Validators::default(),
                &sha256_hex(new.as_bytes()),
            )
            .unwrap()
        });
        assert_eq!(outcome.added, 10);
        ten_new.push(d);

        let (d, eps) = time(|| lib.episodes(id).unwrap());
        assert_eq!(eps.len(), items + 10);
        list.push(d);
        drop(lib);
        let _ = std::fs::remove_dir_all(&dir);
    }
    stats("parse", parse);
    stats("first subscribe (parse + store, on disk)", subscribe);
    stats("refresh, unchanged bytes (digest only)", same_bytes);
    stats("refresh, unchanged but re-parsed", reparse);
    stats("refresh, 10 new items", ten_new);
    stats(&format!("list {} episodes", items + 10), list);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "earshot-bench-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A loopback HTTP server whose every connection `serve` handles on a thread of its own;
/// returns the address of `path` on it.
fn loopback(
    path: &str,
    serve: impl Fn(std::net::TcpStream) -> std::io::Result<()> + Clone + Send + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

/// A loopback HTTP/1.1 server answering every GET with `len` bytes: `block` repeated.
fn serve_repeated(block: std::sync::Arc<Vec<u8>>, len: u64) -> String {
    use std::io::{BufRead, BufReader, Write};
    loopback("/bench.mp3", move |stream| {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        while reader.read_line(&mut line)? > 2 {
            line.clear();
        }
        let mut out = stream;
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: {len}\r\n\
             ETag: \"bench\"\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
        )?;
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            out.write_all(&block[..n])?;
            left -= n as u64;
        }
        Ok(())
    })
}

/// `.part` files written like [`earshot::download::FsStorage`] but never fsynced: the same work
/// as curl, to show what durability costs.
struct NoSyncStorage;

struct NoSyncPart(std::io::BufWriter<std::fs::File>);

impl earshot::download::PartFile for NoSyncPart {
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        std::io::Write::write_all(&mut self.0, buf)
    }
    fn sync(&mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.0)
    }
}

impl earshot::download::Storage for NoSyncStorage {
    fn open_part(
        &self,
        path: &std::path::Path,
        truncate: bool,
    ) -> std::io::Result<Box<dyn earshot::download::PartFile>> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(truncate)
            .append(!truncate)
            .open(path)?;
        Ok(Box::new(NoSyncPart(std::io::BufWriter::with_capacity(
            256 * 1024,
            file,
        ))))
    }
}

/// `earshot-cli` beside this binary (same profile), if it was built.
fn sibling_cli() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let cli = exe.with_file_name(format!("earshot-cli{}", std::env::consts::EXE_SUFFIX));
    cli.is_file().then_some(cli)
}

fn bench_download(size_mb: usize, runs: usize) {
    use earshot::download::{DownloadConfig, DownloadManager, HashKind, Outcome, Storage};
    use std::sync::Arc;
    let len = size_mb as u64 * 1024 * 1024;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let block: Vec<u8> = (0..(1 << 20) / 8)
        .flat_map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()
        })
        .collect();
    let hash_all = |kind: HashKind| {
        let t = Instant::now();
        let mut h = kind.hasher();
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            h.update(&block[..n]);
            left -= n as u64;
        }
        let labelled = h.finalize_labelled();
        (t.elapsed(), labelled)
    };
    let (sha_time, expected_sha256) = hash_all(HashKind::Sha256);
    let (blake_time, expected_blake3) = hash_all(HashKind::Blake3);
    let url = serve_repeated(Arc::new(block), len);
    let dir = tempfile_dir();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cli = sibling_cli();
    println!(
        "download: {size_mb} MiB on loopback ({url}), into {}; {runs} runs each, alternating; \
         earshot {} build",
        dir.display(),
        if cfg!(debug_assertions) {
            "debug (the earshot crate at opt-level 0, dependencies at 2)"
        } else {
            "release"
        }
    );
    match &cli {
        Some(p) => println!("earshot-cli: {}", p.display()),
        None => println!(
            "earshot-cli: not built beside this binary (cargo build --release --bin earshot-cli); \
             its line is left out"
        ),
    }

    let manager_run = |storage: Arc<dyn Storage>, hash: HashKind| -> Duration {
        rt.block_on(async {
            let m = DownloadManager::new(DownloadConfig {
                storage,
                hash,
                ..DownloadConfig::default()
            });
            let t = Instant::now();
            let id = m.enqueue(url::Url::parse(&url).unwrap(), &dir, "manager");
            let outcome = m.wait(id).await;
            let d = t.elapsed();
            match outcome {
                Some(Outcome::Completed(c)) => {
                    assert_eq!(c.size, len);
                    let expected = match hash {
                        HashKind::Sha256 => &expected_sha256,
                        HashKind::Blake3 => &expected_blake3,
                    };
                    assert_eq!(&c.hash, expected, "the manager's file is intact");
                    std::fs::remove_file(&c.path).unwrap();
                }
                other => panic!("download failed: {other:?}"),
            }
            d
        })
    };
    let curl_run = || -> Duration {
        let out = dir.join("curl.bin");
        let t = Instant::now();
        let status = std::process::Command::new("curl")
            .args(["-s", "-o"])
            .arg(&out)
            .arg(&url)
            .status()
            .expect("curl is installed");
        let d = t.elapsed();
        assert!(status.success());
        assert_eq!(std::fs::metadata(&out).unwrap().len(), len);
        std::fs::remove_file(&out).unwrap();
        d
    };
    let cli_run = |cli: &std::path::Path| -> Duration {
        let t = Instant::now();
        let out = std::process::Command::new(cli)
            .arg("download")
            .arg(&url)
            .arg(&dir)
            .args(["--name", "cli", "--json"])
            .output()
            .expect("earshot-cli runs");
        let d = t.elapsed();
        assert!(
            out.status.success(),
            "earshot-cli download failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON out");
        assert_eq!(v["size"].as_u64(), Some(len));
        assert_eq!(
            HashKind::Sha256.label(v["sha256"].as_str().unwrap_or_default()),
            expected_sha256,
            "the CLI's file is intact"
        );
        std::fs::remove_file(v["path"].as_str().unwrap()).unwrap();
        d
    };

    let fs = || -> Arc<dyn Storage> { Arc::new(earshot::download::FsStorage) };
    let nosync = || -> Arc<dyn Storage> { Arc::new(NoSyncStorage) };
    // curl, the app's configuration (BLAKE3, fsync), the same without fsync, SHA-256 (fsync),
    // earshot-cli (SHA-256, fsync; a process like curl).
    let mut samples: [Vec<Duration>; 5] = Default::default();
    // CPU time of this process (its threads, the loopback server's included) per download.
    let mut cpu: [Vec<Duration>; 5] = Default::default();
    let mut one = |which: usize| {
        let cpu_before = cpu_time();
        let d = match which {
            0 => curl_run(),
            1 => manager_run(fs(), HashKind::Blake3),
            2 => manager_run(nosync(), HashKind::Blake3),
            3 => manager_run(fs(), HashKind::Sha256),
            _ => match &cli {
                Some(cli) => cli_run(cli),
                None => return,
            },
        };
        samples[which].push(d);
        cpu[which].push(cpu_time().saturating_sub(cpu_before));
    };
    // One warm-up (page cache, connection setup, the CLI's binary), not counted.
    curl_run();
    manager_run(nosync(), HashKind::Blake3);
    if let Some(cli) = &cli {
        cli_run(cli);
    }
    for i in 0..runs {
        if i % 2 == 0 {
            (0..5).for_each(&mut one);
        } else {
            (0..5).rev().for_each(&mut one);
        }
    }
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let mb = len as f64 / 1e6;
    let line = |name: &str, d: Duration, cpu: Option<Duration>| {
        print!(
            "{name:<52} median {:>8.1} ms   {:>8.1} MB/s",
            d.as_secs_f64() * 1000.0,
            mb / d.as_secs_f64()
        );
        match cpu {
            Some(c) => println!("   cpu {:>6.1} ms", c.as_secs_f64() * 1000.0),
            None => println!(),
        }
    };
    let c = median(&samples[0]);
    let app = median(&samples[1]);
    let app_nosync = median(&samples[2]);
    let sha = median(&samples[3]);
    println!("(cpu: this process's CPU time per download, the loopback server's sending included)");
    line("curl -o file", c, Some(median(&cpu[0])));
    line(
        "app: manager, blake3 + fsync + rename",
        app,
        Some(median(&cpu[1])),
    );
    line(
        "app: manager, blake3, no fsync (same work as curl)",
        app_nosync,
        Some(median(&cpu[2])),
    );
    line(
        "manager, sha256 + fsync + rename",
        sha,
        Some(median(&cpu[3])),
    );
    let cli_median = (!samples[4].is_empty()).then(|| median(&samples[4]));
    if let Some(d) = cli_median {
        line(
            "earshot-cli download (sha256 + fsync; a process)",
            d,
            Some(median(&cpu[4])),
        );
    }
    line(
        "(for scale: SHA-256 of the same bytes, alone)",
        sha_time,
        None,
    );
    line(
        "(for scale: BLAKE3 of the same bytes, alone)",
        blake_time,
        None,
    );
    let ratio = |d: Duration| c.as_secs_f64() / d.as_secs_f64();
    println!(
        "ratio (app's manager throughput / curl): {:.2}x with fsync, {:.2}x without \
         (goal >= 0.9x)",
        ratio(app),
        ratio(app_nosync)
    );
    print!("ratio with sha256 / curl: {:.2}x manager", ratio(sha));
    match cli_median {
        Some(d) => println!(", {:.2}x earshot-cli", ratio(d)),
        None => println!(),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CPU time (user + system) this process has used so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / 100.0) // USER_HZ is 100 on Linux
}

fn bench_playback(file: &std::path::Path, secs: f64, real: bool) {
    use earshot::player::decode::Decoder;
    use earshot::player::dsp::Stretcher;
    use earshot::player::output::manual::ManualOutput;
    use earshot::player::{self, AudioOutput, Media, PlayerCommand, RodioOutput};

    let mut d = match Decoder::open(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("earshot-bench: {e}");
            std::process::exit(1);
        }
    };
    let (rate, channels) = (d.sample_rate, d.channels);
    println!(
        "playback: {} ({rate} Hz, {channels} ch), {secs} s per run, {}",
        file.display(),
        if real {
            "default output device"
        } else {
            "test device pulled at real-time pace"
        }
    );
    let mut pcm = Vec::new();
    while let Ok(Some(p)) = d.next_pcm() {
        pcm.extend_from_slice(&p.samples);
    }
    let media_secs = pcm.len() as f64 / channels.max(1) as f64 / rate as f64;
    for speed in [1.5f32, 2.0, 3.0] {
        let mut st = Stretcher::new(channels, rate);
        st.push(0, &pcm);
        st.finish();
        let mut out = vec![0.0f32; 1 << 16];
        let t = Instant::now();
        let mut n = 0;
        loop {
            let got = st.fill(speed, &mut out);
            if got == 0 {
                break;
            }
            n += got;
        }
        let took = t.elapsed().as_secs_f64();
        let out_secs = n as f64 / channels.max(1) as f64 / rate as f64;
        println!(
            "stretch {speed}×: {media_secs:.1} s of media in {:.1} ms; real-time factor {:.5} ({:.2} % of a core while playing)",
            took * 1000.0,
            took / out_secs,
            took / out_secs * 100.0
        );
    }
    let runs: [(&str, f32, bool); 3] = [
        ("1×", 1.0, false),
        ("2×", 2.0, false),
        ("1×, skip silence + levelling", 1.0, true),
    ];
    for (name, speed, extras) in runs {
        let manual = ManualOutput::default();
        let output: Box<dyn AudioOutput> = if real {
            Box::new(RodioOutput::default())
        } else {
            Box::new(manual.clone())
        };
        let (tx, rx) = crossbeam_channel::unbounded();
        let handle = player::spawn(output, tx);
        handle.send(PlayerCommand::SetSpeed(speed));
        handle.send(PlayerCommand::SetSkipSilence(extras));
        handle.send(PlayerCommand::SetLevelling(extras));
        handle.send(PlayerCommand::Load {
            media: Media::File(file.to_path_buf()),
            start: 0.0,
            autoplay: true,
            token: 1,
        });
        let drain = std::thread::spawn(move || for _ in rx {});
        // Let it settle (open, first decode), then measure.
        let warm = Instant::now() + Duration::from_millis(500);
        let per_tick = (rate as f64 * channels as f64 / 100.0) as usize; // 10 ms
        let pull = |until: Instant| {
            let mut next = Instant::now();
            while Instant::now() < until {
                if !real {
                    manual.take_audio(per_tick, Duration::from_millis(50));
                }
                next += Duration::from_millis(10);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        };
        pull(warm);
        let (c0, t0) = (cpu_time(), Instant::now());
        pull(t0 + Duration::from_secs_f64(secs));
        let (cpu, wall) = (cpu_time() - c0, t0.elapsed());
        println!(
            "steady playback {name:<30} CPU {:>5.2} % of one core (goal at 1×: <= 2 %)",
            cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
        );
        handle.send(PlayerCommand::Shutdown);
        let _ = drain.join();
    }
}

/// Generates (once; cached by name in the temp folder) the decode benchmark's MP3s: VBR with a
/// Xing header, the same without it, and CBR 128 kb/s. Pink noise and a tone, stereo 44.1 kHz.
fn decode_bench_files(minutes: u32) -> [(&'static str, std::path::PathBuf); 3] {
    let dir = std::env::temp_dir().join("earshot-bench-decode");
    std::fs::create_dir_all(&dir).unwrap();
    let secs = minutes * 60;
    let encode = |name: &str, codec_args: &[&str]| {
        let path = dir.join(format!("{name}-{minutes}min.mp3"));
        if !path.exists() {
            println!("generating {} (ffmpeg, once)…", path.display());
            let part = path.with_extension("part");
            let status = std::process::Command::new("ffmpeg")
                .args([
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                ])
                .arg(format!(
                    "anoisesrc=color=pink:amplitude=0.08:duration={secs}:sample_rate=44100"
                ))
                .args(["-f", "lavfi", "-i"])
                .arg(format!(
                    "sine=frequency=220:duration={secs}:sample_rate=44100"
                ))
                .args([
                    "-filter_complex",
                    "[0][1]amix=inputs=2:normalize=0,volume=0.8,aformat=channel_layouts=stereo",
                    "-c:a",
                    "libmp3lame",
                ])
                .args(codec_args)
                .args(["-f", "mp3"])
                .arg(&part)
                .status()
                .expect("ffmpeg must be installed for this benchmark");
            assert!(status.success(), "ffmpeg failed");
            std::fs::rename(&part, &path).unwrap();
        }
        path
    };
    let vbr = encode("vbr", &["-q:a", "4"]);
    let cbr = encode("cbr", &["-b:a", "128k"]);
    // The same VBR stream without its Xing/LAME frame: no seek table, no length.
    let noxing = dir.join(format!("vbr-noxing-{minutes}min.mp3"));
    if !noxing.exists() {
        let bytes = std::fs::read(&vbr).unwrap();
        let mut at = 0;
        if bytes.starts_with(b"ID3") {
            let size = bytes[6..10]
                .iter()
                .fold(0usize, |a, &x| (a << 7) | (x & 0x7f) as usize);
            at = 10 + size;
        }
        let w = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        let first = earshot::player::mp3index::parse_header(w).expect("an MP3 frame");
        std::fs::write(&noxing, &bytes[at + first.len..]).unwrap();
    }
    [
        ("CBR 128k", cbr),
        ("VBR, Xing", vbr),
        ("VBR, no Xing", noxing),
    ]
}

fn bench_decode(minutes: u32, file: Option<std::path::PathBuf>, runs: usize, seeks: usize) {
    use earshot::player::decode::Decoder;
    let files = decode_bench_files(minutes);
    let main = file.unwrap_or_else(|| files[1].1.clone());
    let mb = std::fs::metadata(&main).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "decode: {} ({mb:.1} MB); {runs} runs each, alternating",
        main.display()
    );
    let mut ours = Vec::new();
    let mut ffmpeg = Vec::new();
    let mut media_secs = 0.0;
    for _ in 0..runs {
        let (d, frames) = time(|| {
            let mut d = Decoder::open(&main).expect("the benchmark file opens");
            let mut frames = 0usize;
            while let Some(p) = d.next_pcm().expect("decodes") {
                frames += p.samples.len() / d.channels as usize;
            }
            (frames, d.sample_rate)
        });
        media_secs = frames.0 as f64 / frames.1 as f64;
        ours.push(d);
        let (d, status) = time(|| {
            std::process::Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-i"])
                .arg(&main)
                .args(["-f", "null", "-"])
                .status()
                .expect("ffmpeg runs")
        });
        assert!(status.success());
        ffmpeg.push(d);
    }
    ours.sort();
    ffmpeg.sort();
    let (o, f) = (ours[runs / 2], ffmpeg[runs / 2]);
    let row = |name: &str, median: Duration, min: Duration| {
        println!(
            "{name:<34} median {:>8.1} ms (min {:>8.1})  {:>6.0}× real time",
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            media_secs / median.as_secs_f64()
        );
    };
    row("earshot Decoder (open + decode)", o, ours[0]);
    row("ffmpeg -i f.mp3 -f null -", f, ffmpeg[0]);
    println!(
        "throughput ratio earshot/ffmpeg: {:.2}× (goal ≥ 0.9×)",
        f.as_secs_f64() / o.as_secs_f64()
    );

    println!("\nseek latency: seek() to the first decoded audio, {seeks} random targets per file");
    for (name, path) in &files {
        let (open, d) = time(|| Decoder::open(path).expect("opens"));
        let mut d = d;
        let duration = d.duration().unwrap_or(60.0 * minutes as f64);
        // A fixed pseudo-random sequence, the same for every file.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut lat = Vec::with_capacity(seeks);
        for _ in 0..seeks {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let target = (x % 1_000_000) as f64 / 1e6 * duration * 0.99;
            let (dt, _) = time(|| {
                d.seek(target).expect("seeks");
                d.next_pcm()
                    .expect("decodes")
                    .expect("audio after the seek")
            });
            lat.push(dt);
        }
        lat.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{name:<14} open {:>7.1} ms ({:.1} min)   seek median {:>6.2} ms   p95 {:>6.2} ms   max {:>6.2} ms",
            ms(open),
            duration / 60.0,
            ms(lat[seeks / 2]),
            ms(lat[seeks * 95 / 100]),
            ms(lat[seeks - 1])
        );
    }
}

fn main() {
    match Cli::parse().command {
        Command::Align {
            minutes,
            seed,
            no_ad,
        } => align_bench::bench_align(&minutes, seed, !no_ad),
        Command::Feed { items, runs } => bench_feed(items, runs.max(1)),
        Command::Decode {
            minutes,
            file,
            runs,
            seeks,
        } => bench_decode(minutes.max(1), file, runs.max(1), seeks.max(1)),
        Command::Download { size_mb, runs } => bench_download(size_mb.max(1), runs.max(1)),
        Command::Playback { file, secs, real } => bench_playback(&file, secs.max(1.0), real),
        Command::Stream { file, runs } => stream::bench_stream(&file, runs.max(1)),
        Command::Latency {
            runs,
            spawn_runs,
            cpu_secs,
            cpu_file,
        } => latency::bench_latency(latency::Options {
            runs: runs.max(1),
            spawn_runs,
            cpu_secs: cpu_secs.max(1.0),
            cpu_file,
        }),
        Command::Search {
            transcripts,
            lines,
            runs,
        } => search::bench_search(transcripts.max(1), lines.max(1), runs.max(1)),
    }
}
