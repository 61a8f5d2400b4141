//! The session's side of a lost sound server, on the test device (`ManualOutput::lose`; the
//! real PulseAudio server killed and restarted is in `tests/pulse_output.rs`): the listener is
//! told, the session pauses where the audio stopped with its progress saved, and Play goes on
//! from there.

mod common;

use common::session::{Headless, T};
use common::wait_until;
use earshot::demo;
use earshot::library::Library;
use earshot::player::output::manual::ManualOutput;
use earshot::player::PlayerStatus;
use earshot::session::UiEvent;

const RATE: usize = 44_100;

#[test]
fn a_lost_output_pauses_the_session_where_it_stopped_and_play_goes_on_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut lib = Library::open(&dir.path().join("library.sqlite3")).unwrap();
    let podcast = demo::install(&mut lib, dir.path()).unwrap();
    let episode = lib.episodes(podcast).unwrap()[0].id;
    let h = Headless::start(lib, dir.path(), ManualOutput::default());
    let position_near = |expected: f64| {
        wait_until(T, || {
            (h.session.snapshot().position - expected).abs() < 0.03
        })
    };
    let errors = || {
        h.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                UiEvent::Error { message } => Some(message.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    h.session.load(episode, true).unwrap();
    assert!(h.status_is(PlayerStatus::Playing));
    assert_eq!(h.out.take_audio(2 * RATE, T).len(), 2 * RATE);
    assert!(position_near(2.0), "{:?}", h.session.snapshot());

    h.out.lose("the server closed the connection");
    assert!(
        h.status_is(PlayerStatus::Paused),
        "{:?}",
        h.session.snapshot()
    );
    assert!(position_near(2.0), "{:?}", h.session.snapshot());
    assert!(wait_until(T, || !errors().is_empty()));
    let message = &errors()[0];
    assert_eq!(
        message,
        "Lost the connection to the sound server (PulseAudio): the server closed the \
         connection. Press play to try again."
    );
    assert_eq!(h.session.snapshot().error.as_ref(), Some(message));
    let (saved, _) = h.session.library().progress(episode).unwrap().unwrap();
    assert!((saved - 2.0).abs() < 0.03, "progress saved at {saved}");

    // Play opens the device again and goes on from there; the error is cleared.
    h.session.play();
    assert!(h.status_is(PlayerStatus::Playing));
    assert_eq!(h.session.snapshot().error, None);
    assert_eq!(h.out.take_audio(RATE / 2, T).len(), RATE / 2);
    assert!(position_near(2.5), "{:?}", h.session.snapshot());
    assert_eq!(errors().len(), 1, "{:?}", errors());
}
