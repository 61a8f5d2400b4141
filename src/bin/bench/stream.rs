//! `earshot-bench stream`: time to first audio when pressing play on an episode that is not
//! downloaded (ranged HTTP reads from a loopback server), beside the same file played from
//! disk; and the time a seek far ahead takes to sound while streaming.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use earshot::player::output::manual::ManualOutput;
use earshot::player::{self, Media, PlayerCommand, PlayerEvent};

/// A loopback HTTP/1.1 server for `body` with Range support; each response waits `delay`
/// first (a stand-in for a far-away host's round trip).
fn serve(body: Arc<Vec<u8>>, delay: Duration) -> String {
    super::loopback("/episode.mp3", move |stream| {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut out = stream;
        loop {
            let mut range = None;
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            loop {
                line.clear();
                if reader.read_line(&mut line)? <= 2 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("range: bytes=") {
                    let (a, b) = v.trim().split_once('-').unwrap_or((v.trim(), ""));
                    range = Some((a.parse::<usize>().unwrap_or(0), b.parse::<usize>().ok()));
                }
            }
            std::thread::sleep(delay);
            let len = body.len();
            let (start, end) = match range {
                Some((a, b)) => (a.min(len), b.map(|b| b + 1).unwrap_or(len).min(len)),
                None => (0, len),
            };
            let head = if range.is_some() {
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{len}\r\n",
                    end.saturating_sub(1)
                )
            } else {
                "HTTP/1.1 200 OK\r\n".to_string()
            };
            write!(
                out,
                "{head}Content-Type: audio/mpeg\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nETag: \"e\"\r\n\r\n",
                end - start
            )?;
            out.write_all(&body[start..end])?;
        }
    })
}

/// Load with autoplay, then time until the device gets its first real sample; then a seek to
/// `seek_to` and the time until audio flows again.
fn one_run(media: Media, seek_to: f64) -> (Duration, Duration) {
    let manual = ManualOutput::default();
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = player::spawn(Box::new(manual.clone()), tx);
    let started = Instant::now();
    handle.send(PlayerCommand::Load {
        media,
        start: 0.0,
        autoplay: true,
        token: 1,
    });
    // A device pulling continuously, as a sound card does.
    while manual.take_audio(64, Duration::from_millis(1)).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no audio");
    }
    let first = started.elapsed();
    manual.take_audio(44_100, Duration::from_secs(5));
    while rx.try_recv().is_ok() {}
    let t = Instant::now();
    handle.send(PlayerCommand::Seek(seek_to));
    loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(PlayerEvent::Seeked { .. }) => break,
            Ok(_) => {}
            Err(_) => panic!("no seek"),
        }
    }
    while manual.take_audio(64, Duration::from_millis(1)).is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no audio after the seek"
        );
    }
    let seek = t.elapsed();
    handle.send(PlayerCommand::Shutdown);
    (first, seek)
}

pub fn bench_stream(file: &Path, runs: usize) {
    let body = Arc::new(std::fs::read(file).expect("the audio file"));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "stream: {} ({:.1} MB), {runs} runs each; time from Load(autoplay) to the first sample the device takes, and from a seek to 80 % of the file to audio again",
        file.display(),
        body.len() as f64 / 1e6
    );
    let duration = earshot::player::decode::Decoder::open(file)
        .ok()
        .and_then(|d| d.duration())
        .unwrap_or(60.0);
    let seek_to = duration * 0.8;
    let cases: [(&str, Option<Duration>); 3] = [
        ("local file", None),
        ("streamed, loopback", Some(Duration::ZERO)),
        (
            "streamed, 50 ms per response",
            Some(Duration::from_millis(50)),
        ),
    ];
    for (name, delay) in cases {
        let (mut first, mut seek) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let media = match delay {
                None => Media::File(file.to_path_buf()),
                Some(d) => Media::Url(serve(body.clone(), d)),
            };
            let (f, s) = one_run(media, seek_to);
            first.push(f);
            seek.push(s);
        }
        println!(
            "{name:<32} first audio median {:>7.1} ms (max {:>7.1})   seek far ahead median {:>7.1} ms (max {:>7.1})",
            ms(median(first.clone())),
            ms(*first.iter().max().unwrap()),
            ms(median(seek.clone())),
            ms(*seek.iter().max().unwrap()),
        );
    }
}
