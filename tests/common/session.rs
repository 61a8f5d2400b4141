//! A listening session, headless, on a test device that takes audio only when told to; the
//! events it sends the UI are recorded.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earshot::library::Library;
use earshot::player::output::manual::ManualOutput;
use earshot::player::PlayerStatus;
use earshot::session::{Session, UiEvent};

use super::wait_until;

/// How long the helpers wait for the session to get somewhere.
pub const T: Duration = Duration::from_secs(10);

pub struct Headless {
    pub session: Session,
    pub out: ManualOutput,
    pub events: Arc<Mutex<Vec<UiEvent>>>,
}

impl Headless {
    /// Starts a session on `lib`, its data in `dir`, playing to `out`.
    pub fn start(lib: Library, dir: &Path, out: ManualOutput) -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let session = Session::start(lib, dir.to_path_buf(), Box::new(out.clone()), move |e| {
            sink.lock().unwrap().push(e)
        });
        Self {
            session,
            out,
            events,
        }
    }

    /// Waits (up to [`T`]) for the player to be in `s`.
    pub fn status_is(&self, s: PlayerStatus) -> bool {
        wait_until(T, || self.session.snapshot().status == s)
    }
}
