//! `earshot-bench`: prints the figures the issues ask for. Not a test: it measures.
//!
//! `earshot-bench feed [--items N] [--runs R]`: a generated N-item feed (default 5,000, ~10 MB):
//! parse, first subscribe (parse + store on disk), refresh with nothing changed (same bytes
//! re-served: digest only; and a forced re-parse + compare), refresh with 10 new items, and
//! listing the podcast's episodes.
//!
//! `earshot-bench download [--size-mb 200] [--runs 3]`: one file served on loopback by a small
//! server inside the bench, downloaded by the download manager and by `curl` (to a file in the
//! same folder) in the same run, alternating; prints times, MB/s and the ratio.
//!
//! `earshot-bench playback [--file F] [--secs 10] [--real]`: CPU of steady playback (percent of
//! one core, from /proc/self/stat) at 1× and 2× (and 1× with skip silence + levelling), the
//! test device pulling audio at real-time pace (or the default output device with `--real`),
//! and the time-stretch's real-time factor on the decoded file.

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use earshot::feed::parse_feed;
use earshot::feedgen::{self, FeedSpec};
use earshot::fetch::{sha256_hex, Validators};
use earshot::library::Library;

#[derive(Parser)]
#[command(name = "earshot-bench", about = "Earshot's benchmarks; prints figures")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

/// A loopback HTTP/1.1 server answering every GET with `len` bytes: `block` repeated.
fn serve_repeated(block: std::sync::Arc<Vec<u8>>, len: u64) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/bench.mp3", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let block = block.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
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
            });
        }
    });
    url
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

fn bench_download(size_mb: usize, runs: usize) {
    use earshot::download::{DownloadConfig, DownloadManager, Outcome};
    use sha2::Digest;
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
    let hash_started = Instant::now();
    let expected = {
        let mut h = sha2::Sha256::new();
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            h.update(&block[..n]);
            left -= n as u64;
        }
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let hash_time = hash_started.elapsed();
    let url = serve_repeated(std::sync::Arc::new(block), len);
    let dir = tempfile_dir();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
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

    let manager_run = |storage: std::sync::Arc<dyn earshot::download::Storage>| -> Duration {
        rt.block_on(async {
            let m = DownloadManager::new(DownloadConfig {
                storage,
                ..DownloadConfig::default()
            });
            let t = Instant::now();
            let id = m.enqueue(url::Url::parse(&url).unwrap(), &dir, "manager");
            let outcome = m.wait(id).await;
            let d = t.elapsed();
            match outcome {
                Some(Outcome::Completed(c)) => {
                    assert_eq!(c.size, len);
                    assert_eq!(c.sha256, expected, "the manager's file is intact");
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

    let (mut ours, mut ours_nosync, mut curl) = (Vec::new(), Vec::new(), Vec::new());
    // One warm-up of each (page cache, connection setup), not counted.
    curl_run();
    manager_run(std::sync::Arc::new(NoSyncStorage));
    for i in 0..runs {
        if i % 2 == 0 {
            curl.push(curl_run());
            ours.push(manager_run(std::sync::Arc::new(
                earshot::download::FsStorage,
            )));
            ours_nosync.push(manager_run(std::sync::Arc::new(NoSyncStorage)));
        } else {
            ours_nosync.push(manager_run(std::sync::Arc::new(NoSyncStorage)));
            ours.push(manager_run(std::sync::Arc::new(
                earshot::download::FsStorage,
            )));
            curl.push(curl_run());
        }
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mb = len as f64 / 1e6;
    let line = |name: &str, d: Duration| {
        println!(
            "{name:<48} median {:>8.1} ms   {:>8.1} MB/s",
            d.as_secs_f64() * 1000.0,
            mb / d.as_secs_f64()
        );
    };
    let (c, o, n) = (median(curl), median(ours), median(ours_nosync));
    line("curl -o file", c);
    line("download manager (sha256 + fsync + rename)", o);
    line("download manager, no fsync (same work as curl)", n);
    line("(for scale: SHA-256 of the same bytes, alone)", hash_time);
    println!(
        "ratio (manager throughput / curl): {:.2}x with fsync, {:.2}x without (goal >= 0.9x)",
        c.as_secs_f64() / o.as_secs_f64(),
        c.as_secs_f64() / n.as_secs_f64()
    );
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

fn main() {
    match Cli::parse().command {
        Command::Feed { items, runs } => bench_feed(items, runs.max(1)),
        Command::Download { size_mb, runs } => bench_download(size_mb.max(1), runs.max(1)),
        Command::Playback { file, secs, real } => bench_playback(&file, secs.max(1.0), real),
    }
}
