//! `earshot-bench search`: library-wide transcript search (SQLite FTS5) over a generated
//! library of 1,000 transcripts.

use std::time::{Duration, Instant};

use earshot::library::{Library, NewEpisode, NewPodcast};
use earshot::transcript::Segment;

const WORDS: &[&str] = &[
    "tide", "shell", "harbour", "crab", "kelp", "anchor", "gull", "storm", "lantern", "drift",
    "salt", "reef", "current", "pebble", "whale", "sonar", "marsh", "heron", "ferry", "dune",
    "the", "and", "of", "a", "to", "in", "we", "it", "was", "that", "about", "really", "think",
    "know", "people", "because", "episode", "question", "story", "morning", "night", "river",
];

/// A small deterministic generator (no dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

pub fn bench_search(transcripts: usize, lines: usize, runs: usize) {
    let dir = std::env::temp_dir().join(format!("earshot-bench-search-{transcripts}-{lines}"));
    let path = dir.join("library.sqlite3");
    let built = Instant::now();
    if !path.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let mut lib = Library::open(&path).expect("library");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let per_podcast = 50;
        for p in 0..transcripts.div_ceil(per_podcast) {
            let eps: Vec<NewEpisode> = (0..per_podcast.min(transcripts - p * per_podcast))
                .map(|e| NewEpisode {
                    guid: format!("{p}-{e}"),
                    title: format!("Episode {e} of show {p}"),
                    segments: (0..lines)
                        .map(|i| {
                            let n = 8 + (rng.next() % 20) as usize;
                            let text: Vec<&str> = (0..n).map(|_| rng.pick(WORDS)).collect();
                            let mut s = Segment::new(
                                i as f64 * 6.0,
                                i as f64 * 6.0 + 5.5,
                                Some(if i % 2 == 0 { "Host" } else { "Guest" }.into()),
                                text.join(" "),
                            );
                            if rng.next().is_multiple_of(5000) {
                                s.text.push_str(" bioluminescence");
                            }
                            s
                        })
                        .collect(),
                    ..NewEpisode::default()
                })
                .collect();
            lib.add_podcast(
                &NewPodcast {
                    feed_url: format!("http://127.0.0.1/{p}.xml"),
                    title: format!("Show {p}"),
                    ..NewPodcast::default()
                },
                &eps,
            )
            .expect("store");
        }
        println!(
            "search: built {transcripts} transcripts × {lines} lines in {:.1} s ({})",
            built.elapsed().as_secs_f64(),
            path.display()
        );
    }
    let lib = Library::open(&path).expect("library");
    let queries = [
        ("rare word", "bioluminescence"),
        ("common word", "harbour"),
        ("two words", "crab lantern"),
        ("phrase", "\"the reef\""),
        ("prefix (typing)", "lant"),
    ];
    println!(
        "search over {transcripts} transcripts ({} lines), limit 50, median/max of {runs} runs (goal < 50 ms):",
        transcripts * lines
    );
    for (name, q) in queries {
        let mut t = Vec::new();
        let mut hits = 0;
        for _ in 0..runs {
            let s = Instant::now();
            hits = lib.search(q, 50).expect("search").len();
            t.push(s.elapsed());
        }
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "  {name:<16} {q:<18} {hits:>3} hits  median {:>7.2} ms  max {:>7.2} ms",
            ms(t[t.len() / 2]),
            ms(t[t.len() - 1])
        );
    }
}
