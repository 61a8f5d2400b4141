//! `earshot-bench align [--minutes 5,15,30,60] [--seed 1] [--no-ad]`: generated episodes with
//! known truth (`scripts/make-align-episode.sh`, cached in the temp folder; episodes of 15
//! minutes or less are made from two seeds, `seed` and `seed + 1`), in two tables printed as
//! they fill:
//!
//! 1. an untimed transcript aligned to the episode: paragraph-start error (median / p95) of the
//!    aligner and of even spreading, the speed of alignment as a multiple of real time (decode
//!    included); then the same transcript aligned to the copy with a 20–40 s ad in the middle
//!    (`ad.mp3`) and to the copy with a pre-roll ad over music (`pre.mp3`), neither of which
//!    the transcript mentions;
//! 2. drift correction of the publisher's timed transcript (errors as given → corrected, and
//!    the shift found against the true one): for an ad inserted in the middle, a pre-roll
//!    inserted, and an ad removed (the publisher's transcript made on the copy with the ad,
//!    the listener's copy without it).
//!
//! `ALIGN_DEBUG=1` prints every paragraph of every untimed case (start found, truth, error).
//! `ALIGN_VARIED=1` adds, for each episode, the generator's varied-delivery variant
//! (`scripts/make-align-episode.sh` with `ALIGN_VARIED=1`).

use std::io::Write;
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
pub fn episode(minutes: u32, seed: u64, varied: bool) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-align-episode.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .arg(minutes.to_string())
        .arg(seed.to_string());
    if varied {
        cmd.env("ALIGN_VARIED", "1");
    } else {
        cmd.env_remove("ALIGN_VARIED");
    }
    let out = cmd.output().expect("run scripts/make-align-episode.sh");
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

/// `median/p95` of sorted errors, 11 wide.
fn mp(e: &[f64]) -> String {
    format!("{:>5.2}/{:<5.2}", pct(e, 0.5), pct(e, 0.95))
}

fn debug(name: &str, segs: &[Segment], starts: &[f64]) {
    if std::env::var_os("ALIGN_DEBUG").is_none() {
        return;
    }
    println!("  -- {name}");
    for (i, (s, t)) in segs.iter().zip(starts).enumerate() {
        println!(
            "  #{i:<3} {:>8.2} {:>8.2} {:>+7.2} {:?} {}",
            s.start,
            t,
            s.start - t,
            s.speaker,
            s.text.chars().take(40).collect::<String>()
        );
    }
}

/// Aligns the episode's untimed transcript to `audio`; errors against `truth` and the speed.
fn untimed_case(dir: &Path, audio: &str, truth: &Truth, name: &str) -> (Vec<f64>, Vec<f64>, f64) {
    let text = std::fs::read_to_string(dir.join("transcript.txt")).expect("transcript");
    let untimed = transcript::parse_text(&text);
    let t = Instant::now();
    let segs = align::align_untimed(&untimed, &dir.join(audio), &[], |_| true).expect("alignment");
    let took = t.elapsed().as_secs_f64();
    debug(name, &segs, &truth.starts);
    let spread = untimed.spread(Some(truth.duration));
    (
        errors(&segs, &truth.starts),
        errors(&spread, &truth.starts),
        truth.duration / took,
    )
}

/// Drift correction of the timed transcript `vtt` against `audio` (cues spoken by `Sponsor`,
/// the ad's own, are left out of the errors): errors before and after, shifts, speed.
fn drift_case(dir: &Path, vtt: &str, audio: &str, truth: &Truth) -> DriftRow {
    let text = std::fs::read_to_string(dir.join(vtt)).expect("vtt");
    let timed = transcript::parse_vtt(&text).expect("vtt parses");
    let t = Instant::now();
    let (fixed, report) = align::correct_drift(&timed, &dir.join(audio)).expect("drift");
    let took = t.elapsed().as_secs_f64();
    let keep = |segs: &[Segment]| -> Vec<Segment> {
        segs.iter()
            .filter(|s| s.speaker.as_deref() != Some("Sponsor"))
            .cloned()
            .collect()
    };
    DriftRow {
        before: errors(&keep(&timed), &truth.starts),
        after: errors(&keep(&fixed), &truth.starts),
        shifts: report
            .shifts
            .iter()
            .map(|s| format!("{:+.2}@{:.0}", s.offset, s.from))
            .collect::<Vec<_>>()
            .join(" "),
        speed: truth.duration / took,
    }
}

struct DriftLine {
    name: String,
    /// Ad inserted mid-episode, pre-roll inserted, ad removed.
    cases: [DriftRow; 3],
    mid_len: f64,
    pre_len: f64,
}

struct DriftRow {
    before: Vec<f64>,
    after: Vec<f64>,
    shifts: String,
    speed: f64,
}

pub fn bench_align(minutes: &[u32], seed: u64, ad: bool) {
    let varied = std::env::var_os("ALIGN_VARIED").is_some();
    let mut runs: Vec<(u32, u64, bool)> = Vec::new();
    for &m in minutes {
        let seeds: Vec<u64> = if m <= 15 {
            vec![seed, seed + 1]
        } else {
            vec![seed]
        };
        for s in seeds {
            runs.push((m, s, false));
            if varied {
                runs.push((m, s, true));
            }
        }
    }
    let label = |m: u32, s: u64, v: bool| format!("{m:>2} min s{s}{}", if v { " var" } else { "" });
    let flush = || std::io::stdout().flush().unwrap_or(());

    println!(
        "Untimed transcript → audio: paragraph-start error median/p95 (s), speed (× real time)"
    );
    print!(
        "{:<13} {:>5} {:>6} | {:<11} {:<11} {:>6}",
        "episode", "paras", "audio", "aligned", "spread", "×RT"
    );
    if ad {
        print!(
            " | {:<11} {:<11} | {:<11} {:<11}",
            "mid ad:aln", "mid:spread", "preroll:aln", "pre:spread"
        );
    }
    println!();
    let mut drift_rows: Vec<DriftLine> = Vec::new();
    for &(m, s, v) in &runs {
        let dir = episode(m, s, v);
        let truth = read_truth(&dir.join("truth.json"));
        let (a, sp, speed) = untimed_case(&dir, "episode.mp3", &truth, &label(m, s, v));
        print!(
            "{:<13} {:>5} {:>5.1}m | {} {} {:>6.0}",
            label(m, s, v),
            truth.starts.len(),
            truth.duration / 60.0,
            mp(&a),
            mp(&sp),
            speed
        );
        if ad {
            let at = read_truth(&dir.join("ad-truth.json"));
            let pt = read_truth(&dir.join("pre-truth.json"));
            let (a, sp, _) = untimed_case(&dir, "ad.mp3", &at, "mid ad");
            print!(" | {} {}", mp(&a), mp(&sp));
            let (a, sp, _) = untimed_case(&dir, "pre.mp3", &pt, "pre-roll");
            print!(" | {} {}", mp(&a), mp(&sp));
            drift_rows.push(DriftLine {
                name: label(m, s, v),
                cases: [
                    drift_case(&dir, "ad.vtt", "ad.mp3", &at),
                    drift_case(&dir, "ad.vtt", "pre.mp3", &pt),
                    drift_case(&dir, "removed.vtt", "episode.mp3", &truth),
                ],
                mid_len: at.ad.unwrap_or_default().1,
                pre_len: pt.ad.unwrap_or_default().1,
            });
        }
        println!();
        flush();
    }
    if !ad {
        return;
    }
    println!();
    println!(
        "Drift correction of the publisher's timed transcript: error median/p95 (s) as given → corrected; shift found (offset@from) / true"
    );
    println!(
        "{:<13} | {:<44} | {:<44} | {:<44}",
        "episode", "ad inserted mid-episode", "pre-roll inserted", "ad removed"
    );
    for line in &drift_rows {
        print!("{:<13}", line.name);
        for (k, c) in line.cases.iter().enumerate() {
            let truth = match k {
                0 => format!("{:+.2}", line.mid_len),
                1 => format!("{:+.2}", line.pre_len),
                _ => format!("{:+.2}", -line.mid_len),
            };
            let cell = format!(
                "{} → {} {}/{}",
                mp(&c.before),
                mp(&c.after),
                if c.shifts.is_empty() {
                    "none"
                } else {
                    &c.shifts
                },
                truth
            );
            print!(" | {cell:<44}");
        }
        println!();
    }
    let speeds: Vec<f64> = drift_rows
        .iter()
        .flat_map(|r| r.cases.iter().map(|c| c.speed))
        .collect();
    if !speeds.is_empty() {
        println!(
            "drift correction speed: {:.0}–{:.0}× real time (decode included)",
            speeds.iter().copied().fold(f64::INFINITY, f64::min),
            speeds.iter().copied().fold(0.0, f64::max)
        );
    }
}
