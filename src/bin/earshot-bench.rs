//! `earshot-bench`: prints the figures the issues ask for. Not a test: it measures.
//!
//! `earshot-bench feed [--items N] [--runs R]`: a generated N-item feed (default 5,000, ~10 MB):
//! parse, first subscribe (parse + store on disk), refresh with nothing changed (same bytes
//! re-served: digest only; and a forced re-parse + compare), refresh with 10 new items, and
//! listing the podcast's episodes.

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

fn main() {
    match Cli::parse().command {
        Command::Feed { items, runs } => bench_feed(items, runs.max(1)),
    }
}
