//! Generated episodes with known truth for the alignment tests (`scripts/make-align-episode.sh`:
//! espeak-ng, sox and ffmpeg). Without those tools the tests are skipped, unless `CI` is set,
//! where their absence is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use earshot::transcript::Segment;

/// Median, 95th percentile and largest paragraph-start error of `segs` against the true
/// `starts` (one segment per paragraph).
pub fn start_errors(segs: &[Segment], starts: &[f64]) -> (f64, f64, f64) {
    assert_eq!(segs.len(), starts.len(), "one segment per paragraph");
    let mut e: Vec<f64> = segs
        .iter()
        .zip(starts)
        .map(|(s, t)| (s.start - t).abs())
        .collect();
    e.sort_by(f64::total_cmp);
    let at = |p: f64| e[(((e.len() - 1) as f64) * p).round() as usize];
    (at(0.5), at(0.95), *e.last().unwrap())
}

/// Generates (or reuses, from the generator's cache in the temp folder, keyed by its version,
/// length and seed) an episode of about `minutes` made from `seed`; its folder, or `None`
/// when the tools are missing outside CI.
pub fn generated_episode(minutes: u32, seed: u32) -> Option<PathBuf> {
    let missing: Vec<&str> = [
        ("espeak-ng", "--version"),
        ("sox", "--version"),
        ("ffmpeg", "-version"),
    ]
    .into_iter()
    .filter(|(t, flag)| {
        Command::new(t)
            .arg(flag)
            .output()
            .map_or(true, |o| !o.status.success())
    })
    .map(|(t, _)| t)
    .collect();
    if !missing.is_empty() {
        let msg = format!(
            "alignment tests need {} (apt-get install -y espeak-ng sox ffmpeg)",
            missing.join(", ")
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("skipped: {msg}");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-align-episode.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args([minutes.to_string(), seed.to_string()])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "make-align-episode.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("the generator prints its folder")
        .trim()
        .to_string();
    Some(PathBuf::from(dir))
}
