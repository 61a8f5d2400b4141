//! Schema migrations, embedded and applied in order at open. Never edit a shipped step:
//! add a new one.

use rusqlite_migration::{Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(
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
    )])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
