//! IPC commands (see `docs/ipc.md`). Each one is a line or two over the core session.

use earshot::alignment::{Alignment, AlignmentUpdate};
use earshot::chapters::Chapter;
use earshot::downloads::{DownloadRow, Downloads};
use earshot::library::{EpisodeId, EpisodeSummary, PodcastId, PodcastSummary};
use earshot::library::{QueueItem, SearchHit, TranscriptSource};
use earshot::session::{PlayerSnapshot, Session, SleepTimer};
use earshot::settings::Settings;
use earshot::subscriptions::{ImportReport, RefreshReport, Subscriptions};
use earshot::transcript::Segment;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::LIBRARY_EVENT;

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
    chapters: Vec<ChapterView>,
    /// Where the chapters came from (`podcasting20-json`, `id3`, …, `show-notes`).
    chapters_from: Option<String>,
    segments: Vec<Segment>,
    /// Where the transcript came from (`null` when there is none).
    transcript_from: Option<TranscriptSource>,
    /// Sanitized HTML, time stamps turned into seek links.
    show_notes_html: Option<String>,
    link: Option<String>,
    /// The transcript's alignment to this copy of the audio (`null`: none was started).
    alignment: Option<AlignmentUpdate>,
}

/// A chapter as the UI shows it: the chapter plus whether the listener skips it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChapterView {
    #[serde(flatten)]
    chapter: Chapter,
    skipped: bool,
}

/// The `library` event stream.
#[derive(Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum LibraryEvent {
    Refresh { done: usize, total: usize },
    Changed,
}

fn emit_library<R: tauri::Runtime>(app: &AppHandle<R>, e: LibraryEvent) {
    if let Err(err) = app.emit(LIBRARY_EVENT, e) {
        tracing::warn!("could not send a library event: {err}");
    }
}

#[tauri::command]
fn library_podcasts(s: State<'_, Session>) -> Res<Vec<PodcastSummary>> {
    let mut podcasts = s.library().podcasts()?;
    for p in &mut podcasts {
        if p.has_artwork {
            // Served by the `artwork` protocol (see lib.rs); the refresh time busts caches.
            p.artwork = Some(format!(
                "artwork://localhost/{}?v={}",
                p.id.0,
                p.refreshed_at.unwrap_or(0)
            ));
        }
    }
    Ok(podcasts)
}

#[tauri::command]
async fn feed_subscribe<R: tauri::Runtime>(
    app: AppHandle<R>,
    subs: State<'_, Subscriptions>,
    url: String,
) -> Res<PodcastSummary> {
    let id = subs.subscribe(&url).await?;
    emit_library(&app, LibraryEvent::Changed);
    let session = app.state::<Session>();
    let found = library_podcasts(session)?.into_iter().find(|p| p.id == id);
    found.ok_or_else(|| earshot::Error::NotFound(format!("podcast {}", id.0)).into())
}

#[tauri::command]
fn feed_unsubscribe<R: tauri::Runtime>(
    app: AppHandle<R>,
    subs: State<'_, Subscriptions>,
    session: State<'_, Session>,
    podcast_id: i64,
) -> Res<()> {
    // Unsubscribing from what is playing stops it first.
    if session.current_podcast() == Some(PodcastId(podcast_id)) {
        session.stop();
    }
    // Its downloads go with it (cancelled, files deleted).
    app.state::<Downloads>()
        .delete_podcast(PodcastId(podcast_id))?;
    subs.unsubscribe(PodcastId(podcast_id))?;
    session.emit_queue();
    emit_library(&app, LibraryEvent::Changed);
    Ok(())
}

#[tauri::command]
async fn feed_refresh<R: tauri::Runtime>(
    app: AppHandle<R>,
    subs: State<'_, Subscriptions>,
    podcast_id: Option<i64>,
) -> Res<Vec<RefreshReport>> {
    let reports = match podcast_id {
        Some(id) => {
            emit_library(&app, LibraryEvent::Refresh { done: 0, total: 1 });
            let r = vec![subs.refresh(PodcastId(id)).await?];
            emit_library(&app, LibraryEvent::Refresh { done: 1, total: 1 });
            r
        }
        None => {
            let progress_app = app.clone();
            subs.refresh_all(move |done, total| {
                emit_library(&progress_app, LibraryEvent::Refresh { done, total })
            })
            .await?
        }
    };
    auto_download(&app, &reports);
    emit_library(&app, LibraryEvent::Changed);
    Ok(reports)
}

/// With auto-download on, queues the episodes a refresh found.
fn auto_download<R: tauri::Runtime>(app: &AppHandle<R>, reports: &[RefreshReport]) {
    let session = app.state::<Session>();
    if !session.settings().is_ok_and(|s| s.auto_download) {
        return;
    }
    let downloads = app.state::<Downloads>();
    for r in reports.iter().filter(|r| r.new_episodes > 0) {
        if let Err(e) = downloads.auto_download(r.podcast_id, r.new_episodes) {
            tracing::warn!("auto-download for {}: {e}", r.title);
        }
    }
}

#[tauri::command]
async fn opml_import<R: tauri::Runtime>(
    app: AppHandle<R>,
    subs: State<'_, Subscriptions>,
    text: String,
) -> Res<ImportReport> {
    let progress_app = app.clone();
    let report = subs
        .import_opml(&text, move |done, total| {
            emit_library(&progress_app, LibraryEvent::Refresh { done, total })
        })
        .await?;
    emit_library(&app, LibraryEvent::Changed);
    Ok(report)
}

#[derive(Serialize)]
pub struct Exported {
    path: String,
    count: usize,
}

#[tauri::command]
fn opml_export<R: tauri::Runtime>(
    app: AppHandle<R>,
    subs: State<'_, Subscriptions>,
) -> Res<Exported> {
    let (doc, count) = subs.export_opml()?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| IpcError {
            kind: "io",
            message: format!("cannot find a folder to save to: {e}"),
        })?;
    let path = dir.join("earshot-subscriptions.opml");
    earshot::demo::write_atomically(&path, doc.as_bytes())?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

/// Opens a link from show notes in the system browser (never in the app window).
#[tauri::command]
fn open_external(url: String) -> Res<()> {
    let parsed = url::Url::parse(&url).map_err(|e| IpcError {
        kind: "bad_url",
        message: format!("{url} is not a link: {e}"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(IpcError {
            kind: "bad_url",
            message: format!("Earshot only opens web and mail links, not {url}"),
        });
    }
    open::that_detached(parsed.as_str()).map_err(|e| IpcError {
        kind: "io",
        message: format!("could not open the browser for {url}: {e}"),
    })
}

#[tauri::command]
fn episode_mark_seen<R: tauri::Runtime>(
    app: AppHandle<R>,
    s: State<'_, Session>,
    episode_id: i64,
) -> Res<()> {
    s.library().mark_seen(EpisodeId(episode_id))?;
    emit_library(&app, LibraryEvent::Changed);
    Ok(())
}

#[tauri::command]
fn library_episodes(s: State<'_, Session>, podcast_id: i64) -> Res<Vec<EpisodeSummary>> {
    Ok(s.library().episodes(PodcastId(podcast_id))?)
}

#[tauri::command]
async fn episode_detail(
    s: State<'_, Session>,
    subs: State<'_, Subscriptions>,
    a: State<'_, Alignment>,
    episode_id: i64,
) -> Res<EpisodeDetail> {
    let id = EpisodeId(episode_id);
    // Chapters: the feed's chapters file (fetched once), else time stamps in the show notes.
    if let Err(e) = subs.ensure_chapters(id).await {
        tracing::warn!("chapters for episode {episode_id}: {e}");
    }
    // The transcript: fetched from the feed's entries (or a sidecar file) the first time.
    let data_dir = s.data_dir().to_path_buf();
    if let Err(e) = subs.ensure_transcript(id, Some(&data_dir)).await {
        tracing::warn!("transcript for episode {episode_id}: {e}");
    }
    // A transcript and a local file: aligned (or checked for drift) once, in the background.
    if let Err(e) = a.ensure(id) {
        tracing::warn!("alignment of episode {episode_id}: {e}");
    }
    let alignment = a.status(id)?;
    let lib = s.library();
    let media = lib.episode(id)?;
    let base = media.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let duration = media.summary.duration_secs;
    let show_notes_html = media
        .show_notes_html
        .as_deref()
        .map(|html| earshot::shownotes::render_show_notes(html, base.as_ref(), duration));
    Ok(EpisodeDetail {
        episode: media.summary,
        podcast_title: media.podcast_title,
        chapters: {
            let skipped = lib.skipped_chapter_starts(id)?;
            lib.chapters(id)?
                .into_iter()
                .enumerate()
                .filter(|(_, c)| c.toc)
                .map(|(i, mut c)| {
                    // Remote chapter art reaches the page through the `chapterimg` protocol
                    // (fetched once, checked, cached); the CSP allows no remote images.
                    if c.img
                        .as_deref()
                        .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
                    {
                        c.img = Some(format!("chapterimg://localhost/{episode_id}/{i}"));
                    }
                    ChapterView {
                        skipped: skipped.iter().any(|s| (s - c.start).abs() < 0.0005),
                        chapter: c,
                    }
                })
                .collect()
        },
        chapters_from: lib.chapter_sources(id)?.1,
        segments: lib.segments(id)?,
        transcript_from: lib.transcript_source(id)?.filter(|t| !t.source.is_empty()),
        show_notes_html,
        link: media.link,
        alignment,
    })
}

#[tauri::command]
fn chapter_set_skipped(
    s: State<'_, Session>,
    episode_id: i64,
    start: f64,
    skipped: bool,
) -> Res<()> {
    Ok(s.set_chapter_skipped(EpisodeId(episode_id), start, skipped)?)
}

#[tauri::command]
fn player_snapshot(s: State<'_, Session>) -> PlayerSnapshot {
    s.snapshot()
}

#[tauri::command]
fn player_load(
    s: State<'_, Session>,
    d: State<'_, Downloads>,
    episode_id: i64,
    autoplay: bool,
) -> Res<PlayerSnapshot> {
    let snapshot = s.load(EpisodeId(episode_id), autoplay)?;
    // The episode left behind may be played now.
    if s.settings().is_ok_and(|s| s.cleanup_played) {
        if let Err(e) = d.cleanup_played(Some(EpisodeId(episode_id))) {
            tracing::warn!("cleaning up played downloads: {e}");
        }
    }
    Ok(snapshot)
}

#[tauri::command]
fn player_set_speed(s: State<'_, Session>, speed: f64) -> Res<f64> {
    Ok(s.set_speed(speed)?)
}

#[tauri::command]
fn player_set_volume(s: State<'_, Session>, volume: f64) -> Res<()> {
    s.set_volume(volume)?;
    Ok(())
}

#[tauri::command]
fn library_search(
    s: State<'_, Session>,
    query: String,
    limit: Option<usize>,
) -> Res<Vec<SearchHit>> {
    Ok(s.library().search(&query, limit.unwrap_or(50).min(500))?)
}

/// A transcript file the listener chose; the page read it and sends its text (the page has no
/// file system access).
#[tauri::command]
fn transcript_import(
    subs: State<'_, Subscriptions>,
    a: State<'_, Alignment>,
    episode_id: i64,
    name: String,
    text: String,
) -> Res<Vec<Segment>> {
    let segments = subs.import_transcript(EpisodeId(episode_id), &name, text.as_bytes())?;
    // A new transcript: aligned to the local file, if there is one.
    if let Err(e) = a.ensure(EpisodeId(episode_id)) {
        tracing::warn!("alignment of episode {episode_id}: {e}");
    }
    Ok(segments)
}

/// Starts (or retries) aligning the episode's transcript to its local audio file (or checking
/// a timed one for drift); progress comes as `alignment` events.
#[tauri::command]
fn transcript_align(a: State<'_, Alignment>, episode_id: i64) -> Res<Option<AlignmentUpdate>> {
    a.request(EpisodeId(episode_id))?;
    Ok(a.status(EpisodeId(episode_id))?)
}

/// Cancels the episode's alignment; its transcript keeps the times it had.
#[tauri::command]
fn transcript_align_cancel(a: State<'_, Alignment>, episode_id: i64) -> Res<()> {
    Ok(a.cancel(EpisodeId(episode_id))?)
}

#[tauri::command]
fn queue_list(s: State<'_, Session>) -> Res<Vec<QueueItem>> {
    Ok(s.queue()?)
}

#[tauri::command]
fn queue_add(s: State<'_, Session>, episode_id: i64, next: bool) -> Res<Vec<QueueItem>> {
    Ok(s.queue_add(EpisodeId(episode_id), next)?)
}

#[tauri::command]
fn queue_move(s: State<'_, Session>, episode_id: i64, to: usize) -> Res<Vec<QueueItem>> {
    Ok(s.queue_move(EpisodeId(episode_id), to)?)
}

#[tauri::command]
fn queue_remove(s: State<'_, Session>, episode_id: i64) -> Res<Vec<QueueItem>> {
    Ok(s.queue_remove(EpisodeId(episode_id))?)
}

#[tauri::command]
fn queue_clear(s: State<'_, Session>) -> Res<Vec<QueueItem>> {
    Ok(s.queue_clear()?)
}

#[tauri::command]
fn player_next(s: State<'_, Session>) -> Res<PlayerSnapshot> {
    Ok(s.play_next()?)
}

#[tauri::command]
fn sleep_timer_set(s: State<'_, Session>, timer: Option<SleepTimer>) -> Option<SleepTimer> {
    s.set_sleep_timer(timer)
}

#[tauri::command]
fn settings_get(s: State<'_, Session>) -> Res<Settings> {
    Ok(s.settings()?)
}

#[tauri::command]
fn settings_set(
    s: State<'_, Session>,
    d: State<'_, Downloads>,
    settings: Settings,
) -> Res<Settings> {
    let stored = s.update_settings(&settings)?;
    d.set_concurrency(stored.download_concurrency);
    if stored.cleanup_played {
        d.cleanup_played(s.snapshot().episode_id)?;
    }
    Ok(stored)
}

#[tauri::command]
fn download_list(d: State<'_, Downloads>) -> Res<Vec<DownloadRow>> {
    Ok(d.list()?)
}

#[tauri::command]
fn download_episode(d: State<'_, Downloads>, episode_id: i64) -> Res<()> {
    Ok(d.download(EpisodeId(episode_id))?)
}

#[tauri::command]
fn download_pause(d: State<'_, Downloads>, episode_id: i64) -> Res<()> {
    Ok(d.pause(EpisodeId(episode_id))?)
}

#[tauri::command]
fn download_resume(d: State<'_, Downloads>, episode_id: i64) -> Res<()> {
    Ok(d.resume(EpisodeId(episode_id))?)
}

#[tauri::command]
fn download_cancel(d: State<'_, Downloads>, episode_id: i64) -> Res<()> {
    Ok(d.cancel(EpisodeId(episode_id))?)
}

#[tauri::command]
fn download_delete(d: State<'_, Downloads>, episode_id: i64) -> Res<()> {
    Ok(d.delete(EpisodeId(episode_id))?)
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
        feed_subscribe,
        feed_unsubscribe,
        feed_refresh,
        opml_import,
        opml_export,
        open_external,
        episode_mark_seen,
        chapter_set_skipped,
        library_episodes,
        episode_detail,
        player_snapshot,
        player_load,
        player_play,
        player_pause,
        player_toggle,
        player_seek,
        player_skip,
        player_set_speed,
        player_set_volume,
        settings_get,
        settings_set,
        download_list,
        download_episode,
        download_pause,
        download_resume,
        download_cancel,
        download_delete,
        queue_list,
        queue_add,
        queue_move,
        queue_remove,
        queue_clear,
        player_next,
        sleep_timer_set,
        library_search,
        transcript_import,
        transcript_align,
        transcript_align_cancel
    ]
}
