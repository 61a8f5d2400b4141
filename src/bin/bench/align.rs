//! `earshot-bench align [--minutes 5,15,30,60] [--seed 1] [--no-ad]`: generated episodes with
//! known truth (`scripts/make-align-episode.sh`, cached in the temp folder): paragraph-start
//! error (median / p95 / max) of the aligner and of even spreading, the speed of alignment as a
//! multiple of real time (decode included), and on each ad variant the drift correction of its
//! timed transcript (errors before and after, the shift found, speed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use earshot::align;
use earshot::transcript::{self, Segment};

/// Truth of a generated episode.
pub struct Truth {
    pub duration: f64,
    pub starts: Vec<f64>,
    pub ad: Option<(f64, f64)>,
}

pub fn read_truth(path: &Path) -> Truth {
    let text = std::fs::read_to_string(path).expect("truth.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("truth.json is JSON");
    Truth {
        duration: v["duration"].as_f64().unwrap_or(0.0),
        starts: v["paragraphs"]
            .as_array()
            .expect("paragraphs")
            .iter()
            .map(|p| p["start"].as_f64().unwrap())
            .collect(),
        ad: v["adStart"].as_f64().zip(v["adLength"].as_f64()),
    }
}

/// Makes (or finds cached) the episode of `minutes` from `seed`; returns its folder.
pub fn episode(minutes: u32, seed: u64) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-align-episode.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(minutes.to_string())
        .arg(seed.to_string())
        .output()
        .expect("run scripts/make-align-episode.sh");
    assert!(
        out.status.success(),
        "make-align-episode.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Absolute start errors, sorted.
pub fn errors(segs: &[Segment], truth: &[f64]) -> Vec<f64> {
    assert_eq!(segs.len(), truth.len(), "one segment per paragraph");
    let mut e: Vec<f64> = segs
        .iter()
        .zip(truth)
        .map(|(s, t)| (s.start - t).abs())
        .collect();
    e.sort_by(f64::total_cmp);
    e
}

pub fn pct(e: &[f64], p: f64) -> f64 {
    if e.is_empty() {
        return f64::NAN;
    }
    let i = ((e.len() as f64 - 1.0) * p).round() as usize;
    e[i.min(e.len() - 1)]
}

fn line(name: &str, e: &[f64]) -> String {
    format!(
        "{name:<10} median {:>6.2} s   p95 {:>6.2} s   max {:>7.2} s",
        pct(e, 0.5),
        pct(e, 0.95),
        e.last().copied().unwrap_or(f64::NAN)
    )
}

pub fn bench_align(minutes: &[u32], seed: u64, ad: bool) {
    for &m in minutes {
        let t0 = Instant::now();
        let dir = episode(m, seed);
        let gen = t0.elapsed();
        let truth = read_truth(&dir.join("truth.json"));
        let text = std::fs::read_to_string(dir.join("transcript.txt")).expect("transcript");
        let untimed = transcript::parse_text(&text);
        let t = Instant::now();
        let segs = align::align_untimed(&untimed, &dir.join("episode.mp3"), &[], |_| true)
            .expect("alignment");
        let took = t.elapsed().as_secs_f64();
        let spread = untimed.spread(Some(truth.duration));
        if std::env::var_os("ALIGN_DEBUG").is_some() {
            for (i, (s, t)) in segs.iter().zip(&truth.starts).enumerate() {
                println!(
                    "  #{i:<3} {:>8.2} {:>8.2} {:>+6.2} {:?} {}",
                    s.start,
                    t,
                    s.start - t,
                    s.speaker,
                    s.text.chars().take(40).collect::<String>()
                );
            }
        }
        println!(
            "{m} min (seed {seed}): {:.1} min of audio, {} paragraphs, {} inline times (made or found in {:.1} s)",
            truth.duration / 60.0,
            truth.starts.len(),
            untimed.paragraphs.iter().map(|p| p.anchors.len()).sum::<usize>(),
            gen.as_secs_f64()
        );
        println!("  {}", line("aligned", &errors(&segs, &truth.starts)));
        println!("  {}", line("spread", &errors(&spread, &truth.starts)));
        println!(
            "  speed      {:.2} s for {:.0} s of audio: {:.0}x real time",
            took,
            truth.duration,
            truth.duration / took
        );
        if ad {
            let at = read_truth(&dir.join("ad-truth.json"));
            let vtt = std::fs::read_to_string(dir.join("ad.vtt")).expect("ad.vtt");
            let timed = transcript::parse_vtt(&vtt).expect("ad.vtt parses");
            let t = Instant::now();
            let (fixed, report) =
                align::correct_drift(&timed, &dir.join("ad.mp3")).expect("drift correction");
            let took = t.elapsed().as_secs_f64();
            let (ad_at, ad_len) = at.ad.unwrap_or_default();
            println!(
                "  ad variant: {ad_len:.1} s ad at {ad_at:.1} s; shifts found {:?}; match {:.2} → {:.2}",
                report
                    .shifts
                    .iter()
                    .map(|s| format!("{:+.2} s from {:.1} s", s.offset, s.from))
                    .collect::<Vec<_>>(),
                report.match_score_before,
                report.match_score
            );
            println!("    {}", line("as given", &errors(&timed, &at.starts)));
            println!("    {}", line("corrected", &errors(&fixed, &at.starts)));
            println!(
                "    speed      {:.2} s: {:.0}x real time",
                took,
                at.duration / took
            );
            // The untimed transcript aligned to the copy with the ad it does not mention.
            let t = Instant::now();
            let segs = align::align_untimed(&untimed, &dir.join("ad.mp3"), &[], |_| true)
                .expect("alignment");
            let took = t.elapsed().as_secs_f64();
            println!(
                "    {}   ({:.0}x real time)",
                line("untimed", &errors(&segs, &at.starts)),
                at.duration / took
            );
        }
    }
}
