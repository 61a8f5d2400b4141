//! Transcripts in the library: one per episode, with where it came from, its segments (word
//! times and estimated starts kept), the untimed paragraphs an alignment can start from, and a
//! full-text index of every line (SQLite FTS5) for library-wide search.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::{now_secs, EpisodeId, Library, PodcastId};
use crate::error::Result;
use crate::transcript::{Segment, UntimedTranscript, Word};

/// Where an episode's stored transcript came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSource {
    /// A URL, `sidecar`, `file` (opened by the listener) or `bundled`.
    pub source: String,
    /// `json`, `vtt`, `srt`, `html` or `text`.
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One line found by [`Library::search`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub episode_id: EpisodeId,
    pub podcast_id: PodcastId,
    pub podcast_title: String,
    pub episode_title: String,
    pub start: f64,
    pub estimated: bool,
    pub speaker: Option<String>,
    pub text: String,
    /// Plain text with each match between `\u{2}` and `\u{3}`.
    pub snippet: String,
}

/// Inserts segments (and their index rows) for an episode inside `tx`.
pub(super) fn insert_segments(
    tx: &Transaction<'_>,
    episode: i64,
    segments: &[Segment],
) -> Result<()> {
    let mut seg = tx.prepare_cached(
        r#"INSERT INTO transcript_segments (episode_id, idx, start, "end", speaker, text, estimated, words)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#,
    )?;
    let mut fts = tx.prepare_cached(
        "INSERT INTO transcript_fts (text, speaker, episode_id, start, estimated) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, s) in segments.iter().enumerate() {
        let words = (!s.words.is_empty())
            .then(|| serde_json::to_string(&s.words).expect("words serialize"));
        seg.execute(params![
            episode,
            i as i64,
            s.start,
            s.end,
            s.speaker,
            s.text,
            s.estimated,
            words
        ])?;
        fts.execute(params![s.text, s.speaker, episode, s.start, s.estimated])?;
    }
    Ok(())
}

/// Turns what a person types into an FTS5 query: quoted phrases stay phrases, other words are
/// matched as words (the last one also as a prefix, so results come while typing). Nothing
/// the person types is FTS syntax.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = input;
    while let Some(open) = rest.find('"') {
        let (before, after) = rest.split_at(open);
        terms.extend(words(before).into_iter().map(|w| format!("\"{w}\"")));
        let after = &after[1..];
        match after.find('"') {
            Some(close) => {
                let phrase: Vec<String> = words(&after[..close]);
                if !phrase.is_empty() {
                    terms.push(format!("\"{}\"", phrase.join(" ")));
                }
                rest = &after[close + 1..];
            }
            None => {
                rest = after;
            }
        }
    }
    let tail = words(rest);
    let n = tail.len();
    for (i, w) in tail.into_iter().enumerate() {
        if i + 1 == n && !input.ends_with(' ') {
            terms.push(format!("\"{w}\"*"));
        } else {
            terms.push(format!("\"{w}\""));
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl Library {
    /// Replaces an episode's transcript (segments, index, source) in one transaction.
    pub fn replace_transcript(
        &mut self,
        id: EpisodeId,
        source: &str,
        format: &str,
        segments: &[Segment],
        untimed: Option<&UntimedTranscript>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM transcript_segments WHERE episode_id = ?1",
            [id.0],
        )?;
        tx.execute("DELETE FROM transcript_fts WHERE episode_id = ?1", [id.0])?;
        insert_segments(&tx, id.0, segments)?;
        // A new transcript: any alignment or drift correction was of the old one.
        tx.execute("DELETE FROM alignment_state WHERE episode_id = ?1", [id.0])?;
        let untimed = untimed.map(|u| serde_json::to_string(u).expect("transcript serializes"));
        tx.execute(
            "INSERT INTO transcript_state (episode_id, source, format, untimed, fetched_at, error)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL)
             ON CONFLICT (episode_id) DO UPDATE SET source = excluded.source,
                 format = excluded.format, untimed = excluded.untimed,
                 fetched_at = excluded.fetched_at, error = NULL",
            params![id.0, source, format, untimed, now_secs()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records that no transcript could be had (so it is not fetched on every open); segments
    /// already stored are kept.
    pub fn mark_transcript_missing(&self, id: EpisodeId, error: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO transcript_state (episode_id, source, format, fetched_at, error)
             VALUES (?1, '', '', ?2, ?3)
             ON CONFLICT (episode_id) DO UPDATE SET fetched_at = excluded.fetched_at,
                 error = excluded.error",
            params![id.0, now_secs(), error],
        )?;
        Ok(())
    }

    /// Where the stored transcript came from; `None` if none was looked for yet.
    pub fn transcript_source(&self, id: EpisodeId) -> Result<Option<TranscriptSource>> {
        Ok(self
            .conn
            .query_row(
                "SELECT source, format, error FROM transcript_state WHERE episode_id = ?1",
                [id.0],
                |r| {
                    Ok(TranscriptSource {
                        source: r.get(0)?,
                        format: r.get(1)?,
                        error: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// The untimed paragraphs of an episode's transcript (HTML or text sources).
    pub fn untimed_transcript(&self, id: EpisodeId) -> Result<Option<UntimedTranscript>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT untimed FROM transcript_state WHERE episode_id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The `podcast:transcript` entries the feed gave for an episode, in feed order.
    pub fn transcript_refs(&self, id: EpisodeId) -> Result<Vec<crate::feed::TranscriptRef>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT url, mime, language, rel FROM episode_transcripts WHERE episode_id = ?1 ORDER BY idx",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(crate::feed::TranscriptRef {
                url: r.get(0)?,
                mime: r.get(1)?,
                language: r.get(2)?,
                rel: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Lines matching `query` (words; `"a phrase"`) across every transcript: best first (BM25)
    /// when there are up to [`RANKED_MATCHES`] of them; past that (a very common word, ranking
    /// would cost more than it tells), the newest lines first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let matches: i64 = self.conn.query_row(
            "SELECT count(*) FROM transcript_fts WHERE transcript_fts MATCH ?1",
            [&q],
            |r| r.get(0),
        )?;
        let order = if matches as usize <= RANKED_MATCHES {
            "bm25(transcript_fts)"
        } else {
            "f.rowid DESC"
        };
        let sql = format!(
            "SELECT f.episode_id, e.podcast_id, p.title, e.title, f.start, f.estimated, f.speaker,
                    f.text, snippet(transcript_fts, 0, char(2), char(3), '…', 16)
             FROM transcript_fts f
             JOIN episodes e ON e.id = f.episode_id
             JOIN podcasts p ON p.id = e.podcast_id
             WHERE transcript_fts MATCH ?1
             ORDER BY {order} LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![q, limit as i64], |r| {
            Ok(SearchHit {
                episode_id: EpisodeId(r.get(0)?),
                podcast_id: PodcastId(r.get(1)?),
                podcast_title: r.get(2)?,
                episode_title: r.get(3)?,
                start: r.get(4)?,
                estimated: r.get(5)?,
                speaker: r.get(6)?,
                text: r.get(7)?,
                snippet: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

/// Up to this many matching lines are ranked by relevance.
pub const RANKED_MATCHES: usize = 2_000;

pub(super) fn words_from_json(json: Option<String>) -> Vec<Word> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_a_safe_fts_query() {
        assert_eq!(fts_query("hello"), Some("\"hello\"*".into()));
        assert_eq!(fts_query("hello "), Some("\"hello\"".into()));
        assert_eq!(
            fts_query("sea \"tide pools\" crab"),
            Some("\"sea\" \"tide pools\" \"crab\"*".into())
        );
        assert_eq!(
            fts_query("NEAR(a b) OR -x*"),
            Some("\"NEAR\" \"a\" \"b\" \"OR\" \"x\"*".into())
        );
        assert_eq!(fts_query("  \"  "), None);
        assert_eq!(fts_query("don't"), Some("\"don't\"*".into()));
    }
}
