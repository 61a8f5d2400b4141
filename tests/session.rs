//! The listening session end to end, headless: demo podcast installed, played on a test
//! device that takes audio only when told to, progress saved and restored.

mod common;

use std::path::Path;
use std::time::Duration;

use common::session::{Headless, T};
use common::wait_until;
use earshot::demo;
use earshot::library::{EpisodeId, Library};
use earshot::player::output::manual::ManualOutput;
use earshot::player::PlayerStatus;
use earshot::session::{Session, UiEvent};

const RATE: usize = 44_100;

/// The demo podcast in a headless session; `episode` is its first episode.
struct Rig {
    headless: Headless,
    episode: EpisodeId,
}

impl std::ops::Deref for Rig {
    type Target = Headless;
    fn deref(&self) -> &Headless {
        &self.headless
    }
}

fn rig(dir: &Path, out: ManualOutput) -> Rig {
    let mut lib = Library::open(&dir.join("library.sqlite3")).unwrap();
    let podcast = demo::install(&mut lib, dir).unwrap();
    let episode = lib.episodes(podcast).unwrap()[0].id;
    Rig {
        headless: Headless::start(lib, dir, out),
        episode,
    }
}

impl Rig {
    /// Lets the device take `seconds` of audio, then waits for the position to report it.
    fn hear(&self, seconds: f64) {
        let n = (seconds * RATE as f64) as usize;
        assert_eq!(
            self.out.take_audio(n, T).len(),
            n,
            "device got {seconds}s of audio"
        );
    }
    fn position_near(&self, expected: f64) -> bool {
        wait_until(T, || {
            (self.session.snapshot().position - expected).abs() < 0.03
        })
    }
    fn errors(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                UiEvent::Error { message } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn position_follows_the_audio_the_device_took_and_progress_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), ManualOutput::default());
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    assert!(r.position_near(0.0));

    r.hear(2.0);
    assert!(
        r.position_near(2.0),
        "after 2 s heard: {:?}",
        r.session.snapshot()
    );
    // Nothing taken, nothing moves: no wall clock in the position.
    std::thread::sleep(Duration::from_millis(300));
    assert!(r.position_near(2.0));

    r.session.seek(60.0);
    assert!(
        r.position_near(60.0),
        "seek reported at once: {:?}",
        r.session.snapshot()
    );
    r.hear(1.5);
    assert!(r.position_near(61.5));

    r.session.skip(-15.0);
    assert!(r.position_near(46.5));
    r.session.pause();
    assert!(r.status_is(PlayerStatus::Paused));
    // Paused: the device gets silence and the position stays.
    assert!(r
        .out
        .take_audio(RATE / 2, Duration::from_millis(200))
        .is_empty());
    assert!(r.position_near(46.5));
    let saved = r.session.library().progress(r.episode).unwrap().unwrap();
    assert!((saved.0 - 46.5).abs() < 0.03, "saved on pause: {saved:?}");
    r.session.shutdown();
    drop(r);

    // Relaunch: the last episode comes back paused where the listener was.
    let r = rig(dir.path(), ManualOutput::default());
    let restored = r.session.restore().unwrap().expect("an episode to restore");
    assert_eq!(restored.episode_id, Some(r.episode));
    assert!(r.status_is(PlayerStatus::Paused));
    assert!(r.position_near(46.5));
    r.session.play();
    assert!(r.status_is(PlayerStatus::Playing));
    r.hear(0.5);
    assert!(r.position_near(47.0));
    assert!(r.errors().is_empty(), "{:?}", r.errors());
}

#[test]
fn playing_to_the_end_marks_the_episode_played() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), ManualOutput::default());
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    let duration = r.session.snapshot().duration.unwrap();
    r.session.seek(duration - 0.5);
    assert!(r.position_near(duration - 0.5));
    r.out.take_audio(RATE, Duration::from_secs(2));
    assert!(r.status_is(PlayerStatus::Ended));
    let (pos, played) = r.session.library().progress(r.episode).unwrap().unwrap();
    assert!(played, "ended episode is played");
    assert!((pos - duration).abs() < 0.05);
    // Play again starts over.
    r.session.play();
    assert!(r.status_is(PlayerStatus::Playing));
    assert!(r.position_near(0.0));
}

#[test]
fn no_audio_device_is_a_clear_message_and_the_session_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let out = ManualOutput::failing("no sound card");
    let r = rig(dir.path(), out);
    r.session.load(r.episode, true).unwrap();
    assert!(wait_until(T, || !r.errors().is_empty()));
    assert!(
        r.errors()[0].contains("No audio output device"),
        "{:?}",
        r.errors()
    );
    assert!(r.status_is(PlayerStatus::Paused));
    r.session.seek(30.0);
    assert!(r.position_near(30.0), "still responsive");
}

#[test]
fn missing_and_corrupt_audio_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), ManualOutput::default());
    let audio = dir.path().join("demo/episode1.mp3");

    std::fs::remove_file(&audio).unwrap();
    let err = r.session.load(r.episode, true).unwrap_err();
    assert!(err.to_string().contains("audio file"), "{err}");

    std::fs::write(&audio, b"this is not audio at all, just text pretending").unwrap();
    r.session.load(r.episode, true).unwrap();
    assert!(wait_until(T, || !r.errors().is_empty()));
    assert!(
        r.errors()[0].contains("not in a format Earshot can play"),
        "{:?}",
        r.errors()
    );

    // Reinstalling the demo repairs the file; playback works again.
    demo::install(&mut r.session.library(), dir.path()).unwrap();
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    r.hear(0.5);
    assert!(r.position_near(0.5));
}

#[test]
fn an_episode_that_is_not_downloaded_streams_and_seeks_by_range() {
    use common::server::{Response, Server};
    use earshot::library::{NewEpisode, NewPodcast};
    let srv = Server::start();
    let mp3 = std::fs::read(common::demo_mp3()).unwrap();
    srv.route("/ep.mp3", move |req| {
        Response::ranged(req, "audio/mpeg", &mp3)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut lib = Library::open(&dir.path().join("library.sqlite3")).unwrap();
    let podcast = lib
        .add_podcast(
            &NewPodcast {
                feed_url: srv.url("/feed.xml"),
                title: "Remote".into(),
                ..Default::default()
            },
            &[NewEpisode {
                guid: "r1".into(),
                title: "Streamed".into(),
                duration_secs: Some(132.6),
                enclosure_url: Some(srv.url("/ep.mp3")),
                ..Default::default()
            }],
        )
        .unwrap();
    let episode = lib.episodes(podcast).unwrap()[0].id;
    let out = ManualOutput::default();
    let session = Session::start(lib, dir.path().to_path_buf(), Box::new(out.clone()), |_| {});
    session.load(episode, true).unwrap();
    assert!(
        wait_until(T, || session.snapshot().status == PlayerStatus::Playing),
        "{:?}",
        session.snapshot()
    );
    let n = RATE;
    assert_eq!(out.take_audio(n, T).len(), n);
    assert!(
        wait_until(T, || (session.snapshot().position - 1.0).abs() < 0.03),
        "{:?}",
        session.snapshot()
    );

    session.seek(100.0);
    assert!(wait_until(T, || (session.snapshot().position - 100.0)
        .abs()
        < 0.03));
    assert_eq!(out.take_audio(n / 2, T).len(), n / 2);
    assert!(
        wait_until(T, || (session.snapshot().position - 100.5).abs() < 0.03),
        "{:?}",
        session.snapshot()
    );
    let ranges: Vec<String> = srv
        .requests("/ep.mp3")
        .iter()
        .filter_map(|r| r.header("range").map(str::to_string))
        .collect();
    let far = ranges.iter().any(|r| {
        r.trim_start_matches("bytes=")
            .split('-')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 500_000
    });
    assert!(
        far,
        "the seek fetched a range near 100 s instead of reading everything: {ranges:?}"
    );
}

#[test]
fn skipped_chapters_are_jumped_over_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), ManualOutput::default());
    let chapters = r.session.library().chapters(r.episode).unwrap();
    let (second, third) = (chapters[1].start, chapters[2].start);
    r.session
        .set_chapter_skipped(r.episode, second, true)
        .unwrap();
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    r.session.seek(second - 1.0);
    assert!(r.position_near(second - 1.0));
    r.hear(1.5);
    assert!(
        wait_until(T, || r.session.snapshot().position >= third),
        "chapter 2 was skipped: {:?}",
        r.session.snapshot()
    );
    r.hear(0.5);
    assert!(
        r.position_near(third + 0.5),
        "plays on from chapter 3: {:?}",
        r.session.snapshot()
    );
    assert_eq!(
        r.session
            .library()
            .skipped_chapter_starts(r.episode)
            .unwrap(),
        vec![second]
    );

    // Unticked again: it plays.
    r.session
        .set_chapter_skipped(r.episode, second, false)
        .unwrap();
    r.session.seek(second + 1.0);
    assert!(r.position_near(second + 1.0));
    r.hear(1.0);
    assert!(r.position_near(second + 2.0), "{:?}", r.session.snapshot());
}

#[test]
fn back_to_back_skips_chain() {
    use earshot::session::skip_target;
    let ranges = [(10.0, 20.0), (20.0, 30.0), (50.0, 60.0)];
    assert_eq!(skip_target(&ranges, 12.0), Some(30.0));
    assert_eq!(skip_target(&ranges, 30.0), None);
    assert_eq!(skip_target(&ranges, 55.0), Some(60.0));
    assert_eq!(skip_target(&ranges, 5.0), None);
}

#[test]
fn pausing_in_the_last_seconds_marks_the_episode_played() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), ManualOutput::default());
    r.session.load(r.episode, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    let duration = r.session.snapshot().duration.unwrap();
    r.session.seek(duration - 20.0);
    r.session.pause();
    assert!(r.status_is(PlayerStatus::Paused));
    assert_eq!(
        r.session
            .library()
            .progress(r.episode)
            .unwrap()
            .map(|p| p.1),
        Some(false),
        "20 s before the end is in progress"
    );
    r.session.seek(duration - 5.0);
    assert!(
        wait_until(T, || r
            .session
            .library()
            .progress(r.episode)
            .unwrap()
            .is_some_and(|p| p.1)),
        "5 s before the end is played"
    );
    let podcast = r
        .session
        .library()
        .episode(r.episode)
        .unwrap()
        .summary
        .podcast_id;
    assert!(
        r.session.library().episodes(podcast).unwrap()[0].played,
        "shown as played in the list"
    );
}
