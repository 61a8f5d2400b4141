//! Storing what feeds say: first subscribe, refresh (matched by GUID, then by enclosure URL,
//! unchanged items skipped by fingerprint), unsubscribe. Every write is one transaction, so a
//! failure leaves the library as it was.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rusqlite::{params, OptionalExtension, Transaction};

use super::{now_secs, EpisodeId, Library, PodcastId};
use crate::error::{Error, Result};
use crate::feed::{ParsedEpisode, ParsedFeed};
use crate::fetch::Validators;

/// What the library remembers about a feed between refreshes.
#[derive(Debug, Clone)]
pub struct FeedState {
    pub id: PodcastId,
    pub feed_url: String,
    pub title: String,
    pub validators: Validators,
    pub body_sha256: Option<String>,
}

/// What a store changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A stable digest of everything shown about an episode; equal digests skip the write.
fn fingerprint(e: &ParsedEpisode) -> i64 {
    let mut h = std::hash::DefaultHasher::new();
    e.title.hash(&mut h);
    e.link.hash(&mut h);
    e.published.hash(&mut h);
    e.duration_secs.map(f64::to_bits).hash(&mut h);
    if let Some(enc) = &e.enclosure {
        (&enc.url, &enc.mime, enc.length).hash(&mut h);
    }
    e.show_notes_html.hash(&mut h);
    e.artwork_url.hash(&mut h);
    e.chapters.as_ref().map(|c| &c.url).hash(&mut h);
    for t in &e.transcripts {
        (&t.url, &t.mime, &t.language, &t.rel).hash(&mut h);
    }
    for p in &e.persons {
        (&p.name, &p.role, &p.group, &p.img, &p.href).hash(&mut h);
    }
    h.finish() as i64
}

impl Library {
    pub fn feed_states(&self) -> Result<Vec<FeedState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, feed_url, title, etag, last_modified, body_sha256 FROM podcasts
             WHERE feed_url LIKE 'http%' ORDER BY title COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FeedState {
                id: PodcastId(r.get(0)?),
                feed_url: r.get(1)?,
                title: r.get(2)?,
                validators: Validators {
                    etag: r.get(3)?,
                    last_modified: r.get(4)?,
                },
                body_sha256: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn feed_state(&self, id: PodcastId) -> Result<FeedState> {
        self.feed_states()?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| Error::NotFound(format!("podcast {}", id.0)))
    }

    /// Adds a newly subscribed feed and all its episodes (none marked new).
    pub fn insert_feed(
        &mut self,
        feed_url: &str,
        feed: &ParsedFeed,
        validators: &Validators,
        body_sha256: &str,
    ) -> Result<PodcastId> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO podcasts (feed_url, title, author, description, link, artwork_url, etag, last_modified,
                                   body_sha256, refreshed_at, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                feed_url,
                feed.title,
                feed.author,
                feed.description,
                feed.link,
                feed.artwork_url,
                validators.etag,
                validators.last_modified,
                body_sha256,
                now_secs()
            ],
        )?;
        let id = PodcastId(tx.last_insert_rowid());
        store_episodes(&tx, id, feed, false)?;
        tx.commit()?;
        Ok(id)
    }

    /// Applies a refreshed feed: new episodes are added (marked new), changed ones updated,
    /// none removed (feeds drop old items; the library keeps them).
    pub fn apply_feed(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        validators: &Validators,
        body_sha256: &str,
    ) -> Result<StoreOutcome> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE podcasts SET title = ?2, author = ?3, description = ?4, link = ?5,
                 artwork_url = coalesce(?6, artwork_url), etag = ?7, last_modified = ?8, body_sha256 = ?9,
                 refreshed_at = ?10, last_error = NULL
             WHERE id = ?1",
            params![
                id.0,
                feed.title,
                feed.author,
                feed.description,
                feed.link,
                feed.artwork_url,
                validators.etag,
                validators.last_modified,
                body_sha256,
                now_secs()
            ],
        )?;
        let outcome = store_episodes(&tx, id, feed, true)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Records a refresh that found nothing new (304, or the same bytes again).
    pub fn mark_refreshed(&self, id: PodcastId, validators: Option<&Validators>) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET refreshed_at = ?2, last_error = NULL,
                 etag = coalesce(?3, etag), last_modified = coalesce(?4, last_modified) WHERE id = ?1",
            params![
                id.0,
                now_secs(),
                validators.and_then(|v| v.etag.as_deref()),
                validators.and_then(|v| v.last_modified.as_deref())
            ],
        )?;
        Ok(())
    }

    /// Records why a refresh failed; nothing else about the podcast changes.
    pub fn mark_refresh_failed(&self, id: PodcastId, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET last_error = ?2 WHERE id = ?1",
            params![id.0, message],
        )?;
        Ok(())
    }

    /// Keeps a feed's new address after a permanent redirect (unless another podcast has it).
    pub fn move_feed(&self, id: PodcastId, new_url: &str) -> Result<bool> {
        let taken = self
            .podcast_by_feed(new_url)?
            .is_some_and(|other| other != id);
        if !taken {
            self.conn.execute(
                "UPDATE podcasts SET feed_url = ?2 WHERE id = ?1",
                params![id.0, new_url],
            )?;
        }
        Ok(!taken)
    }

    /// Removes a podcast with its episodes, chapters, transcripts and progress.
    pub fn remove_podcast(&mut self, id: PodcastId) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM podcasts WHERE id = ?1", [id.0])?;
        if n == 0 {
            return Err(Error::NotFound(format!("podcast {}", id.0)));
        }
        Ok(())
    }

    /// The episode's Podcasting 2.0 chapters URL and the source its stored chapters came from.
    pub fn chapter_sources(&self, id: EpisodeId) -> Result<(Option<String>, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT e.chapters_url, (SELECT c.source FROM chapters c WHERE c.episode_id = e.id LIMIT 1)
             FROM episodes e WHERE e.id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Replaces an episode's chapters with `chapters` from `source` (one transaction).
    pub fn replace_chapters(
        &mut self,
        id: EpisodeId,
        source: &str,
        chapters: &[crate::chapters::Chapter],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM chapters WHERE episode_id = ?1", [id.0])?;
        for (i, c) in chapters.iter().enumerate() {
            tx.execute(
                r#"INSERT INTO chapters (episode_id, idx, start, "end", title, img, url, toc, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
                params![id.0, i as i64, c.start, c.end, c.title, c.img, c.url, c.toc, source],
            )?;
        }
        // New chapters carry their source's times: drift correction has not moved them.
        tx.execute(
            "UPDATE alignment_state SET chapters_shifted = 0, original_chapters = NULL
             WHERE episode_id = ?1",
            [id.0],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks the chapter starting at `start` as skipped (or not) for this episode.
    pub fn set_chapter_skipped(&self, id: EpisodeId, start: f64, skipped: bool) -> Result<()> {
        if skipped {
            self.conn.execute(
                "INSERT OR IGNORE INTO chapter_skips (episode_id, start) VALUES (?1, ?2)",
                params![id.0, start],
            )?;
        } else {
            self.conn.execute(
                "DELETE FROM chapter_skips WHERE episode_id = ?1 AND abs(start - ?2) < 0.0005",
                params![id.0, start],
            )?;
        }
        Ok(())
    }

    /// Start times of the chapters the listener skips in this episode.
    pub fn skipped_chapter_starts(&self, id: EpisodeId) -> Result<Vec<f64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT start FROM chapter_skips WHERE episode_id = ?1 ORDER BY start",
        )?;
        let rows = stmt.query_map([id.0], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Time ranges playback jumps over: skipped chapters, with their ends (next start or
    /// the episode's end).
    pub fn skip_ranges(&self, id: EpisodeId) -> Result<Vec<(f64, f64)>> {
        let skipped = self.skipped_chapter_starts(id)?;
        if skipped.is_empty() {
            return Ok(Vec::new());
        }
        let duration = self.episode(id)?.summary.duration_secs;
        let chapters = self.chapters(id)?;
        let mut out = Vec::new();
        for (i, c) in chapters.iter().enumerate() {
            if !skipped.iter().any(|s| (s - c.start).abs() < 0.0005) {
                continue;
            }
            let end = chapters
                .get(i + 1)
                .map(|n| n.start)
                .or(c.end)
                .or(duration)
                .unwrap_or(f64::INFINITY);
            out.push((c.start, end));
        }
        Ok(out)
    }

    /// The podcast's stored artwork: (MIME type, bytes).
    pub fn artwork(&self, id: PodcastId) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT mime, bytes FROM artwork WHERE podcast_id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The feed's artwork address and the address the stored image came from, if any.
    pub fn artwork_sources(&self, id: PodcastId) -> Result<(Option<String>, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT p.artwork_url, a.source_url FROM podcasts p LEFT JOIN artwork a ON a.podcast_id = p.id WHERE p.id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn store_artwork(
        &self,
        id: PodcastId,
        source_url: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO artwork (podcast_id, source_url, mime, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (podcast_id) DO UPDATE SET source_url = excluded.source_url, mime = excluded.mime, bytes = excluded.bytes",
            params![id.0, source_url, mime, bytes],
        )?;
        Ok(())
    }

    pub fn mark_seen(&self, id: EpisodeId) -> Result<()> {
        self.conn
            .execute("UPDATE episodes SET is_new = 0 WHERE id = ?1", [id.0])?;
        Ok(())
    }
}

fn store_episodes(
    tx: &Transaction,
    podcast: PodcastId,
    feed: &ParsedFeed,
    mark_new: bool,
) -> Result<StoreOutcome> {
    // What is stored now, by GUID and by enclosure URL.
    let mut by_guid: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    let mut by_enclosure: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT id, guid, enclosure_url, fingerprint FROM episodes WHERE podcast_id = ?1",
        )?;
        let mut rows = stmt.query([podcast.0])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            by_guid.insert(r.get(1)?, (id, r.get(3)?));
            if let Some(url) = r.get::<_, Option<String>>(2)? {
                by_enclosure.insert(url, id);
            }
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO episodes (podcast_id, guid, title, description, published, duration_secs, enclosure_url,
             enclosure_type, enclosure_length, link, artwork_url, chapters_url, is_new, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE episodes SET guid = ?2, title = ?3, description = ?4, published = ?5, duration_secs = ?6,
             enclosure_url = ?7, enclosure_type = ?8, enclosure_length = ?9, link = ?10, artwork_url = ?11,
             chapters_url = ?12, fingerprint = ?13
         WHERE id = ?1",
    )?;
    let mut out = StoreOutcome::default();
    let mut touched = std::collections::HashSet::new();
    for e in &feed.episodes {
        let fp = fingerprint(e);
        let enc = e.enclosure.as_ref();
        let existing = by_guid.get(&e.guid).copied().or_else(|| {
            enc.and_then(|enc| by_enclosure.get(&enc.url))
                .map(|&id| (id, None))
        });
        let id = match existing {
            Some((id, _)) if !touched.insert(id) => continue, // a second item matching one episode
            Some((_, Some(stored))) if stored == fp => {
                out.unchanged += 1;
                continue;
            }
            Some((id, _)) => {
                update.execute(params![
                    id,
                    e.guid,
                    e.title,
                    e.show_notes_html,
                    e.published,
                    e.duration_secs,
                    enc.map(|x| &x.url),
                    enc.and_then(|x| x.mime.as_ref()),
                    enc.and_then(|x| x.length).map(|l| l as i64),
                    e.link,
                    e.artwork_url,
                    e.chapters.as_ref().map(|c| &c.url),
                    fp
                ])?;
                tx.execute(
                    "DELETE FROM episode_transcripts WHERE episode_id = ?1",
                    [id],
                )?;
                // The item changed: a transcript that could not be had is looked for again.
                tx.execute(
                    "DELETE FROM transcript_state WHERE episode_id = ?1 AND source = ''",
                    [id],
                )?;
                tx.execute("DELETE FROM episode_persons WHERE episode_id = ?1", [id])?;
                out.updated += 1;
                id
            }
            None => {
                insert.execute(params![
                    podcast.0,
                    e.guid,
                    e.title,
                    e.show_notes_html,
                    e.published,
                    e.duration_secs,
                    enc.map(|x| &x.url),
                    enc.and_then(|x| x.mime.as_ref()),
                    enc.and_then(|x| x.length).map(|l| l as i64),
                    e.link,
                    e.artwork_url,
                    e.chapters.as_ref().map(|c| &c.url),
                    mark_new,
                    fp
                ])?;
                let id = tx.last_insert_rowid();
                touched.insert(id);
                out.added += 1;
                id
            }
        };
        let mut t = tx.prepare_cached(
            "INSERT INTO episode_transcripts (episode_id, idx, url, mime, language, rel) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, tr) in e.transcripts.iter().enumerate() {
            t.execute(params![id, i as i64, tr.url, tr.mime, tr.language, tr.rel])?;
        }
        let mut p = tx.prepare_cached(
            "INSERT INTO episode_persons (episode_id, idx, name, role, grp, img, href) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (i, pe) in e.persons.iter().enumerate() {
            p.execute(params![
                id, i as i64, pe.name, pe.role, pe.group, pe.img, pe.href
            ])?;
        }
    }
    Ok(out)
}
