//! The up-next queue: episodes in the order the listener wants them next.

use rusqlite::params;
use serde::Serialize;

use super::{EpisodeId, Library, PodcastId};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueItem {
    pub episode_id: EpisodeId,
    pub podcast_id: PodcastId,
    pub podcast_title: String,
    pub title: String,
    pub duration_secs: Option<f64>,
    pub position_secs: f64,
    pub played: bool,
    pub downloaded: bool,
}

impl Library {
    pub fn queue(&self) -> Result<Vec<QueueItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.podcast_id, p.title, e.title, e.duration_secs,
                    coalesce(pr.position_secs, 0), coalesce(pr.played, 0), e.local_file IS NOT NULL
             FROM up_next q JOIN episodes e ON e.id = q.episode_id
             JOIN podcasts p ON p.id = e.podcast_id
             LEFT JOIN progress pr ON pr.episode_id = e.id
             ORDER BY q.ord",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QueueItem {
                episode_id: EpisodeId(r.get(0)?),
                podcast_id: PodcastId(r.get(1)?),
                podcast_title: r.get(2)?,
                title: r.get(3)?,
                duration_secs: r.get(4)?,
                position_secs: r.get(5)?,
                played: r.get(6)?,
                downloaded: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn queue_ids(&self) -> Result<Vec<EpisodeId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT episode_id FROM up_next ORDER BY ord")?;
        let rows = stmt.query_map([], |r| Ok(EpisodeId(r.get(0)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Rewrites the queue as `ids`, in one transaction.
    fn set_queue(&mut self, ids: &[EpisodeId]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM up_next", [])?;
        for (i, id) in ids.iter().enumerate() {
            tx.execute(
                "INSERT INTO up_next (episode_id, ord) VALUES (?1, ?2)",
                params![id.0, i as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds an episode first (`next`) or last; an episode already queued moves there.
    pub fn queue_add(&mut self, id: EpisodeId, next: bool) -> Result<()> {
        self.episode(id)?; // exists
        let mut ids = self.queue_ids()?;
        ids.retain(|e| *e != id);
        if next {
            ids.insert(0, id);
        } else {
            ids.push(id);
        }
        self.set_queue(&ids)
    }

    /// Moves a queued episode to index `to` (clamped to the queue).
    pub fn queue_move(&mut self, id: EpisodeId, to: usize) -> Result<()> {
        let mut ids = self.queue_ids()?;
        let Some(from) = ids.iter().position(|e| *e == id) else {
            return Ok(());
        };
        ids.remove(from);
        ids.insert(to.min(ids.len()), id);
        self.set_queue(&ids)
    }

    /// Takes an episode out of the queue; true if it was there.
    pub fn queue_remove(&mut self, id: EpisodeId) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM up_next WHERE episode_id = ?1", [id.0])?
            > 0)
    }

    pub fn queue_clear(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM up_next", [])?;
        Ok(())
    }

    /// The first queued episode, taken out of the queue.
    pub fn queue_pop(&mut self) -> Result<Option<EpisodeId>> {
        let first = self.queue_ids()?.first().copied();
        if let Some(id) = first {
            self.queue_remove(id)?;
        }
        Ok(first)
    }
}

impl Library {
    /// A cached image (chapter art) by its source URL.
    pub fn cached_image(&self, url: &str) -> Result<Option<(String, Vec<u8>)>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT mime, bytes FROM image_cache WHERE url = ?1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn cache_image(&self, url: &str, mime: &str, bytes: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO image_cache (url, mime, bytes, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (url) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes,
                 fetched_at = excluded.fetched_at",
            params![url, mime, bytes, super::now_secs()],
        )?;
        Ok(())
    }
}
