//! The library: podcasts, episodes, chapters, transcript segments and listening progress,
//! stored in SQLite (WAL, versioned migrations). A `Library` value owns its connection; nothing
//! here is global, so tests each use their own in-memory or temporary database.

mod alignment;
mod downloads;
mod feeds;
mod queue;
mod schema;
mod transcripts;

pub use feeds::{FeedState, StoreOutcome};

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use alignment::{AlignmentRecord, DriftShift, DriftSummary};
pub use downloads::{DownloadRecord, DownloadSource};
pub use queue::QueueItem;
pub use transcripts::{fts_query, SearchHit, TranscriptSource};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::chapters::Chapter;
use crate::error::{Error, Result};
use crate::transcript::Segment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PodcastId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EpisodeId(pub i64);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodcastSummary {
    pub id: PodcastId,
    pub title: String,
    pub author: Option<String>,
    pub description: Option<String>,
    pub episode_count: i64,
    pub feed_url: String,
    /// A URL the UI may load as-is (set by the app layer), or none.
    pub artwork: Option<String>,
    /// Whether artwork is stored for it (see `Library::artwork`).
    #[serde(skip)]
    pub has_artwork: bool,
    pub new_count: i64,
    pub refreshed_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeSummary {
    pub id: EpisodeId,
    pub podcast_id: PodcastId,
    pub title: String,
    pub published: Option<i64>,
    pub duration_secs: Option<f64>,
    pub position_secs: f64,
    pub played: bool,
    pub is_new: bool,
    /// Its audio is on this machine (downloaded, or bundled with the demo).
    pub downloaded: bool,
    /// A download under way or stopped: `queued`, `running`, `paused` or `failed`.
    pub download_state: Option<String>,
}

/// What a caller supplies to add a podcast.
#[derive(Debug, Clone, Default)]
pub struct NewPodcast {
    pub feed_url: String,
    pub title: String,
    pub author: Option<String>,
    pub description: Option<String>,
}

/// What a caller supplies to add an episode. `local_file` is a path the app chose itself,
/// relative to the app's data directory; never text from a feed.
#[derive(Debug, Clone, Default)]
pub struct NewEpisode {
    pub guid: String,
    pub title: String,
    pub description: Option<String>,
    pub published: Option<i64>,
    pub duration_secs: Option<f64>,
    pub enclosure_url: Option<String>,
    pub local_file: Option<String>,
    pub chapters: Vec<Chapter>,
    pub chapters_source: String,
    pub segments: Vec<Segment>,
}

/// The playable parts of one episode.
#[derive(Debug, Clone)]
pub struct EpisodeMedia {
    pub summary: EpisodeSummary,
    pub podcast_title: String,
    pub local_file: Option<String>,
    pub enclosure_url: Option<String>,
    /// Raw show notes from the feed (sanitize before display: `shownotes::render_show_notes`).
    pub show_notes_html: Option<String>,
    pub link: Option<String>,
}

pub struct Library {
    conn: Connection,
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Library {
    /// Opens (creating if needed) the library at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self> {
        // WAL: readers never block the writer and a killed process leaves a consistent file.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrations().to_latest(&mut conn)?;
        Ok(Self { conn })
    }

    /// SQLite's own check of the whole file: `true` when it reports "ok".
    pub fn integrity_check(&self) -> Result<bool> {
        let r: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(r == "ok")
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub fn podcast_by_feed(&self, feed_url: &str) -> Result<Option<PodcastId>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM podcasts WHERE feed_url = ?1",
                [feed_url],
                |r| r.get(0),
            )
            .optional()?
            .map(PodcastId))
    }

    pub fn add_podcast(&mut self, p: &NewPodcast, episodes: &[NewEpisode]) -> Result<PodcastId> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO podcasts (feed_url, title, author, description, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![p.feed_url, p.title, p.author, p.description, now_secs()],
        )?;
        let podcast = PodcastId(tx.last_insert_rowid());
        for e in episodes {
            insert_episode(&tx, podcast, e)?;
        }
        tx.commit()?;
        Ok(podcast)
    }

    /// Adds the episodes whose GUID the podcast does not have yet (a newer build's demo
    /// episodes, say); returns how many were added.
    pub fn add_missing_episodes(
        &mut self,
        podcast: PodcastId,
        episodes: &[NewEpisode],
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        for e in episodes {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM episodes WHERE podcast_id = ?1 AND guid = ?2)",
                params![podcast.0, e.guid],
                |r| r.get(0),
            )?;
            if !known {
                insert_episode(&tx, podcast, e)?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    pub fn podcasts(&self) -> Result<Vec<PodcastSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.title, p.author, p.description,
                    (SELECT count(*) FROM episodes e WHERE e.podcast_id = p.id),
                    p.feed_url, EXISTS (SELECT 1 FROM artwork a WHERE a.podcast_id = p.id),
                    (SELECT count(*) FROM episodes e WHERE e.podcast_id = p.id AND e.is_new),
                    p.refreshed_at, p.last_error
             FROM podcasts p ORDER BY p.title COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PodcastSummary {
                id: PodcastId(r.get(0)?),
                title: r.get(1)?,
                author: r.get(2)?,
                description: r.get(3)?,
                episode_count: r.get(4)?,
                feed_url: r.get(5)?,
                artwork: None,
                has_artwork: r.get(6)?,
                new_count: r.get(7)?,
                refreshed_at: r.get(8)?,
                last_error: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    const EPISODE_COLUMNS: &'static str =
        "e.id, e.podcast_id, e.title, e.published, e.duration_secs,
        coalesce(pr.position_secs, 0), coalesce(pr.played, 0), e.is_new,
        e.local_file IS NOT NULL, e.download_state";

    fn episode_row(r: &rusqlite::Row) -> rusqlite::Result<EpisodeSummary> {
        Ok(EpisodeSummary {
            id: EpisodeId(r.get(0)?),
            podcast_id: PodcastId(r.get(1)?),
            title: r.get(2)?,
            published: r.get(3)?,
            duration_secs: r.get(4)?,
            position_secs: r.get(5)?,
            played: r.get(6)?,
            is_new: r.get(7)?,
            downloaded: r.get(8)?,
            download_state: r.get(9)?,
        })
    }

    /// A podcast's episodes, newest first.
    pub fn episodes(&self, podcast: PodcastId) -> Result<Vec<EpisodeSummary>> {
        let sql = format!(
            "SELECT {} FROM episodes e LEFT JOIN progress pr ON pr.episode_id = e.id
             WHERE e.podcast_id = ?1 ORDER BY e.published DESC, e.id DESC",
            Self::EPISODE_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([podcast.0], Self::episode_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn episode(&self, id: EpisodeId) -> Result<EpisodeMedia> {
        let sql = format!(
            "SELECT {}, p.title, e.local_file, e.enclosure_url, e.description, e.link FROM episodes e
             JOIN podcasts p ON p.id = e.podcast_id
             LEFT JOIN progress pr ON pr.episode_id = e.id WHERE e.id = ?1",
            Self::EPISODE_COLUMNS
        );
        self.conn
            .query_row(&sql, [id.0], |r| {
                Ok(EpisodeMedia {
                    summary: Self::episode_row(r)?,
                    podcast_title: r.get(10)?,
                    local_file: r.get(11)?,
                    enclosure_url: r.get(12)?,
                    show_notes_html: r.get(13)?,
                    link: r.get(14)?,
                })
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    pub fn chapters(&self, id: EpisodeId) -> Result<Vec<Chapter>> {
        let mut stmt = self.conn.prepare_cached(
            r#"SELECT start, "end", title, img, url, toc FROM chapters WHERE episode_id = ?1 ORDER BY start, idx"#,
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(Chapter {
                start: r.get(0)?,
                end: r.get(1)?,
                title: r.get(2)?,
                img: r.get(3)?,
                url: r.get(4)?,
                toc: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn segments(&self, id: EpisodeId) -> Result<Vec<Segment>> {
        let mut stmt = self.conn.prepare_cached(
            r#"SELECT start, "end", speaker, text, estimated, words FROM transcript_segments
               WHERE episode_id = ?1 ORDER BY start, idx"#,
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(Segment {
                start: r.get(0)?,
                end: r.get(1)?,
                speaker: r.get(2)?,
                text: r.get(3)?,
                estimated: r.get(4)?,
                words: transcripts::words_from_json(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records where the listener is in an episode (one small transaction).
    pub fn save_progress(&self, id: EpisodeId, position_secs: f64, played: bool) -> Result<()> {
        self.conn.execute(
            "INSERT INTO progress (episode_id, position_secs, played, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (episode_id) DO UPDATE SET position_secs = excluded.position_secs,
                 played = excluded.played, updated_at = excluded.updated_at",
            params![id.0, position_secs.max(0.0), played, now_secs()],
        )?;
        Ok(())
    }

    pub fn progress(&self, id: EpisodeId) -> Result<Option<(f64, bool)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT position_secs, played FROM progress WHERE episode_id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn set_state(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO app_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM app_state WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Resolves an episode's local file against the data directory. Only plain relative paths
    /// below it are accepted.
    pub fn resolve_local(data_dir: &Path, local_file: &str) -> Option<PathBuf> {
        let rel = Path::new(local_file);
        let plain = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        (plain && !local_file.is_empty()).then(|| data_dir.join(rel))
    }
}

/// One episode with its chapters and bundled timed transcript, inside a transaction.
fn insert_episode(tx: &rusqlite::Transaction, podcast: PodcastId, e: &NewEpisode) -> Result<()> {
    tx.execute(
        "INSERT INTO episodes (podcast_id, guid, title, description, published, duration_secs, enclosure_url, local_file)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![podcast.0, e.guid, e.title, e.description, e.published, e.duration_secs, e.enclosure_url, e.local_file],
    )?;
    let episode = tx.last_insert_rowid();
    for (i, c) in e.chapters.iter().enumerate() {
        tx.execute(
            r#"INSERT INTO chapters (episode_id, idx, start, "end", title, img, url, toc, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
            params![episode, i as i64, c.start, c.end, c.title, c.img, c.url, c.toc, e.chapters_source],
        )?;
    }
    if !e.segments.is_empty() {
        transcripts::insert_segments(tx, episode, &e.segments)?;
        tx.execute(
            "INSERT INTO transcript_state (episode_id, source, format, fetched_at) VALUES (?1, 'bundled', 'vtt', ?2)",
            params![episode, now_secs()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
