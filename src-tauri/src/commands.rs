//! IPC commands (see `docs/ipc.md`). Each one is a line or two over the core session.

use earshot::chapters::Chapter;
use earshot::library::{EpisodeId, EpisodeSummary, PodcastId, PodcastSummary};
use earshot::session::{PlayerSnapshot, Session};
use earshot::transcript::Segment;
use serde::Serialize;
use tauri::State;

/// The error shape the UI receives: `{ kind, message }`.
#[derive(Debug, Serialize)]
pub struct IpcError {
    kind: &'static str,
    message: String,
}

impl From<earshot::Error> for IpcError {
    fn from(e: earshot::Error) -> Self {
        IpcError {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

type Res<T> = Result<T, IpcError>;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeDetail {
    episode: EpisodeSummary,
    podcast_title: String,
    chapters: Vec<Chapter>,
    segments: Vec<Segment>,
}

#[tauri::command]
fn library_podcasts(s: State<'_, Session>) -> Res<Vec<PodcastSummary>> {
    Ok(s.library().podcasts()?)
}

#[tauri::command]
fn library_episodes(s: State<'_, Session>, podcast_id: i64) -> Res<Vec<EpisodeSummary>> {
    Ok(s.library().episodes(PodcastId(podcast_id))?)
}

#[tauri::command]
fn episode_detail(s: State<'_, Session>, episode_id: i64) -> Res<EpisodeDetail> {
    let lib = s.library();
    let id = EpisodeId(episode_id);
    let media = lib.episode(id)?;
    Ok(EpisodeDetail {
        episode: media.summary,
        podcast_title: media.podcast_title,
        chapters: lib.chapters(id)?.into_iter().filter(|c| c.toc).collect(),
        segments: lib.segments(id)?,
    })
}

#[tauri::command]
fn player_snapshot(s: State<'_, Session>) -> PlayerSnapshot {
    s.snapshot()
}

#[tauri::command]
fn player_load(s: State<'_, Session>, episode_id: i64, autoplay: bool) -> Res<PlayerSnapshot> {
    Ok(s.load(EpisodeId(episode_id), autoplay)?)
}

#[tauri::command]
fn player_play(s: State<'_, Session>) {
    s.play()
}

#[tauri::command]
fn player_pause(s: State<'_, Session>) {
    s.pause()
}

#[tauri::command]
fn player_toggle(s: State<'_, Session>) {
    s.toggle()
}

#[tauri::command]
fn player_seek(s: State<'_, Session>, seconds: f64) {
    s.seek(seconds)
}

#[tauri::command]
fn player_skip(s: State<'_, Session>, delta: f64) {
    s.skip(delta)
}

pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        library_podcasts,
        library_episodes,
        episode_detail,
        player_snapshot,
        player_load,
        player_play,
        player_pause,
        player_toggle,
        player_seek,
        player_skip
    ]
}
