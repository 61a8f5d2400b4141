//! Up next and the sleep timer, headless on the test device: an episode that ends hands over to
//! the first queued one; a sleep timer pauses after its minutes of playing, at the end of the
//! chapter, or at the end of the episode (which then does not move on).

mod common;

use std::path::Path;
use std::time::Duration;

use common::session::{Headless, T};
use common::{wait_until, write_wav};
use earshot::chapters::Chapter;
use earshot::library::{EpisodeId, Library, NewEpisode, NewPodcast};
use earshot::player::output::manual::ManualOutput;
use earshot::player::PlayerStatus;
use earshot::session::{SleepTimer, UiEvent};

const RATE: u32 = 44_100;

struct Rig {
    headless: Headless,
    eps: Vec<EpisodeId>,
}

impl std::ops::Deref for Rig {
    type Target = Headless;
    fn deref(&self) -> &Headless {
        &self.headless
    }
}

/// A podcast of three WAV episodes of `secs` seconds each; the first has two chapters.
fn rig(dir: &Path, secs: f64) -> Rig {
    let mut lib = Library::open(&dir.join("library.sqlite3")).unwrap();
    let frames = (secs * RATE as f64) as u32;
    let mut new = Vec::new();
    for i in 0..3 {
        let name = format!("ep{i}.wav");
        write_wav(&dir.join(&name), RATE, frames, |n| {
            ((n % 100) as i16 - 50) * 100
        });
        new.push(NewEpisode {
            guid: format!("q{i}"),
            title: format!("Queued {i}"),
            published: Some(1_700_000_000 - i as i64),
            duration_secs: Some(secs),
            local_file: Some(name),
            chapters: if i == 0 {
                vec![
                    Chapter {
                        start: 0.0,
                        end: None,
                        title: "One".into(),
                        img: None,
                        url: None,
                        toc: true,
                    },
                    Chapter {
                        start: secs / 2.0,
                        end: None,
                        title: "Two".into(),
                        img: None,
                        url: None,
                        toc: true,
                    },
                ]
            } else {
                Vec::new()
            },
            chapters_source: "show-notes".into(),
            ..NewEpisode::default()
        });
    }
    let pid = lib
        .add_podcast(
            &NewPodcast {
                feed_url: "http://127.0.0.1/q.xml".into(),
                title: "Queue Show".into(),
                ..NewPodcast::default()
            },
            &new,
        )
        .unwrap();
    let eps: Vec<EpisodeId> = lib.episodes(pid).unwrap().iter().map(|e| e.id).collect();
    Rig {
        headless: Headless::start(lib, dir, ManualOutput::default()),
        eps,
    }
}

impl Rig {
    fn feed(&self, seconds: f64) {
        self.out
            .take_audio((seconds * RATE as f64) as usize, Duration::from_secs(2));
    }
    /// Feeds audio in small steps until `cond` holds (or `max` seconds were fed).
    fn feed_until(&self, max: f64, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let mut fed = 0.0;
        while fed < max {
            if cond(self) {
                return true;
            }
            self.feed(0.05);
            fed += 0.05;
            std::thread::sleep(Duration::from_millis(5));
        }
        cond(self)
    }
    fn queue_ids(&self) -> Vec<EpisodeId> {
        self.session
            .queue()
            .unwrap()
            .iter()
            .map(|q| q.episode_id)
            .collect()
    }
    fn last_queue_event(&self) -> Option<Vec<EpisodeId>> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find_map(|e| match e {
                UiEvent::Queue { items } => Some(items.iter().map(|q| q.episode_id).collect()),
                _ => None,
            })
    }
}

#[test]
fn the_queue_keeps_its_order_and_an_ended_episode_hands_over_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), 1.0);
    let [a, b, c] = [r.eps[0], r.eps[1], r.eps[2]];
    r.session.load(a, true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));

    r.session.queue_add(b, false).unwrap();
    r.session.queue_add(c, true).unwrap(); // play next: goes first
    assert_eq!(r.queue_ids(), vec![c, b]);
    r.session.queue_move(c, 1).unwrap();
    assert_eq!(r.queue_ids(), vec![b, c]);
    assert_eq!(r.last_queue_event(), Some(vec![b, c]), "the UI heard");
    // The episode playing now is not queued.
    r.session.queue_add(a, false).unwrap();
    assert_eq!(r.queue_ids(), vec![b, c]);

    // A ends: B starts by itself and leaves the queue.
    assert!(r.feed_until(3.0, |r| r.session.snapshot().episode_id == Some(b)));
    assert!(r.status_is(PlayerStatus::Playing));
    assert_eq!(r.queue_ids(), vec![c]);
    assert_eq!(r.last_queue_event(), Some(vec![c]));
    let (_, played) = r.session.library().progress(a).unwrap().unwrap();
    assert!(played, "the ended episode is played");

    // "Next" plays C now; the queue is then empty and the queue survives nothing stale.
    r.session.play_next().unwrap();
    assert!(wait_until(T, || r.session.snapshot().episode_id == Some(c)));
    assert!(r.queue_ids().is_empty());
    assert!(r.session.play_next().is_err(), "nothing left to play next");

    // Removing and clearing.
    r.session.queue_add(a, false).unwrap();
    r.session.queue_add(b, false).unwrap();
    r.session.queue_remove(a).unwrap();
    assert_eq!(r.queue_ids(), vec![b]);
    r.session.queue_clear().unwrap();
    assert!(r.queue_ids().is_empty());
}

#[test]
fn the_queue_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let eps = {
        let r = rig(dir.path(), 1.0);
        r.session.queue_add(r.eps[2], false).unwrap();
        r.session.queue_add(r.eps[1], false).unwrap();
        r.session.shutdown();
        r.eps.clone()
    };
    let lib = Library::open(&dir.path().join("library.sqlite3")).unwrap();
    let ids: Vec<EpisodeId> = lib.queue().unwrap().iter().map(|q| q.episode_id).collect();
    assert_eq!(ids, vec![eps[2], eps[1]]);
}

#[test]
fn a_minutes_sleep_timer_counts_down_while_playing_then_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), 30.0);
    r.session.load(r.eps[0], true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    let set = r.session.set_sleep_timer(Some(SleepTimer::Minutes {
        minutes: 0.02, // 1.2 s
        remaining_secs: 0.0,
    }));
    assert!(
        matches!(set, Some(SleepTimer::Minutes { remaining_secs, .. }) if (remaining_secs - 1.2).abs() < 1e-9)
    );
    r.feed(0.3);
    assert_eq!(r.session.snapshot().status, PlayerStatus::Playing);
    // The device takes audio in real time, as a sound card would.
    let start = std::time::Instant::now();
    while r.session.snapshot().status == PlayerStatus::Playing && start.elapsed() < T {
        r.feed(0.05);
        std::thread::sleep(Duration::from_millis(45));
    }
    let took = start.elapsed().as_secs_f64();
    assert_eq!(r.session.snapshot().status, PlayerStatus::Paused);
    assert!(took > 0.7, "paused after {took:.2} s of a 1.2 s timer");
    assert_eq!(r.session.snapshot().sleep_timer, None, "the timer is spent");
    let pos = r.session.snapshot().position;
    assert!(pos > 0.5 && pos < 10.0, "paused at {pos}");
}

#[test]
fn an_end_of_chapter_sleep_timer_pauses_where_the_chapter_ends() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), 4.0);
    r.session.load(r.eps[0], true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    r.session.set_sleep_timer(Some(SleepTimer::Chapter));
    assert!(r.feed_until(5.0, |r| r.session.snapshot().status == PlayerStatus::Paused));
    // It stops at the boundary: playing on starts with chapter two.
    assert!(wait_until(T, || (r.session.snapshot().position - 2.0)
        .abs()
        < 0.01));
    assert_eq!(r.session.snapshot().status, PlayerStatus::Paused);
    assert_eq!(r.session.snapshot().sleep_timer, None);
}

#[test]
fn an_end_of_episode_sleep_timer_stops_there_instead_of_moving_on() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig(dir.path(), 1.0);
    r.session.load(r.eps[0], true).unwrap();
    assert!(r.status_is(PlayerStatus::Playing));
    r.session.queue_add(r.eps[1], false).unwrap();
    r.session.set_sleep_timer(Some(SleepTimer::Episode));
    assert!(r.feed_until(3.0, |r| r.session.snapshot().status == PlayerStatus::Ended));
    std::thread::sleep(Duration::from_millis(200));
    let snap = r.session.snapshot();
    assert_eq!(snap.episode_id, Some(r.eps[0]), "did not move on");
    assert_eq!(snap.status, PlayerStatus::Ended);
    assert_eq!(snap.sleep_timer, None);
    assert_eq!(r.queue_ids(), vec![r.eps[1]], "the queue is kept for later");
}
