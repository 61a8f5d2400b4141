//! The demo podcast shipped inside the binary (from `assets/demo/`), so that a first launch with
//! no network already has something to play, with chapters and a transcript.

use std::path::Path;

use serde::Deserialize;

use crate::chapters::parse_json_chapters;
use crate::error::{Error, Result};
use crate::library::{Library, NewEpisode, NewPodcast, PodcastId};
use crate::transcript::{parse_transcript, parse_vtt, ParsedTranscript};

/// The feed key the demo podcast is stored under.
pub const DEMO_FEED: &str = "earshot:demo";

/// Files embedded at build time: (name, bytes). Names in `podcast.json` are looked up here,
/// never used as paths.
const FILES: &[(&str, &[u8])] = &[
    (
        "podcast.json",
        include_bytes!("../assets/demo/podcast.json"),
    ),
    (
        "episode1.mp3",
        include_bytes!("../assets/demo/episode1.mp3"),
    ),
    (
        "episode1.vtt",
        include_bytes!("../assets/demo/episode1.vtt"),
    ),
    (
        "episode1.chapters.json",
        include_bytes!("../assets/demo/episode1.chapters.json"),
    ),
    (
        "episode2.mp3",
        include_bytes!("../assets/demo/episode2.mp3"),
    ),
    (
        "episode2.txt",
        include_bytes!("../assets/demo/episode2.txt"),
    ),
    (
        "episode2.chapters.json",
        include_bytes!("../assets/demo/episode2.chapters.json"),
    ),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoPodcast {
    title: String,
    author: Option<String>,
    description: Option<String>,
    episodes: Vec<DemoEpisode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoEpisode {
    guid: String,
    title: String,
    description: Option<String>,
    published: Option<String>,
    duration_secs: Option<f64>,
    audio: String,
    transcript: Option<String>,
    chapters: Option<String>,
}

fn file(name: &str) -> Result<&'static [u8]> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .ok_or_else(|| {
            Error::parse(
                "demo podcast",
                format!("it names a file that is not embedded: {name}"),
            )
        })
}

fn text(name: &str) -> Result<&'static str> {
    std::str::from_utf8(file(name)?).map_err(|e| Error::parse(name, e.to_string()))
}

/// Where the demo's audio lives, relative to the data directory.
fn local_name(audio: &str) -> String {
    format!("demo/{audio}")
}

/// Makes sure the demo podcast is in the library and its audio is on disk under `data_dir`.
/// Idempotent: a second call adds nothing, but restores a deleted audio file; a library
/// holding an older build's demo gains the episodes added since.
pub fn install(library: &mut Library, data_dir: &Path) -> Result<PodcastId> {
    let meta: DemoPodcast = serde_json::from_str(text("podcast.json")?)
        .map_err(|e| Error::parse("demo podcast.json", e.to_string()))?;
    for ep in &meta.episodes {
        let dest = data_dir.join(local_name(&ep.audio));
        let bytes = file(&ep.audio)?;
        let intact = std::fs::metadata(&dest)
            .map(|m| m.len() == bytes.len() as u64)
            .unwrap_or(false);
        if !intact {
            write_atomically(&dest, bytes)?;
        }
    }
    let existing = library.podcast_by_feed(DEMO_FEED)?;
    if let Some(id) = existing {
        // Every launch comes here: parse nothing unless an episode is missing.
        if library.episodes(id)?.len() >= meta.episodes.len() {
            return Ok(id);
        }
    }
    let mut episodes = Vec::new();
    // Untimed transcripts (plain paragraphs), stored once the episodes exist: (title, parsed).
    let mut untimed = Vec::new();
    for ep in meta.episodes {
        let chapters = match &ep.chapters {
            Some(name) => parse_json_chapters(text(name)?)?,
            None => Vec::new(),
        };
        let segments = match &ep.transcript {
            Some(name) if name.ends_with(".vtt") => parse_vtt(text(name)?)?,
            Some(name) => {
                let parsed = parse_transcript(file(name)?, None, Some(name))?;
                let parsed = match ep.duration_secs {
                    Some(d) => parsed.with_duration(d),
                    None => parsed,
                };
                untimed.push((ep.title.clone(), parsed));
                Vec::new()
            }
            None => Vec::new(),
        };
        episodes.push(NewEpisode {
            guid: ep.guid,
            title: ep.title,
            description: ep.description,
            published: ep.published.as_deref().and_then(parse_rfc3339_utc),
            duration_secs: ep.duration_secs,
            enclosure_url: None,
            local_file: Some(local_name(&ep.audio)),
            chapters,
            chapters_source: crate::chapters::ChapterSource::Podcasting20Json
                .as_str()
                .into(),
            segments,
        });
    }
    let podcast = NewPodcast {
        feed_url: DEMO_FEED.into(),
        title: meta.title,
        author: meta.author,
        description: meta.description,
    };
    let id = match existing {
        // Installed by an earlier version: add the episodes it did not ship.
        Some(id) => {
            if library.add_missing_episodes(id, &episodes)? == 0 {
                return Ok(id);
            }
            id
        }
        None => library.add_podcast(&podcast, &episodes)?,
    };
    store_untimed(library, id, untimed)?;
    Ok(id)
}

/// Stores the demo's untimed transcripts (spread over the episode as estimates until the app
/// aligns them to the audio).
fn store_untimed(
    library: &mut Library,
    podcast: PodcastId,
    untimed: Vec<(String, ParsedTranscript)>,
) -> Result<()> {
    let stored = library.episodes(podcast)?;
    for (title, parsed) in untimed {
        let Some(ep) = stored.iter().find(|e| e.title == title) else {
            continue;
        };
        if library.transcript_source(ep.id)?.is_some() {
            continue; // already there (and maybe aligned): keep it
        }
        library.replace_transcript(
            ep.id,
            "bundled",
            parsed.format.as_str(),
            &parsed.segments,
            parsed.untimed.as_ref(),
        )?;
    }
    Ok(())
}

const INSTALLED_KEY: &str = "demo_installed";

/// Installs the demo on a library's first launch. Once the listener has unsubscribed from it,
/// it stays gone (`None`); otherwise its audio is restored if missing.
pub fn install_on_first_launch(
    library: &mut Library,
    data_dir: &Path,
) -> Result<Option<PodcastId>> {
    let present = library.podcast_by_feed(DEMO_FEED)?.is_some();
    if !present && library.state(INSTALLED_KEY)?.is_some() {
        return Ok(None);
    }
    let id = install(library, data_dir)?;
    library.set_state(INSTALLED_KEY, "1")?;
    Ok(Some(id))
}

/// Writes through a temporary file and a rename, so a crash never leaves a half file.
pub fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<()> {
    let dir = dest
        .parent()
        .ok_or_else(|| Error::parse("path", "it has no parent directory"))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dest.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, dest).map_err(|e| Error::io(dest, e))
}

/// `2026-11-01T09:00:00Z` → unix seconds (UTC only; what the demo file uses).
fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, day) = (*d.first()?, *d.get(1)?, *d.get(2)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + t.first()? * 3600 + t.get(1)? * 60 + t.get(2).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_to_unix_time() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_utc("2026-11-01T09:00:00Z"),
            Some(1_793_523_600)
        );
        assert_eq!(parse_rfc3339_utc("yesterday"), None);
    }
}
