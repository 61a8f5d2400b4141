//! The desktop shell: a thin Tauri adapter over `earshot::session::Session`. Commands here only
//! translate between IPC and the core; all behaviour lives in the core.

mod commands;

use std::path::PathBuf;

use earshot::alignment::Alignment;
use earshot::download::DownloadConfig;
use earshot::downloads::Downloads;
use earshot::fetch::Http;
use earshot::library::Library;
use earshot::media_controls::{MediaControls, MediaControlsConfig};
use earshot::player::RodioOutput;
use earshot::session::{Session, UiEvent};
use earshot::subscriptions::Subscriptions;
use tauri::{Emitter, Manager, RunEvent};

/// The player's event stream (position, state, errors).
pub const PLAYER_EVENT: &str = "player";
/// The library's event stream (refresh progress, changes).
pub const LIBRARY_EVENT: &str = "library";
/// The up-next queue, whole, whenever it changes.
pub const QUEUE_EVENT: &str = "queue";
/// Download progress and state changes (`earshot::downloads::DownloadUpdate`).
pub const DOWNLOAD_EVENT: &str = "download";

/// Transcript alignment and drift correction (`earshot::alignment::AlignmentUpdate`).
pub const ALIGNMENT_EVENT: &str = "alignment";

/// Where the library and downloaded audio live. `EARSHOT_DATA_DIR` overrides (tests use it).
fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("EARSHOT_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    app.path()
        .app_data_dir()
        .map_err(|e| format!("cannot find a data directory: {e}"))
}

fn open_session(app: &tauri::AppHandle) -> Result<Session, String> {
    let dir = data_dir(app)?;
    let mut library = Library::open(&dir.join("library.sqlite3")).map_err(|e| e.to_string())?;
    earshot::demo::install_on_first_launch(&mut library, &dir).map_err(|e| e.to_string())?;
    let emitter = app.clone();
    let session = Session::start(
        library,
        dir,
        Box::new(RodioOutput::default()),
        move |event| {
            let sent = match &event {
                UiEvent::Queue { items } => emitter.emit(QUEUE_EVENT, items),
                _ => emitter.emit(PLAYER_EVENT, &event),
            };
            if let Err(e) = sent {
                tracing::warn!("could not send a player event to the window: {e}");
            }
        },
    );
    if let Err(e) = session.restore() {
        tracing::warn!("could not restore the last episode: {e}");
    }
    Ok(session)
}

fn open_downloads(app: &tauri::AppHandle, session: &Session) -> Result<Downloads, String> {
    let dir = data_dir(app)?;
    let settings = session.settings().unwrap_or_default();
    let downloads = Downloads::start(
        session.library_handle(),
        &dir,
        DownloadConfig {
            concurrency: settings.download_concurrency,
            hash: earshot::download::HashKind::Blake3,
            ..DownloadConfig::default()
        },
        tauri::async_runtime::handle().inner().clone(),
    )
    .map_err(|e| e.to_string())?;
    let emitter = app.clone();
    downloads.on_update(move |u| {
        if let Err(e) = emitter.emit(DOWNLOAD_EVENT, u) {
            tracing::warn!("could not send a download event to the window: {e}");
        }
    });
    if settings.cleanup_played {
        if let Err(e) = downloads.cleanup_played(session.snapshot().episode_id) {
            tracing::warn!("cleaning up played downloads: {e}");
        }
    }
    Ok(downloads)
}

/// Background alignment of transcripts to downloaded (or bundled) audio: started when a
/// download finishes and when an episode is loaded; progress goes to the window.
fn open_alignment(
    app: &tauri::AppHandle,
    session: &Session,
    downloads: &Downloads,
) -> Result<Alignment, String> {
    let dir = data_dir(app)?;
    let alignment = Alignment::start(session.library_handle(), &dir).map_err(|e| e.to_string())?;
    let emitter = app.clone();
    alignment.on_update(move |u| {
        if let Err(e) = emitter.emit(ALIGNMENT_EVENT, u) {
            tracing::warn!("could not send an alignment event to the window: {e}");
        }
    });
    alignment.follow_downloads(downloads);
    alignment.follow_session(session);
    // The episode restored at launch was loaded before the service existed.
    if let Some(id) = session.snapshot().episode_id {
        if let Err(e) = alignment.ensure(id) {
            tracing::warn!("alignment of episode {}: {e}", id.0);
        }
    }
    Ok(alignment)
}

/// Media keys and the desktop's player controls (MPRIS on Linux). Optional: without a session
/// bus the app works as before. Raise brings the main window to the front.
fn attach_media_controls(app: &tauri::AppHandle, session: &Session) -> Option<MediaControls> {
    let window = app.clone();
    let config = MediaControlsConfig {
        artwork_dir: data_dir(app).ok().map(|d| d.join("cache").join("artwork")),
        on_raise: Some(std::sync::Arc::new(move || {
            if let Some(w) = window.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        })),
        ..MediaControlsConfig::default()
    };
    MediaControls::attach(session, config)
        .map_err(|e| tracing::warn!("{e}"))
        .ok()
}

/// Serves stored podcast artwork to the page as `artwork://localhost/<podcast id>`: the page's
/// CSP allows no remote images, and no file paths are involved.
fn artwork_response<R: tauri::Runtime>(
    ctx: tauri::UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    let not_found = || {
        tauri::http::Response::builder()
            .status(404)
            .body(Vec::new())
            .expect("static response")
    };
    let Some(id) = request
        .uri()
        .path()
        .trim_start_matches('/')
        .parse::<i64>()
        .ok()
    else {
        return not_found();
    };
    let Some(session) = ctx.app_handle().try_state::<Session>() else {
        return not_found();
    };
    let art = session.library().artwork(earshot::library::PodcastId(id));
    match art {
        Ok(Some((mime, bytes))) => tauri::http::Response::builder()
            .header("Content-Type", mime)
            .header("Cache-Control", "max-age=3600")
            .body(bytes)
            .unwrap_or_else(|_| not_found()),
        _ => not_found(),
    }
}

/// Serves chapter art as `chapterimg://localhost/<episode id>/<chapter index>`: fetched from the
/// chapter's http(s) URL once, checked to be an image, cached in the library.
fn chapter_image_response<R: tauri::Runtime>(
    ctx: tauri::UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    let not_found = || {
        tauri::http::Response::builder()
            .status(404)
            .body(Vec::new())
            .expect("static response")
    };
    let mut parts = request.uri().path().trim_start_matches('/').split('/');
    let ids = (
        parts.next().and_then(|p| p.parse::<i64>().ok()),
        parts.next().and_then(|p| p.parse::<usize>().ok()),
    );
    let (Some(episode), Some(index)) = ids else {
        return responder.respond(not_found());
    };
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let Some(subs) = app.try_state::<Subscriptions>() else {
            return responder.respond(not_found());
        };
        let image = subs
            .chapter_image(earshot::library::EpisodeId(episode), index)
            .await;
        responder.respond(match image {
            Ok(Some((mime, bytes))) => tauri::http::Response::builder()
                .header("Content-Type", mime)
                .header("Cache-Control", "max-age=86400")
                .body(bytes)
                .unwrap_or_else(|_| not_found()),
            _ => not_found(),
        });
    });
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The MP3 decoder warns of a missing bit reservoir on the pre-roll frames
                // decoded after every seek (expected: they are decoded to be dropped). The
                // PulseAudio client logs "Client disconnected" whenever we close the output;
                // a lost server is reported by the player itself.
                .unwrap_or_else(|_| {
                    "info,symphonia=warn,symphonia_bundle_mp3=error,pulseaudio=off".into()
                }),
        )
        .with_writer(std::io::stderr)
        .init();

    let app = tauri::Builder::default()
        .register_uri_scheme_protocol("artwork", artwork_response)
        .register_asynchronous_uri_scheme_protocol("chapterimg", chapter_image_response)
        .setup(|app| {
            let session = open_session(app.handle()).map_err(|e| {
                tracing::error!("Earshot cannot open its library: {e}");
                e
            })?;
            let subscriptions = Subscriptions::new(Http::new(), session.library_handle());
            let downloads = open_downloads(app.handle(), &session).map_err(|e| {
                tracing::error!("Earshot cannot start its downloads: {e}");
                e
            })?;
            let alignment = open_alignment(app.handle(), &session, &downloads).map_err(|e| {
                tracing::error!("Earshot cannot start aligning transcripts: {e}");
                e
            })?;
            app.manage(alignment);
            app.manage(downloads);
            if let Some(controls) = attach_media_controls(app.handle(), &session) {
                app.manage(controls);
            }
            app.manage(session);
            app.manage(subscriptions);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .expect("error while building the Earshot window");

    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            // Quit: keep the listener's place.
            if let Some(session) = handle.try_state::<Session>() {
                session.shutdown();
            }
            if let Some(downloads) = handle.try_state::<Downloads>() {
                downloads.shutdown();
            }
            // A job under way is queued again at the next start.
            if let Some(alignment) = handle.try_state::<Alignment>() {
                alignment.shutdown();
            }
        }
    });
}
