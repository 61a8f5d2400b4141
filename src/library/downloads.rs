//! What the library records about downloads. The file on disk and these rows must agree:
//! `local_file` is set only for a complete, renamed file (with its size and content hash), and
//! `download_state` describes one still on its way.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{now_secs, EpisodeId, Library, PodcastId};
use crate::error::{Error, Result};

/// Where a download of an episode comes from and what it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadSource {
    pub episode: EpisodeId,
    pub podcast: PodcastId,
    pub title: String,
    pub enclosure_url: Option<String>,
    pub enclosure_type: Option<String>,
    pub local_file: Option<String>,
    /// Whether `local_file` is one Earshot downloaded (the demo's bundled audio is not).
    pub downloaded_by_us: bool,
}

/// One row of the downloads view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadRecord {
    pub episode_id: EpisodeId,
    pub podcast_id: PodcastId,
    pub podcast_title: String,
    pub title: String,
    /// `queued`, `running`, `paused`, `failed`, or `done`.
    pub state: String,
    pub bytes: u64,
    pub total: Option<u64>,
    pub error: Option<String>,
    /// Relative to the data directory, once complete.
    pub local_file: Option<String>,
    pub size: Option<u64>,
    /// The content hash labelled with its kind, as the download manager gave it:
    /// `"blake3:<hex>"` (the app's) or `"sha256:<hex>"`.
    pub hash: Option<String>,
    pub downloaded_at: Option<i64>,
    pub played: bool,
}

impl Library {
    pub fn download_source(&self, id: EpisodeId) -> Result<DownloadSource> {
        self.conn
            .query_row(
                "SELECT id, podcast_id, title, enclosure_url, enclosure_type, local_file,
                        downloaded_at IS NOT NULL
                 FROM episodes WHERE id = ?1",
                [id.0],
                |r| {
                    Ok(DownloadSource {
                        episode: EpisodeId(r.get(0)?),
                        podcast: PodcastId(r.get(1)?),
                        title: r.get(2)?,
                        enclosure_url: r.get(3)?,
                        enclosure_type: r.get(4)?,
                        local_file: r.get(5)?,
                        downloaded_by_us: r.get(6)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    /// Records a download that is not complete (`state` is `queued`, `running`, `paused` or
    /// `failed`), or clears the record with `None`. Never touches a completed file's columns.
    pub fn set_download_state(
        &self,
        id: EpisodeId,
        state: Option<&str>,
        bytes: u64,
        total: Option<u64>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE episodes SET download_state = ?2, download_bytes = ?3, download_total = ?4,
                 download_error = ?5 WHERE id = ?1",
            params![id.0, state, bytes as i64, total.map(|t| t as i64), error],
        )?;
        Ok(())
    }

    /// Records a finished download: the file (relative to the data directory), its size and
    /// labelled hash (`"blake3:<hex>"`). Clears the in-progress record in the same statement.
    pub fn record_download(&self, id: EpisodeId, rel: &str, size: u64, hash: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE episodes SET local_file = ?2, local_size = ?3, local_hash = ?4,
                 downloaded_at = ?5, download_state = NULL, download_bytes = NULL,
                 download_total = NULL, download_error = NULL WHERE id = ?1",
            params![id.0, rel, size as i64, hash, now_secs()],
        )?;
        Ok(())
    }

    /// Forgets a downloaded file (and any download record); returns the relative path it had,
    /// if Earshot downloaded it. Bundled audio (the demo's) is never forgotten.
    pub fn forget_download(&self, id: EpisodeId) -> Result<Option<String>> {
        let rel: Option<String> = self
            .conn
            .query_row(
                "SELECT local_file FROM episodes WHERE id = ?1 AND downloaded_at IS NOT NULL",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        self.conn.execute(
            "UPDATE episodes SET
                 local_file = CASE WHEN downloaded_at IS NOT NULL THEN NULL ELSE local_file END,
                 local_size = NULL, local_hash = NULL, downloaded_at = NULL,
                 download_state = NULL, download_bytes = NULL, download_total = NULL,
                 download_error = NULL
             WHERE id = ?1",
            [id.0],
        )?;
        if rel.is_some() {
            self.restore_publisher_times(id)?;
        }
        Ok(rel)
    }

    /// Every download, finished or not, newest activity first.
    pub fn downloads(&self) -> Result<Vec<DownloadRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.podcast_id, p.title, e.title,
                    coalesce(e.download_state, 'done'), coalesce(e.download_bytes, e.local_size, 0),
                    coalesce(e.download_total, e.local_size), e.download_error,
                    CASE WHEN e.downloaded_at IS NOT NULL THEN e.local_file END,
                    e.local_size, e.local_hash, e.downloaded_at, coalesce(pr.played, 0)
             FROM episodes e JOIN podcasts p ON p.id = e.podcast_id
             LEFT JOIN progress pr ON pr.episode_id = e.id
             WHERE e.download_state IS NOT NULL OR e.downloaded_at IS NOT NULL
             ORDER BY e.download_state IS NULL, e.downloaded_at DESC, e.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DownloadRecord {
                episode_id: EpisodeId(r.get(0)?),
                podcast_id: PodcastId(r.get(1)?),
                podcast_title: r.get(2)?,
                title: r.get(3)?,
                state: r.get(4)?,
                bytes: r.get::<_, i64>(5)?.max(0) as u64,
                total: r.get::<_, Option<i64>>(6)?.map(|t| t.max(0) as u64),
                error: r.get(7)?,
                local_file: r.get(8)?,
                size: r.get::<_, Option<i64>>(9)?.map(|t| t.max(0) as u64),
                hash: r.get(10)?,
                downloaded_at: r.get(11)?,
                played: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Episodes of `podcast` that are new (since the listener last looked), have audio to
    /// fetch, and are neither downloaded nor being downloaded; newest first.
    pub fn new_undownloaded(&self, podcast: PodcastId, limit: usize) -> Result<Vec<EpisodeId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id FROM episodes e LEFT JOIN progress pr ON pr.episode_id = e.id
             WHERE e.podcast_id = ?1 AND e.is_new = 1 AND e.local_file IS NULL
               AND e.download_state IS NULL AND e.enclosure_url IS NOT NULL
               AND coalesce(pr.played, 0) = 0
             ORDER BY e.published DESC, e.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![podcast.0, limit as i64], |r| {
            Ok(EpisodeId(r.get(0)?))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The listener's default speed for a podcast, if set.
    pub fn podcast_speed(&self, id: PodcastId) -> Result<Option<f64>> {
        Ok(self
            .conn
            .query_row("SELECT speed FROM podcasts WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    pub fn set_podcast_speed(&self, id: PodcastId, speed: Option<f64>) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET speed = ?2 WHERE id = ?1",
            params![id.0, speed],
        )?;
        Ok(())
    }
}
