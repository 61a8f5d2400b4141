//! Schema migrations, embedded and applied in order at open. Never edit a shipped step:
//! add a new one.

use rusqlite_migration::{Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        // 1: the foundation.
        M::up(
            r#"
CREATE TABLE podcasts (
    id          INTEGER PRIMARY KEY,
    feed_url    TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    author      TEXT,
    description TEXT,
    artwork_url TEXT,
    added_at    INTEGER NOT NULL
);
CREATE TABLE episodes (
    id               INTEGER PRIMARY KEY,
    podcast_id       INTEGER NOT NULL REFERENCES podcasts(id) ON DELETE CASCADE,
    guid             TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT,
    published        INTEGER,
    duration_secs    REAL,
    enclosure_url    TEXT,
    enclosure_type   TEXT,
    enclosure_length INTEGER,
    local_file       TEXT,
    UNIQUE (podcast_id, guid)
);
CREATE INDEX episodes_by_podcast_date ON episodes (podcast_id, published DESC);
CREATE TABLE chapters (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    start      REAL NOT NULL,
    "end"      REAL,
    title      TEXT NOT NULL,
    img        TEXT,
    url        TEXT,
    toc        INTEGER NOT NULL DEFAULT 1,
    source     TEXT NOT NULL,
    PRIMARY KEY (episode_id, idx)
) WITHOUT ROWID;
CREATE TABLE transcript_segments (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    start      REAL NOT NULL,
    "end"      REAL NOT NULL,
    speaker    TEXT,
    text       TEXT NOT NULL,
    PRIMARY KEY (episode_id, idx)
) WITHOUT ROWID;
CREATE TABLE progress (
    episode_id    INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    position_secs REAL NOT NULL,
    played        INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE app_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
        ),
        // 2: subscriptions — feed validators, refresh state, show notes, new flags, Podcasting 2.0
        // references, and a fingerprint per episode so unchanged items are skipped on refresh.
        M::up(
            r#"
ALTER TABLE podcasts ADD COLUMN link TEXT;
ALTER TABLE podcasts ADD COLUMN etag TEXT;
ALTER TABLE podcasts ADD COLUMN last_modified TEXT;
ALTER TABLE podcasts ADD COLUMN body_sha256 TEXT;
ALTER TABLE podcasts ADD COLUMN refreshed_at INTEGER;
ALTER TABLE podcasts ADD COLUMN last_error TEXT;
ALTER TABLE episodes ADD COLUMN link TEXT;
ALTER TABLE episodes ADD COLUMN artwork_url TEXT;
ALTER TABLE episodes ADD COLUMN chapters_url TEXT;
ALTER TABLE episodes ADD COLUMN is_new INTEGER NOT NULL DEFAULT 0;
ALTER TABLE episodes ADD COLUMN fingerprint INTEGER;
CREATE INDEX episodes_by_enclosure ON episodes (podcast_id, enclosure_url);
CREATE TABLE episode_transcripts (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    url        TEXT NOT NULL,
    mime       TEXT,
    language   TEXT,
    rel        TEXT,
    PRIMARY KEY (episode_id, idx)
) WITHOUT ROWID;
CREATE TABLE episode_persons (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT,
    grp        TEXT,
    img        TEXT,
    href       TEXT,
    PRIMARY KEY (episode_id, idx)
) WITHOUT ROWID;
"#,
        ),
        // 3: podcast artwork, fetched once and served to the page from here (its CSP allows no
        // remote images).
        M::up(
            r#"
CREATE TABLE artwork (
    podcast_id INTEGER PRIMARY KEY REFERENCES podcasts(id) ON DELETE CASCADE,
    source_url TEXT NOT NULL,
    mime       TEXT NOT NULL,
    bytes      BLOB NOT NULL
);
"#,
        ),
        // 4: chapters the listener chose to skip, by start time (chapters may be re-fetched).
        M::up(
            r#"
CREATE TABLE chapter_skips (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    start      REAL NOT NULL,
    PRIMARY KEY (episode_id, start)
) WITHOUT ROWID;
"#,
        ),
        // 5: downloads. `local_file` (relative to the data directory) is set only once a file is
        // complete and renamed; `download_state` tracks one that is not (queued, running, paused,
        // failed). Size and content hash of the finished file (`local_hash`, labelled with its
        // kind: `blake3:<hex>` or `sha256:<hex>`); a default speed per podcast.
        M::up(
            r#"
ALTER TABLE episodes ADD COLUMN download_state TEXT;
ALTER TABLE episodes ADD COLUMN download_bytes INTEGER;
ALTER TABLE episodes ADD COLUMN download_total INTEGER;
ALTER TABLE episodes ADD COLUMN download_error TEXT;
ALTER TABLE episodes ADD COLUMN local_size INTEGER;
ALTER TABLE episodes ADD COLUMN local_hash TEXT;
ALTER TABLE episodes ADD COLUMN downloaded_at INTEGER;
ALTER TABLE podcasts ADD COLUMN speed REAL;
CREATE INDEX episodes_downloading ON episodes (download_state) WHERE download_state IS NOT NULL;
"#,
        ),
        // 6: the up-next queue, in order; images (chapter art) fetched once and served locally.
        M::up(
            r#"
CREATE TABLE up_next (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL
);
CREATE TABLE image_cache (
    url        TEXT PRIMARY KEY,
    mime       TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
);
"#,
        ),
        // 7: transcripts from every source: where each episode's came from (and its untimed
        // paragraphs for alignment), estimated starts and word times per segment, and a
        // full-text index of every line for library-wide search.
        M::up(
            r#"
ALTER TABLE transcript_segments ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transcript_segments ADD COLUMN words TEXT;
CREATE TABLE transcript_state (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    format     TEXT NOT NULL,
    untimed    TEXT,
    fetched_at INTEGER NOT NULL,
    error      TEXT
);
CREATE VIRTUAL TABLE transcript_fts USING fts5(
    text, speaker UNINDEXED, episode_id UNINDEXED, start UNINDEXED, estimated UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO transcript_fts (text, speaker, episode_id, start, estimated)
    SELECT text, speaker, episode_id, start, estimated FROM transcript_segments;
CREATE TRIGGER transcript_fts_forget AFTER DELETE ON episodes BEGIN
    DELETE FROM transcript_fts WHERE episode_id = old.id;
END;
INSERT INTO transcript_state (episode_id, source, format, fetched_at)
    SELECT DISTINCT episode_id, 'bundled', 'vtt', CAST(strftime('%s', 'now') AS INTEGER)
    FROM transcript_segments;
"#,
        ),
        // 8: alignment and drift correction per episode (issue 8): the job's state, the audio it
        // was made for (`audio_id`: size and modification time of the local file, so a changed
        // file is done again), the drift report, and the publisher's segments and chapters as
        // they were before correction (a later run starts again from them).
        M::up(
            r#"
CREATE TABLE alignment_state (
    episode_id        INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL,
    audio_id          TEXT,
    error             TEXT,
    report            TEXT,
    original_segments TEXT,
    original_chapters TEXT,
    chapters_shifted  INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX alignment_unfinished ON alignment_state (state) WHERE state IN ('queued', 'running');
"#,
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
