//! Media keys and desktop controls (MPRIS) end to end: a private D-Bus session bus, a Session on
//! a test output device, and `playerctl` as the desktop. Needs `dbus-daemon` and `playerctl`
//! (scripts/test.sh installs them); without them the D-Bus tests are skipped with a message,
//! except under CI, where that is a failure.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::wait_until;
use earshot::demo;
use earshot::library::{EpisodeId, Library};
use earshot::media_controls::{
    MediaControls, MediaControlsConfig, MediaControlsError, NEXT_SKIPS_SECS, PREVIOUS_SKIPS_SECS,
};
use earshot::player::output::manual::ManualOutput;
use earshot::player::PlayerStatus;
use earshot::session::Session;

const RATE: usize = 44_100;
const T: Duration = Duration::from_secs(10);
const ART: &[u8] = b"\x89PNG\r\n\x1a\n not really a picture, but bytes to cache";

/// A private session bus, stopped on drop.
struct Bus {
    address: String,
    daemon: Child,
}

impl Bus {
    /// Starts a bus, or returns None (after saying why) when the tools are missing outside CI.
    fn start() -> Option<Bus> {
        let missing: Vec<&str> = ["dbus-daemon", "playerctl"]
            .into_iter()
            .filter(|tool| {
                Command::new(tool)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_err()
            })
            .collect();
        if !missing.is_empty() {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(
                !ci,
                "CI: {} missing (scripts/test.sh installs the dbus and playerctl packages)",
                missing.join(" and ")
            );
            eprintln!(
                "SKIPPED: MPRIS test needs {} (apt-get install dbus playerctl)",
                missing.join(" and ")
            );
            return None;
        }
        // In the foreground, as our child: killed and reaped on drop.
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run dbus-daemon");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        Some(Bus { address, daemon })
    }

    /// `playerctl --player=earshot ARGS` on this bus: (success, stdout trimmed).
    fn ctl(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("playerctl")
            .arg("--player=earshot")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .output()
            .expect("run playerctl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    }

    /// Like [`Bus::ctl`], but the command must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let (ok, out) = self.ctl(args);
        assert!(ok, "playerctl {args:?} failed (output {out:?})");
        out
    }

    fn players(&self) -> Vec<String> {
        let out = Command::new("playerctl")
            .arg("--list-all")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("run playerctl");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn config(&self) -> MediaControlsConfig {
        MediaControlsConfig {
            bus_address: Some(self.address.clone()),
            ..MediaControlsConfig::default()
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

struct Rig {
    session: Session,
    out: ManualOutput,
    episode: EpisodeId,
    title: String,
    podcast: String,
}

fn rig(dir: &Path) -> Rig {
    let mut lib = Library::open(&dir.join("library.sqlite3")).unwrap();
    let podcast = demo::install(&mut lib, dir).unwrap();
    lib.store_artwork(podcast, "https://example.org/art.png", "image/png", ART)
        .unwrap();
    let media = lib.episode(lib.episodes(podcast).unwrap()[0].id).unwrap();
    let out = ManualOutput::default();
    let session = Session::start(lib, dir.to_path_buf(), Box::new(out.clone()), |_| {});
    Rig {
        session,
        out,
        episode: media.summary.id,
        title: media.summary.title,
        podcast: media.podcast_title,
    }
}

impl Rig {
    fn status_is(&self, s: PlayerStatus) -> bool {
        wait_until(T, || self.session.snapshot().status == s)
    }
    fn hear(&self, seconds: f64) {
        let n = (seconds * RATE as f64) as usize;
        assert_eq!(self.out.take_audio(n, T).len(), n);
    }
    fn position_near(&self, expected: f64) -> bool {
        wait_until(T, || {
            (self.session.snapshot().position - expected).abs() < 0.05
        })
    }
}

/// Polls `playerctl ARGS` until its output satisfies `cond`; returns the last output.
fn ctl_until(bus: &Bus, args: &[&str], cond: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    wait_until(T, || {
        let (ok, out) = bus.ctl(args);
        last = out;
        ok && cond(&last)
    });
    last
}

fn seconds(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("playerctl position printed {s:?}"))
}

#[test]
fn playerctl_reads_and_drives_the_session() {
    let Some(bus) = Bus::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path());
    let art_dir = dir.path().join("cache").join("artwork");
    let raised = Arc::new(AtomicUsize::new(0));
    let raise_count = raised.clone();
    let controls = MediaControls::attach(
        &r.session,
        MediaControlsConfig {
            artwork_dir: Some(art_dir.clone()),
            on_raise: Some(Arc::new(move || {
                raise_count.fetch_add(1, Ordering::SeqCst);
            })),
            ..bus.config()
        },
    )
    .expect("media controls on the private bus");
    assert_eq!(controls.bus_name(), "org.mpris.MediaPlayer2.earshot");
    assert!(
        bus.players().iter().any(|p| p == "earshot"),
        "{:?}",
        bus.players()
    );

    // Nothing loaded yet.
    assert_eq!(bus.ok(&["status"]), "Stopped");

    // Load the demo episode: the desktop sees its title, podcast, length and artwork.
    r.session.load(r.episode, false).unwrap();
    assert!(r.status_is(PlayerStatus::Paused));
    assert_eq!(bus.ok(&["status"]), "Paused");
    assert_eq!(bus.ok(&["metadata", "title"]), r.title);
    assert_eq!(bus.ok(&["metadata", "artist"]), r.podcast);
    assert_eq!(bus.ok(&["metadata", "album"]), r.podcast);
    let duration = r.session.snapshot().duration.expect("a duration");
    let length: i64 = ctl_until(&bus, &["metadata", "mpris:length"], |s| !s.is_empty())
        .parse()
        .unwrap();
    assert!(
        (length as f64 / 1e6 - duration).abs() < 0.01,
        "{length} µs vs {duration} s"
    );
    let art = bus.ok(&["metadata", "mpris:artUrl"]);
    let art_path = url::Url::parse(&art)
        .unwrap()
        .to_file_path()
        .expect("a file:// URL");
    assert!(art_path.starts_with(&art_dir), "{art}");
    assert_eq!(std::fs::read(&art_path).unwrap(), ART);
    let name = art_path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == 64 + 4 && name.ends_with(".png"),
        "named by a hash: {name}"
    );

    // Play / pause / play-pause from the desktop.
    bus.ok(&["play"]);
    assert!(r.status_is(PlayerStatus::Playing), "play from playerctl");
    assert_eq!(bus.ok(&["status"]), "Playing");
    r.hear(1.0);
    assert!(r.position_near(1.0));
    let pos = seconds(&bus.ok(&["position"]));
    assert!((pos - 1.0).abs() < 0.05, "position {pos}");
    bus.ok(&["pause"]);
    assert!(r.status_is(PlayerStatus::Paused), "pause from playerctl");
    bus.ok(&["play-pause"]);
    assert!(r.status_is(PlayerStatus::Playing), "play-pause → playing");
    bus.ok(&["play-pause"]);
    assert!(r.status_is(PlayerStatus::Paused), "play-pause → paused");

    // Absolute and relative seeks.
    bus.ok(&["position", "42"]);
    assert!(
        r.position_near(42.0),
        "SetPosition: {:?}",
        r.session.snapshot()
    );
    let pos = seconds(&ctl_until(&bus, &["position"], |s| {
        s.parse::<f64>().is_ok_and(|p| (p - 42.0).abs() < 0.05)
    }));
    assert!((pos - 42.0).abs() < 0.05, "position {pos}");
    bus.ok(&["position", "10-"]);
    assert!(
        r.position_near(32.0),
        "Seek -10 s: {:?}",
        r.session.snapshot()
    );
    bus.ok(&["position", "5+"]);
    assert!(
        r.position_near(37.0),
        "Seek +5 s: {:?}",
        r.session.snapshot()
    );
    // Past the end: ignored, as the spec says.
    bus.ctl(&["position", &format!("{}", duration + 60.0)]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(r.position_near(37.0), "{:?}", r.session.snapshot());

    // Next / Previous skip within the episode.
    bus.ok(&["next"]);
    assert!(
        r.position_near(37.0 + NEXT_SKIPS_SECS),
        "next: {:?}",
        r.session.snapshot()
    );
    bus.ok(&["previous"]);
    assert!(
        r.position_near(37.0 + NEXT_SKIPS_SECS - PREVIOUS_SKIPS_SECS),
        "previous: {:?}",
        r.session.snapshot()
    );

    // The other way: the app pauses and plays, the desktop follows.
    r.session.play();
    assert!(r.status_is(PlayerStatus::Playing));
    assert_eq!(ctl_until(&bus, &["status"], |s| s == "Playing"), "Playing");
    r.session.pause();
    assert!(r.status_is(PlayerStatus::Paused));
    assert_eq!(ctl_until(&bus, &["status"], |s| s == "Paused"), "Paused");
    r.session.seek(80.0);
    assert!(r.position_near(80.0));
    let pos = seconds(&bus.ok(&["position"]));
    assert!(
        (pos - 80.0).abs() < 0.05,
        "position after an app seek: {pos}"
    );

    // Stop pauses and keeps the episode; Play resumes it.
    bus.ok(&["play"]);
    assert!(r.status_is(PlayerStatus::Playing));
    bus.ok(&["stop"]);
    assert!(r.status_is(PlayerStatus::Paused), "stop pauses");
    assert_eq!(r.session.snapshot().episode_id, Some(r.episode));

    // Raise reaches the app's callback.
    let conn = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .unwrap();
    conn.call_method(
        Some(controls.bus_name()),
        "/org/mpris/MediaPlayer2",
        Some("org.mpris.MediaPlayer2"),
        "Raise",
        &(),
    )
    .unwrap();
    assert_eq!(raised.load(Ordering::SeqCst), 1);

    // Dropping the controls takes the player off the bus.
    drop(controls);
    assert!(
        wait_until(T, || !bus
            .players()
            .iter()
            .any(|p| p.starts_with("earshot"))),
        "{:?}",
        bus.players()
    );
    r.session.shutdown();
}

#[test]
fn the_desktop_hears_of_seeks_and_status_changes() {
    let Some(bus) = Bus::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path());
    r.session.load(r.episode, false).unwrap();
    assert!(r.status_is(PlayerStatus::Paused));
    let controls = MediaControls::attach(&r.session, bus.config()).unwrap();

    // Listen for the player's signals as a desktop shell does.
    let conn = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .unwrap();
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .path("/org/mpris/MediaPlayer2")
        .unwrap()
        .build();
    let messages = zbus::blocking::MessageIterator::for_match_rule(rule, &conn, None).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for m in messages.flatten() {
            let h = m.header();
            let member = h.member().map(|m| m.to_string()).unwrap_or_default();
            let text = match member.as_str() {
                "Seeked" => format!("Seeked {}", m.body().deserialize::<i64>().unwrap()),
                "PropertiesChanged" => {
                    let (iface, changed, _): (
                        String,
                        std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
                        Vec<String>,
                    ) = m.body().deserialize().unwrap();
                    let status = changed
                        .get("PlaybackStatus")
                        .and_then(|v| String::try_from(v.clone()).ok())
                        .unwrap_or_default();
                    format!("Changed {iface} {status}")
                }
                other => other.to_string(),
            };
            if tx.send(text).is_err() {
                return;
            }
        }
    });
    let expect = |what: &str| {
        let deadline = std::time::Instant::now() + T;
        let mut got = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(m) if m.starts_with(what) => return m,
                Ok(m) => got.push(m),
                Err(_) => break,
            }
        }
        panic!("no {what:?} signal; got {got:?}");
    };

    r.session.seek(50.0);
    assert!(r.position_near(50.0));
    let seeked = expect("Seeked");
    assert_eq!(seeked, "Seeked 50000000", "{seeked}");

    r.session.play();
    expect("Changed org.mpris.MediaPlayer2.Player Playing");
    r.session.pause();
    expect("Changed org.mpris.MediaPlayer2.Player Paused");

    // A second Earshot on the same bus gets an instance name.
    let second = MediaControls::attach(&r.session, bus.config()).unwrap();
    assert_eq!(
        second.bus_name(),
        format!(
            "org.mpris.MediaPlayer2.earshot.instance{}",
            std::process::id()
        )
    );
    drop(second);
    drop(controls);
    r.session.shutdown();
}

#[test]
fn without_a_bus_attaching_fails_cleanly_and_playback_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path());
    let err = MediaControls::attach(
        &r.session,
        MediaControlsConfig {
            bus_address: Some("unix:path=/nonexistent/earshot-no-bus".into()),
            ..MediaControlsConfig::default()
        },
    )
    .expect_err("no bus there");
    assert!(matches!(err, MediaControlsError::NoBus(_)), "{err:?}");
    assert!(err.to_string().contains("D-Bus"), "{err}");
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    r.hear(0.5);
    assert!(r.position_near(0.5));
    r.session.shutdown();
}
