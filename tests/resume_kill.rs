//! Kill -9 at random moments while an episode plays (`earshot-cli listen`, the app's session
//! on a device-less real-time clock): the library opens intact every time, the saved position
//! is never more than 5 s behind what was heard, and the next run resumes there.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::faulty::Rng;
use earshot::library::{EpisodeId, Library};

/// The most listening a kill may lose (the bound; the session saves every 3 s).
const MAX_LOSS: f64 = 5.0;

struct Heard {
    first: Option<f64>,
    last: f64,
}

#[test]
fn kill_9_at_random_moments_loses_at_most_five_seconds_and_never_the_library() {
    let seed = common::fault_seed();
    println!("resume_kill: seed {seed}");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut saved_before = 0.0;
    for round in 0..4 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_earshot-cli"))
            .args(["listen", "--output", "null", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let heard = Arc::new(Mutex::new(Heard {
            first: None,
            last: 0.0,
        }));
        let h = heard.clone();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                if v["event"] == "position" {
                    let p = v["position"].as_f64().unwrap();
                    let mut h = h.lock().unwrap();
                    h.first.get_or_insert(p);
                    h.last = p;
                }
            }
        });
        // Play a random while, then kill -9 (SIGKILL: no chance to save on the way out).
        let started = Instant::now();
        while heard.lock().unwrap().first.is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let play_for = Duration::from_millis(rng.range(1_500, 7_000));
        std::thread::sleep(play_for);
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();

        let heard = heard.lock().unwrap();
        let first = heard.first.expect("it played");
        let lib = Library::open(&dir.path().join("library.sqlite3")).expect("library opens");
        assert!(
            lib.integrity_check().unwrap(),
            "round {round}: database intact"
        );
        let (saved, played) = lib.progress(EpisodeId(1)).unwrap().unwrap_or((0.0, false));
        println!(
            "round {round}: resumed at {first:.2}, killed after {play_for:?} at {:.2}, saved {saved:.2}",
            heard.last
        );
        assert!(!played);
        // It resumed where the previous run's saved position said.
        assert!(
            (first - saved_before).abs() < 0.3,
            "seed {seed} round {round}: resumed at {first}, saved was {saved_before}"
        );
        assert!(
            heard.last - saved <= MAX_LOSS,
            "seed {seed} round {round}: heard {} but saved {saved}",
            heard.last
        );
        assert!(
            saved <= heard.last + 0.2,
            "never saved ahead of what was heard"
        );
        saved_before = saved;
    }
}
