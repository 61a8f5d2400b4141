//! What the library keeps about aligning an episode's transcript to its audio (issue 8): the
//! job's state per episode, the identity of the audio it was made for, and for drift
//! correction the report and the publisher's segments and chapters as they were before
//! (a later run, on a changed file, starts again from them).

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{now_secs, transcripts::insert_segments, EpisodeId, Library};
use crate::chapters::Chapter;
use crate::error::Result;
use crate::transcript::Segment;

/// One shift drift correction applied: from `from` (a time as the publisher gave it),
/// `offset` seconds are added.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftShift {
    pub from: f64,
    pub offset: f64,
}

/// What drift correction found for this copy of the audio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftSummary {
    pub shifts: Vec<DriftShift>,
    pub match_score: f64,
    pub match_score_before: f64,
}

impl DriftSummary {
    /// The offset for a time as the publisher gave it: the last shift with `from <= t`.
    pub fn offset_at(&self, t: f64) -> f64 {
        self.shifts
            .iter()
            .take_while(|s| s.from <= t)
            .last()
            .map_or(0.0, |s| s.offset)
    }
}

/// The stored state of an episode's alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignmentRecord {
    /// `align` (an untimed transcript) or `drift` (a timed one checked against the audio).
    pub kind: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// The audio the result belongs to (see `alignment::audio_identity`).
    pub audio_id: Option<String>,
    pub error: Option<String>,
    pub report: Option<DriftSummary>,
    /// The episode's chapters carry the drift report's shifts.
    pub chapters_shifted: bool,
    pub updated_at: i64,
}

/// Chapter sources whose times are the publisher's (an embedded chapter list belongs to the
/// file itself and is never shifted).
const SHIFTABLE_CHAPTERS: [&str; 2] = ["podcasting20-json", "show-notes"];

impl Library {
    pub fn alignment_record(&self, id: EpisodeId) -> Result<Option<AlignmentRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT kind, state, audio_id, error, report, chapters_shifted, updated_at
                 FROM alignment_state WHERE episode_id = ?1",
                [id.0],
                |r| {
                    let report: Option<String> = r.get(4)?;
                    Ok(AlignmentRecord {
                        kind: r.get(0)?,
                        state: r.get(1)?,
                        audio_id: r.get(2)?,
                        error: r.get(3)?,
                        report: report.and_then(|j| serde_json::from_str(&j).ok()),
                        chapters_shifted: r.get(5)?,
                        updated_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a job's state (the report and the publisher's originals are kept).
    pub fn set_alignment_state(
        &self,
        id: EpisodeId,
        kind: &str,
        state: &str,
        audio_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO alignment_state (episode_id, kind, state, audio_id, error, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (episode_id) DO UPDATE SET kind = excluded.kind, state = excluded.state,
                 audio_id = excluded.audio_id, error = excluded.error,
                 updated_at = excluded.updated_at",
            params![id.0, kind, state, audio_id, error, now_secs()],
        )?;
        Ok(())
    }

    /// Episodes whose alignment was queued or running when the last run ended, oldest first.
    pub fn unfinished_alignments(&self) -> Result<Vec<EpisodeId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT episode_id FROM alignment_state WHERE state IN ('queued', 'running')
             ORDER BY updated_at, episode_id",
        )?;
        let rows = stmt.query_map([], |r| Ok(EpisodeId(r.get(0)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Stores an untimed transcript's aligned segments (replacing the spread estimates; the
    /// index follows) and marks the alignment done for `audio_id`, in one transaction.
    pub fn store_aligned_segments(
        &mut self,
        id: EpisodeId,
        audio_id: &str,
        segments: &[Segment],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        replace_segments(&tx, id, segments)?;
        tx.execute(
            "INSERT INTO alignment_state (episode_id, kind, state, audio_id, updated_at)
             VALUES (?1, 'align', 'done', ?2, ?3)
             ON CONFLICT (episode_id) DO UPDATE SET kind = 'align', state = 'done',
                 audio_id = excluded.audio_id, error = NULL, report = NULL,
                 updated_at = excluded.updated_at",
            params![id.0, audio_id, now_secs()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The publisher's segments as they were before drift correction changed them, if it did.
    pub fn drift_original_segments(&self, id: EpisodeId) -> Result<Option<Vec<Segment>>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT original_segments FROM alignment_state WHERE episode_id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Stores the outcome of drift correction: `segments` (the publisher's `original` where
    /// nothing moved) replace the stored ones when they differ, the originals are kept for a
    /// later run, and the report is recorded; the job is done for `audio_id`.
    pub fn store_drift(
        &mut self,
        id: EpisodeId,
        audio_id: &str,
        original: &[Segment],
        segments: &[Segment],
        report: &DriftSummary,
    ) -> Result<()> {
        let current = self.segments(id)?;
        let tx = self.conn.transaction()?;
        if current != segments {
            replace_segments(&tx, id, segments)?;
        }
        let original = serde_json::to_string(original).expect("segments serialize");
        let report = serde_json::to_string(report).expect("report serializes");
        tx.execute(
            "INSERT INTO alignment_state (episode_id, kind, state, audio_id, report,
                                          original_segments, updated_at)
             VALUES (?1, 'drift', 'done', ?2, ?3, ?4, ?5)
             ON CONFLICT (episode_id) DO UPDATE SET kind = 'drift', state = 'done',
                 audio_id = excluded.audio_id, error = NULL, report = excluded.report,
                 original_segments = coalesce(alignment_state.original_segments,
                                              excluded.original_segments),
                 updated_at = excluded.updated_at",
            params![id.0, audio_id, report, original, now_secs()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Moves the episode's chapters by the drift report's shifts, when they are the
    /// publisher's (a chapters file or the show notes; embedded chapters belong to the file):
    /// a chapter at publisher time `t` gets the offset of the last shift with `from <= t`.
    /// Always computed from the publisher's times, so running it again (or with no shifts)
    /// is safe; skipped chapters move with their chapter. Returns whether chapters changed.
    pub fn shift_chapters(&mut self, id: EpisodeId, report: &DriftSummary) -> Result<bool> {
        let (_, source) = self.chapter_sources(id)?;
        let Some(source) = source.filter(|s| SHIFTABLE_CHAPTERS.contains(&s.as_str())) else {
            return Ok(false);
        };
        let (shifted, original): (bool, Option<String>) = self
            .conn
            .query_row(
                "SELECT chapters_shifted, original_chapters FROM alignment_state
                 WHERE episode_id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((false, None));
        let current = self.chapters(id)?;
        let base: Vec<Chapter> = match (shifted, original) {
            (true, Some(json)) => serde_json::from_str(&json).unwrap_or_else(|_| current.clone()),
            _ => current.clone(),
        };
        if base.len() != current.len() {
            return Ok(false);
        }
        let moved: Vec<Chapter> = base
            .iter()
            .map(|c| Chapter {
                start: (c.start + report.offset_at(c.start)).max(0.0),
                end: c.end.map(|e| (e + report.offset_at(e)).max(0.0)),
                ..c.clone()
            })
            .collect();
        if moved == current && shifted {
            return Ok(false);
        }
        let skips = self.skipped_chapter_starts(id)?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM chapters WHERE episode_id = ?1", [id.0])?;
        for (i, c) in moved.iter().enumerate() {
            tx.execute(
                r#"INSERT INTO chapters (episode_id, idx, start, "end", title, img, url, toc, source)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
                params![id.0, i as i64, c.start, c.end, c.title, c.img, c.url, c.toc, source],
            )?;
        }
        for (old, new) in current.iter().zip(&moved) {
            if old.start != new.start && skips.iter().any(|s| (s - old.start).abs() < 0.0005) {
                tx.execute(
                    "UPDATE OR REPLACE chapter_skips SET start = ?3
                     WHERE episode_id = ?1 AND abs(start - ?2) < 0.0005",
                    params![id.0, old.start, new.start],
                )?;
            }
        }
        let original = serde_json::to_string(&base).expect("chapters serialize");
        tx.execute(
            "UPDATE alignment_state SET chapters_shifted = 1, original_chapters = ?2
             WHERE episode_id = ?1",
            params![id.0, original],
        )?;
        tx.commit()?;
        Ok(moved != current)
    }
}

impl Library {
    /// The downloaded file a drift correction was made for is gone (the episode streams
    /// again, an audio that may not carry the same ad): the publisher's segments and chapters
    /// come back, skips moving with their chapters, and the record is forgotten. An untimed
    /// transcript's alignment is kept (still far closer than spreading the text).
    pub fn restore_publisher_times(&self, id: EpisodeId) -> Result<()> {
        let row: Option<(String, Option<String>, bool, Option<String>)> = self
            .conn
            .query_row(
                "SELECT kind, original_segments, chapters_shifted, original_chapters
                 FROM alignment_state WHERE episode_id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((kind, segments, shifted, chapters)) = row else {
            return Ok(());
        };
        if kind != "drift" {
            return Ok(());
        }
        let segments: Option<Vec<Segment>> = segments.and_then(|j| serde_json::from_str(&j).ok());
        let chapters: Option<Vec<Chapter>> = chapters
            .filter(|_| shifted)
            .and_then(|j| serde_json::from_str(&j).ok());
        let current = self.chapters(id)?;
        let (_, source) = self.chapter_sources(id)?;
        let tx = self.conn.unchecked_transaction()?;
        if let Some(segments) = segments {
            replace_segments(&tx, id, &segments)?;
        }
        if let (Some(chapters), Some(source)) = (chapters, source) {
            if chapters.len() == current.len() {
                tx.execute("DELETE FROM chapters WHERE episode_id = ?1", [id.0])?;
                for (i, c) in chapters.iter().enumerate() {
                    tx.execute(
                        r#"INSERT INTO chapters (episode_id, idx, start, "end", title, img, url, toc, source)
                           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
                        params![id.0, i as i64, c.start, c.end, c.title, c.img, c.url, c.toc, source],
                    )?;
                }
                for (now, back) in current.iter().zip(&chapters) {
                    if now.start != back.start {
                        tx.execute(
                            "UPDATE OR REPLACE chapter_skips SET start = ?3
                             WHERE episode_id = ?1 AND abs(start - ?2) < 0.0005",
                            params![id.0, now.start, back.start],
                        )?;
                    }
                }
            }
        }
        tx.execute("DELETE FROM alignment_state WHERE episode_id = ?1", [id.0])?;
        tx.commit()?;
        Ok(())
    }
}

/// Replaces an episode's segments and their index rows inside `tx`.
fn replace_segments(
    tx: &rusqlite::Transaction<'_>,
    id: EpisodeId,
    segments: &[Segment],
) -> Result<()> {
    tx.execute(
        "DELETE FROM transcript_segments WHERE episode_id = ?1",
        [id.0],
    )?;
    tx.execute("DELETE FROM transcript_fts WHERE episode_id = ?1", [id.0])?;
    insert_segments(tx, id.0, segments)
}
