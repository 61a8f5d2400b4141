//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

/// Polls `cond` until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Writes a 16-bit PCM WAV whose sample `i` is `value(i)`.
pub fn write_wav(path: &Path, sample_rate: u32, frames: u32, value: impl Fn(u32) -> i16) {
    let data_len = frames * 2;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&sample_rate.to_le_bytes());
    b.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        b.extend_from_slice(&value(i).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

/// The seed for a randomized test: `EARSHOT_FAULT_SEED` to replay one, else the clock. The
/// caller prints it so a failure can be rerun.
pub fn fault_seed() -> u64 {
    std::env::var("EARSHOT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// Download settings for a server that fails at random: short timeouts and backoff, many
/// attempts.
pub fn fault_tolerant_downloads(concurrency: usize) -> earshot::download::DownloadConfig {
    earshot::download::DownloadConfig {
        concurrency,
        stall_timeout: Duration::from_millis(250),
        connect_timeout: Duration::from_secs(2),
        max_attempts: 10,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(50),
        progress_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

/// A tokio runtime with two worker threads, for tests that drive async code from sync ones.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `earshot-cli` with `args`, to its end.
pub fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `earshot-cli` with `args`, which must succeed, and parses what it printed as JSON.
pub fn cli_json(args: &[&str]) -> serde_json::Value {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The path of `tests/fixtures/<dir>/<name>`.
pub fn fixture(dir: &str, name: &str) -> String {
    format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The bytes of `tests/fixtures/<dir>/<name>`.
pub fn read_fixture(dir: &str, name: &str) -> Vec<u8> {
    let path = fixture(dir, name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn demo_mp3() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/episode1.mp3")
}
pub mod align;
pub mod faulty;
pub mod rng;
pub mod server;
pub mod session;
