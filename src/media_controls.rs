//! Desktop integration: media keys and the desktop's "now playing" controls, through MPRIS
//! (`org.mpris.MediaPlayer2`) on the session D-Bus on Linux.
//!
//! [`MediaControls::attach`] publishes a running [`Session`] as an MPRIS player named
//! `org.mpris.MediaPlayer2.earshot` (or `earshot.instance<pid>` when another Earshot already
//! holds that name), so `playerctl --player=earshot …`, GNOME Shell, KDE Plasma and the media
//! keys reach it:
//!
//! - **Metadata**: the episode as `xesam:title`, the podcast as `xesam:album` and
//!   `xesam:artist`, `mpris:length`, and `mpris:artUrl` as a `file://` URL of the podcast's
//!   artwork, written once to a cache folder under a name made from a hash of the image bytes.
//! - **Status and position**: `PlaybackStatus` (Playing / Paused / Stopped) and `Position` are
//!   read from the session whenever a client asks; a watcher polls the session 5 times a second
//!   and announces changes (`PropertiesChanged`) and jumps (`Seeked`), so clients interpolate
//!   between reads at `Rate` (the playback speed).
//! - **Methods**: Play, Pause, PlayPause, Seek (relative), SetPosition (absolute, ignored for a
//!   stale track id or a position outside the episode, as the spec says), Raise (when the app
//!   gives a callback). **Next and Previous skip forward 30 s and back 15 s** (the app's own
//!   skip buttons): a podcast listener's headphone "next" means "skip ahead", and episodes are not
//!   a playlist. **Stop pauses** and keeps the episode loaded, so Play afterwards resumes the
//!   same episode where it stopped (which is what the spec asks of Play after Stop).
//!
//! With no session bus (a headless box, a container) attaching fails with a clear error and
//! the caller logs it; nothing else changes. On other platforms attaching reports
//! [`MediaControlsError::Unsupported`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::session::Session;

/// How far MPRIS `Next` skips forward, in seconds.
pub const NEXT_SKIPS_SECS: f64 = 30.0;
/// How far MPRIS `Previous` skips back, in seconds.
pub const PREVIOUS_SKIPS_SECS: f64 = 15.0;

/// Called when the desktop asks to bring the player window to the front (MPRIS `Raise`).
pub type RaiseCallback = Arc<dyn Fn() + Send + Sync>;

/// How to publish the player.
#[derive(Clone)]
pub struct MediaControlsConfig {
    /// The last part of the bus name: `org.mpris.MediaPlayer2.<player_name>`.
    pub player_name: String,
    /// The name desktops show (MPRIS `Identity`).
    pub identity: String,
    /// The desktop file's name without `.desktop` (MPRIS `DesktopEntry`), if known.
    pub desktop_entry: Option<String>,
    /// Where podcast artwork is written for `mpris:artUrl`; no artwork is published without it.
    pub artwork_dir: Option<PathBuf>,
    /// A D-Bus address to use instead of the session bus of the environment (tests).
    pub bus_address: Option<String>,
    /// Brings the window to the front; `CanRaise` is false without it.
    pub on_raise: Option<RaiseCallback>,
}

impl Default for MediaControlsConfig {
    fn default() -> Self {
        Self {
            player_name: "earshot".into(),
            identity: "Earshot".into(),
            desktop_entry: None,
            artwork_dir: None,
            bus_address: None,
            on_raise: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaControlsError {
    #[error("no D-Bus session bus to publish media controls on ({0}); media keys and the desktop's player controls will not reach Earshot")]
    NoBus(String),
    #[error("could not publish media controls on D-Bus: {0}")]
    Bus(String),
    #[error("media keys and desktop media controls are supported on Linux (MPRIS) only")]
    Unsupported,
}

/// A session published on D-Bus. Dropping it withdraws the player from the bus.
pub struct MediaControls {
    #[cfg(target_os = "linux")]
    inner: mpris::Published,
}

impl MediaControls {
    /// Publishes `session` as an MPRIS player and starts watching it for changes.
    pub fn attach(
        session: &Session,
        config: MediaControlsConfig,
    ) -> Result<Self, MediaControlsError> {
        #[cfg(target_os = "linux")]
        {
            mpris::publish(session, config).map(|inner| Self { inner })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (session, config);
            Err(MediaControlsError::Unsupported)
        }
    }

    /// The well-known bus name the player holds, e.g. `org.mpris.MediaPlayer2.earshot`.
    pub fn bus_name(&self) -> &str {
        #[cfg(target_os = "linux")]
        {
            &self.inner.bus_name
        }
        #[cfg(not(target_os = "linux"))]
        {
            ""
        }
    }
}

impl std::fmt::Debug for MediaControls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaControls")
            .field("bus_name", &self.bus_name())
            .finish()
    }
}

/// What the MPRIS status of a session snapshot is.
fn playback_status(snapshot: &crate::session::PlayerSnapshot) -> &'static str {
    use crate::player::PlayerStatus;
    if snapshot.episode_id.is_none() {
        return "Stopped";
    }
    match snapshot.status {
        PlayerStatus::Playing => "Playing",
        PlayerStatus::Paused | PlayerStatus::Ended | PlayerStatus::Loading => "Paused",
        PlayerStatus::Idle => "Stopped",
    }
}

/// Seconds to MPRIS microseconds.
fn micros(seconds: f64) -> i64 {
    if seconds.is_finite() {
        (seconds.max(0.0) * 1e6).round() as i64
    } else {
        0
    }
}

/// The file extension for an artwork MIME type.
fn image_extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or("").trim() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/svg+xml" => "svg",
        "image/avif" => "avif",
        "image/bmp" => "bmp",
        _ => "img",
    }
}

/// Writes artwork bytes to `dir/<sha256>.<ext>` (once; the name is the hash of the bytes, never
/// anything from the feed) and returns its `file://` URL.
fn cache_artwork(dir: &std::path::Path, mime: &str, bytes: &[u8]) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.join(format!("{hash}.{}", image_extension(mime)));
    if !path.is_file() {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{hash}.{}.part", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
    }
    url::Url::from_file_path(&path)
        .map(String::from)
        .map_err(|()| std::io::Error::other(format!("not an absolute path: {}", path.display())))
}

#[cfg(target_os = "linux")]
mod mpris {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
    use zbus::blocking::connection::{Builder, Connection};
    use zbus::fdo::{RequestNameFlags, RequestNameReply};
    use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

    use super::{
        cache_artwork, micros, playback_status, MediaControlsConfig, MediaControlsError,
        RaiseCallback, NEXT_SKIPS_SECS, PREVIOUS_SKIPS_SECS,
    };
    use crate::library::EpisodeId;
    use crate::session::{PlayerSnapshot, Session};

    const PATH: &str = "/org/mpris/MediaPlayer2";
    const PLAYER_IFACE: &str = "org.mpris.MediaPlayer2.Player";
    const NO_TRACK: &str = "/org/mpris/MediaPlayer2/TrackList/NoTrack";
    /// How often the watcher looks at the session.
    const POLL: Duration = Duration::from_millis(200);

    pub(super) struct Published {
        pub(super) bus_name: String,
        conn: Connection,
        stop: Option<Sender<()>>,
        watcher: Option<JoinHandle<()>>,
    }

    impl Drop for Published {
        fn drop(&mut self) {
            self.stop.take();
            if let Some(w) = self.watcher.take() {
                let _ = w.join();
            }
            let _ = self.conn.release_name(self.bus_name.as_str());
            // The interfaces hold a Session: let them go with the bus name.
            let server = self.conn.object_server();
            let _ = server.remove::<Player, _>(PATH);
            let _ = server.remove::<Root, _>(PATH);
        }
    }

    /// The episode as MPRIS shows it; rebuilt when the loaded episode changes.
    #[derive(Default)]
    struct Track {
        episode: Option<EpisodeId>,
        title: String,
        podcast: String,
        art_url: Option<String>,
    }

    struct Shared {
        session: Session,
        artwork_dir: Option<std::path::PathBuf>,
        track: Mutex<Track>,
    }

    impl Shared {
        fn track(&self) -> MutexGuard<'_, Track> {
            self.track.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// The track for `episode`, looked up in the library if it is not the cached one.
        fn track_for(&self, episode: Option<EpisodeId>) -> MutexGuard<'_, Track> {
            let mut track = self.track();
            if track.episode != episode || (episode.is_some() && track.title.is_empty()) {
                *track = self.lookup(episode);
            }
            track
        }

        fn lookup(&self, episode: Option<EpisodeId>) -> Track {
            let Some(id) = episode else {
                return Track::default();
            };
            let (media, art) = {
                let lib = self.session.library();
                let media = match lib.episode(id) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!("media controls: no details for episode {}: {e}", id.0);
                        return Track {
                            episode,
                            ..Track::default()
                        };
                    }
                };
                let art = match &self.artwork_dir {
                    Some(_) => lib.artwork(media.summary.podcast_id).ok().flatten(),
                    None => None,
                };
                (media, art)
            };
            let art_url = match (&self.artwork_dir, art) {
                (Some(dir), Some((mime, bytes))) => match cache_artwork(dir, &mime, &bytes) {
                    Ok(url) => Some(url),
                    Err(e) => {
                        tracing::warn!("media controls: could not cache artwork: {e}");
                        None
                    }
                },
                _ => None,
            };
            Track {
                episode,
                title: media.summary.title,
                podcast: media.podcast_title,
                art_url,
            }
        }

        fn metadata(&self, snapshot: &PlayerSnapshot) -> HashMap<String, OwnedValue> {
            let mut m = HashMap::new();
            let track = self.track_for(snapshot.episode_id);
            m.insert("mpris:trackid".into(), value(track_id(track.episode)));
            let Some(_) = track.episode else {
                return m;
            };
            if let Some(d) = snapshot.duration.filter(|d| d.is_finite() && *d > 0.0) {
                m.insert("mpris:length".into(), value(micros(d)));
            }
            if !track.title.is_empty() {
                m.insert("xesam:title".into(), value(track.title.as_str()));
            }
            if !track.podcast.is_empty() {
                m.insert("xesam:album".into(), value(track.podcast.as_str()));
                m.insert("xesam:artist".into(), value(vec![track.podcast.clone()]));
            }
            if let Some(url) = &track.art_url {
                m.insert("mpris:artUrl".into(), value(url.as_str()));
            }
            m
        }
    }

    fn value<'a>(v: impl Into<Value<'a>>) -> OwnedValue {
        v.into()
            .try_into_owned()
            .expect("a value without file descriptors")
    }

    fn track_id(episode: Option<EpisodeId>) -> ObjectPath<'static> {
        let path = match episode {
            Some(id) if id.0 >= 0 => format!("/org/earshot/episode/{}", id.0),
            Some(id) => format!("/org/earshot/episode/n{}", id.0.unsigned_abs()),
            None => NO_TRACK.to_string(),
        };
        ObjectPath::try_from(path).expect("a valid object path")
    }

    /// `org.mpris.MediaPlayer2`: the application.
    struct Root {
        identity: String,
        desktop_entry: Option<String>,
        on_raise: Option<RaiseCallback>,
    }

    #[zbus::interface(name = "org.mpris.MediaPlayer2")]
    impl Root {
        fn raise(&self) {
            if let Some(raise) = &self.on_raise {
                raise();
            }
        }

        /// Quitting from the desktop is not offered (`CanQuit` is false).
        fn quit(&self) {}

        #[zbus(property(emits_changed_signal = "const"))]
        fn can_quit(&self) -> bool {
            false
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn can_raise(&self) -> bool {
            self.on_raise.is_some()
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn has_track_list(&self) -> bool {
            false
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn identity(&self) -> String {
            self.identity.clone()
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn desktop_entry(&self) -> String {
            self.desktop_entry.clone().unwrap_or_default()
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn supported_uri_schemes(&self) -> Vec<String> {
            Vec::new()
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn supported_mime_types(&self) -> Vec<String> {
            Vec::new()
        }
    }

    /// `org.mpris.MediaPlayer2.Player`: playback, read live from the session.
    struct Player {
        shared: Arc<Shared>,
    }

    impl Player {
        fn session(&self) -> &Session {
            &self.shared.session
        }
        fn loaded(&self) -> bool {
            self.session().snapshot().episode_id.is_some()
        }
    }

    #[zbus::interface(name = "org.mpris.MediaPlayer2.Player")]
    impl Player {
        /// Skips forward (see the module docs).
        fn next(&self) {
            self.session().skip(NEXT_SKIPS_SECS);
        }

        /// Skips back (see the module docs).
        fn previous(&self) {
            self.session().skip(-PREVIOUS_SKIPS_SECS);
        }

        fn pause(&self) {
            self.session().pause();
        }

        fn play_pause(&self) {
            self.session().toggle();
        }

        /// Pauses, keeping the episode and its place (see the module docs).
        fn stop(&self) {
            self.session().pause();
        }

        fn play(&self) {
            self.session().play();
        }

        /// Relative seek, in microseconds.
        fn seek(&self, offset: i64) {
            if self.loaded() {
                self.session().skip(offset as f64 / 1e6);
            }
        }

        /// Absolute seek, in microseconds; ignored for another track or outside the episode.
        fn set_position(&self, track_id: OwnedObjectPath, position: i64) {
            let snap = self.session().snapshot();
            if snap.episode_id.is_none() || track_id.as_str() != track_id_str(snap.episode_id) {
                return;
            }
            let seconds = position as f64 / 1e6;
            if position < 0 || snap.duration.is_some_and(|d| seconds > d) {
                return;
            }
            self.session().seek(seconds);
        }

        fn open_uri(&self, _uri: String) -> zbus::fdo::Result<()> {
            Err(zbus::fdo::Error::NotSupported(
                "Earshot opens podcasts by subscribing to their feed".into(),
            ))
        }

        #[zbus(signal)]
        async fn seeked(
            emitter: &zbus::object_server::SignalEmitter<'_>,
            position: i64,
        ) -> zbus::Result<()>;

        #[zbus(property)]
        fn playback_status(&self) -> String {
            playback_status(&self.session().snapshot()).into()
        }

        /// The playback speed (pitch kept), so clients interpolate the position right.
        #[zbus(property)]
        fn rate(&self) -> f64 {
            self.session().snapshot().speed
        }

        #[zbus(property)]
        fn minimum_rate(&self) -> f64 {
            0.5
        }

        #[zbus(property)]
        fn maximum_rate(&self) -> f64 {
            3.0
        }

        #[zbus(property)]
        fn metadata(&self) -> HashMap<String, OwnedValue> {
            self.shared.metadata(&self.session().snapshot())
        }

        #[zbus(property)]
        fn volume(&self) -> f64 {
            self.session().snapshot().volume
        }

        #[zbus(property(emits_changed_signal = "false"))]
        fn position(&self) -> i64 {
            micros(self.session().snapshot().position)
        }

        #[zbus(property)]
        fn can_go_next(&self) -> bool {
            self.loaded()
        }

        #[zbus(property)]
        fn can_go_previous(&self) -> bool {
            self.loaded()
        }

        #[zbus(property)]
        fn can_play(&self) -> bool {
            self.loaded()
        }

        #[zbus(property)]
        fn can_pause(&self) -> bool {
            self.loaded()
        }

        #[zbus(property)]
        fn can_seek(&self) -> bool {
            self.loaded()
        }

        #[zbus(property(emits_changed_signal = "const"))]
        fn can_control(&self) -> bool {
            true
        }
    }

    fn track_id_str(episode: Option<EpisodeId>) -> String {
        track_id(episode).as_str().to_string()
    }

    pub(super) fn publish(
        session: &Session,
        config: MediaControlsConfig,
    ) -> Result<Published, MediaControlsError> {
        let shared = Arc::new(Shared {
            session: session.clone(),
            artwork_dir: config.artwork_dir.clone(),
            track: Mutex::new(Track::default()),
        });
        let builder = match &config.bus_address {
            Some(addr) => Builder::address(addr.as_str()),
            None => Builder::session(),
        }
        .map_err(|e| MediaControlsError::NoBus(e.to_string()))?;
        let root = Root {
            identity: config.identity.clone(),
            desktop_entry: config.desktop_entry.clone(),
            on_raise: config.on_raise.clone(),
        };
        let player = Player {
            shared: shared.clone(),
        };
        let conn = builder
            .serve_at(PATH, root)
            .and_then(|b| b.serve_at(PATH, player))
            .map_err(|e| MediaControlsError::Bus(e.to_string()))?
            .build()
            .map_err(|e| MediaControlsError::NoBus(e.to_string()))?;

        // The plain name, or a per-process instance name when another Earshot holds it.
        let base = format!("org.mpris.MediaPlayer2.{}", config.player_name);
        let mut bus_name = None;
        for name in [
            base.clone(),
            format!("{base}.instance{}", std::process::id()),
        ] {
            match conn.request_name_with_flags(name.as_str(), RequestNameFlags::DoNotQueue.into()) {
                Ok(RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner) => {
                    bus_name = Some(name);
                    break;
                }
                Ok(_) | Err(zbus::Error::NameTaken) => continue,
                Err(e) => return Err(MediaControlsError::Bus(format!("cannot take {name}: {e}"))),
            }
        }
        let bus_name =
            bus_name.ok_or_else(|| MediaControlsError::Bus(format!("the name {base} is taken")))?;

        let (stop, stopped) = crossbeam_channel::bounded(0);
        let watcher = {
            let conn = conn.clone();
            std::thread::Builder::new()
                .name("earshot-mpris".into())
                .spawn(move || watch(conn, shared, stopped))
                .map_err(|e| MediaControlsError::Bus(format!("cannot start a thread: {e}")))?
        };
        tracing::info!("media controls published on D-Bus as {bus_name}");
        Ok(Published {
            bus_name,
            conn,
            stop: Some(stop),
            watcher: Some(watcher),
        })
    }

    /// What the watcher last told the bus.
    struct Seen {
        episode: Option<EpisodeId>,
        duration: Option<f64>,
        status: &'static str,
        position: f64,
        at: Instant,
    }

    /// Announces what changed in the session: status, episode (metadata) and jumps in position.
    fn watch(conn: Connection, shared: Arc<Shared>, stopped: Receiver<()>) {
        let first = shared.session.snapshot();
        let mut seen = Seen {
            episode: first.episode_id,
            duration: first.duration,
            status: playback_status(&first),
            position: first.position,
            at: Instant::now(),
        };
        let mut failing = false;
        loop {
            match stopped.recv_timeout(POLL) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let snap = shared.session.snapshot();
            let status = playback_status(&snap);
            let now = Instant::now();
            let mut changed: HashMap<&str, OwnedValue> = HashMap::new();
            let new_track = snap.episode_id != seen.episode;
            if new_track || snap.duration != seen.duration {
                changed.insert("Metadata", value(shared.metadata(&snap)));
            }
            if new_track {
                let loaded = snap.episode_id.is_some();
                for p in [
                    "CanGoNext",
                    "CanGoPrevious",
                    "CanPlay",
                    "CanPause",
                    "CanSeek",
                ] {
                    changed.insert(p, value(loaded));
                }
            }
            if status != seen.status {
                changed.insert("PlaybackStatus", value(status));
            }
            // A jump the clock cannot explain is a seek: clients re-sync on `Seeked`.
            let was_playing = seen.status == "Playing" || status == "Playing";
            let expected = if seen.status == "Playing" && status == "Playing" {
                seen.position + now.duration_since(seen.at).as_secs_f64() * snap.speed
            } else {
                seen.position
            };
            let tolerance = if was_playing { 1.0 } else { 0.2 };
            let seeked = !new_track
                && snap.episode_id.is_some()
                && (snap.position - expected).abs() > tolerance;

            let mut result = Ok(());
            if !changed.is_empty() {
                let body = (PLAYER_IFACE, changed, Vec::<&str>::new());
                result = conn.emit_signal(
                    None::<&str>,
                    PATH,
                    "org.freedesktop.DBus.Properties",
                    "PropertiesChanged",
                    &body,
                );
            }
            if seeked && result.is_ok() {
                result = conn.emit_signal(
                    None::<&str>,
                    PATH,
                    PLAYER_IFACE,
                    "Seeked",
                    &(micros(snap.position),),
                );
            }
            match result {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!("media controls: could not update the desktop: {e}");
                }
                Err(_) => {}
            }
            seen = Seen {
                episode: snap.episode_id,
                duration: snap.duration,
                status,
                position: snap.position,
                at: now,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artwork_is_cached_under_a_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let url = cache_artwork(dir.path(), "image/png", b"\x89PNG fake").unwrap();
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.ends_with(".png"), "{url}");
        let again = cache_artwork(dir.path(), "image/png", b"\x89PNG fake").unwrap();
        assert_eq!(url, again);
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "one file, no leftovers");
        assert_eq!(image_extension("image/jpeg; charset=x"), "jpg");
        assert_eq!(image_extension("text/html"), "img");
    }

    #[test]
    fn micros_are_never_negative_or_nan() {
        assert_eq!(micros(1.5), 1_500_000);
        assert_eq!(micros(-3.0), 0);
        assert_eq!(micros(f64::NAN), 0);
    }
}
