//! The desktop shell: a thin Tauri adapter over `earshot::session::Session`. Commands here only
//! translate between IPC and the core; all behaviour lives in the core.

mod commands;

use std::path::PathBuf;

use earshot::library::Library;
use earshot::player::RodioOutput;
use earshot::session::Session;
use tauri::{Emitter, Manager, RunEvent};

/// The one event stream the UI listens to.
pub const PLAYER_EVENT: &str = "player";

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
    earshot::demo::install(&mut library, &dir).map_err(|e| e.to_string())?;
    let emitter = app.clone();
    let session = Session::start(
        library,
        dir,
        Box::new(RodioOutput::default()),
        move |event| {
            if let Err(e) = emitter.emit(PLAYER_EVENT, &event) {
                tracing::warn!("could not send a player event to the window: {e}");
            }
        },
    );
    if let Err(e) = session.restore() {
        tracing::warn!("could not restore the last episode: {e}");
    }
    Ok(session)
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,symphonia=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let app = tauri::Builder::default()
        .setup(|app| {
            let session = open_session(app.handle()).map_err(|e| {
                tracing::error!("Earshot cannot open its library: {e}");
                e
            })?;
            app.manage(session);
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
        }
    });
}
