//! Subscribing, refreshing and unsubscribing: the network side of the library.
//!
//! Fetches run concurrently (a bounded number at a time); parsing runs off the async threads;
//! every store is one transaction, so a failed refresh leaves the library exactly as it was.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::Semaphore;
use url::Url;

use crate::error::{Error, Result};
use crate::feed::{self, FeedError, ParsedFeed};
use crate::fetch::{sha256_hex, Fetched, Http, Validators, MAX_FEED_BYTES};
use crate::library::{FeedState, Library, PodcastId};
use crate::opml::{self, OpmlFeed};

/// How many feeds are fetched at once.
pub const CONCURRENT_FETCHES: usize = 4;
/// Artwork larger than this is not stored.
pub const MAX_ARTWORK_BYTES: usize = 8 * 1024 * 1024;

/// The image type of `bytes`, judged by their first bytes (not by what a server claims).
/// Transcripts larger than this are not read (a 3-hour word-level JSON is a few MB).
const MAX_TRANSCRIPT_BYTES: usize = 32 * 1024 * 1024;

/// The listener's language from the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), as a
/// BCP 47 tag (`en_GB.UTF-8` → `en-GB`); `en` when unset.
pub fn user_language() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.split(['.', '@']).next().unwrap_or("").replace('_', "-"))
        .find(|v| !v.is_empty() && v != "C" && v != "POSIX")
        .unwrap_or_else(|| "en".into())
}

/// The first link in show notes that says it is a transcript (in its text or its address).
pub fn transcript_link(html: &str, base: Option<&Url>) -> Option<Url> {
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<a").map(|i| i + at) {
        let tag_end = lower[open..].find('>').map(|i| i + open)?;
        let close = lower[tag_end..]
            .find("</a")
            .map(|i| i + tag_end)
            .unwrap_or(lower.len());
        let tag = &html[open..tag_end];
        let text = &lower[tag_end..close];
        at = close.max(tag_end + 1);
        let Some(href) = attr(tag, "href") else {
            continue;
        };
        if !(text.contains("transcript") || href.to_ascii_lowercase().contains("transcript")) {
            continue;
        }
        let url = match base {
            Some(b) => b.join(&href).ok(),
            None => Url::parse(&href).ok(),
        };
        if let Some(u) = url.filter(|u| matches!(u.scheme(), "http" | "https")) {
            return Some(u);
        }
    }
    None
}

/// An attribute's value in one start tag (quoted with " or ', or bare); entities `&amp;` decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => rest[1..].split(q).next()?,
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next()?,
        };
        return Some(value.replace("&amp;", "&"));
    }
    None
}

pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefreshStatus {
    Updated,
    Unchanged,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    pub podcast_id: PodcastId,
    pub title: String,
    pub status: RefreshStatus,
    pub new_episodes: usize,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportFailure {
    pub url: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub added: usize,
    pub existing: usize,
    pub failed: Vec<ImportFailure>,
}

/// Turns what a person typed into a feed URL: `example.org/feed` means https.
pub fn normalize_url(input: &str) -> std::result::Result<Url, String> {
    let t = input.trim();
    if t.is_empty() {
        return Err("the address is empty".into());
    }
    let with_scheme = if t.contains("://") {
        t.to_string()
    } else {
        format!("https://{t}")
    };
    let url =
        Url::parse(&with_scheme).map_err(|e| format!("\"{t}\" is not a web address ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(format!("\"{t}\" is not an http(s) address")),
    }
}

#[derive(Clone)]
pub struct Subscriptions {
    http: Http,
    library: Arc<Mutex<Library>>,
}

impl Subscriptions {
    pub fn new(http: Http, library: Arc<Mutex<Library>>) -> Self {
        Self { http, library }
    }

    fn lib(&self) -> MutexGuard<'_, Library> {
        self.library.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fetches and parses a feed; a web page that links its feed is followed once.
    /// Returns the URL to keep, the parsed feed, its validators and the body's digest.
    async fn fetch_new(
        &self,
        url: &Url,
    ) -> std::result::Result<(Url, ParsedFeed, Validators, String), String> {
        let mut target = url.clone();
        for hop in 0..2 {
            let body = match self
                .http
                .get(&target, &Validators::default(), MAX_FEED_BYTES)
                .await
            {
                Ok(Fetched::Body(b)) => b,
                Ok(Fetched::NotModified { .. }) => {
                    return Err("the server answered 304 Not Modified to a plain request".into())
                }
                Err(e) => return Err(e.to_string()),
            };
            let keep = body.permanent_url.clone().unwrap_or_else(|| target.clone());
            match parse_off_thread(body.bytes.clone(), body.final_url.clone()).await {
                Ok(parsed) => return Ok((keep, parsed, body.validators, sha256_hex(&body.bytes))),
                Err(FeedError::HtmlPage { feed_links }) if hop == 0 => {
                    let Some(link) = feed_links.first() else {
                        return Err("it is a web page, and it links no feed".into());
                    };
                    target = Url::parse(link)
                        .map_err(|e| format!("it links a feed at a bad address ({e})"))?;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("the page's feed link leads to another web page, not a feed".into())
    }

    /// Subscribes to a feed (or the feed a web page links). Subscribing twice returns the
    /// existing podcast.
    pub async fn subscribe(&self, input: &str) -> Result<PodcastId> {
        let fail = |cause: String| {
            Error::Feed(format!("Could not subscribe to {}: {cause}", input.trim()))
        };
        let url = normalize_url(input).map_err(fail)?;
        if let Some(id) = self.lib().podcast_by_feed(url.as_str())? {
            return Ok(id);
        }
        let (keep, parsed, validators, sha) = self.fetch_new(&url).await.map_err(fail)?;
        let id = {
            let mut lib = self.lib();
            if let Some(id) = lib.podcast_by_feed(keep.as_str())? {
                return Ok(id);
            }
            lib.insert_feed(keep.as_str(), &parsed, &validators, &sha)?
        };
        self.update_artwork(id).await;
        Ok(id)
    }

    /// Fetches the podcast's artwork when it has none stored or its address changed. Failures
    /// only cost the picture: they are logged, never reported as a failed subscribe/refresh.
    pub async fn update_artwork(&self, id: PodcastId) {
        let (wanted, stored) = match self.lib().artwork_sources(id) {
            Ok(v) => v,
            Err(e) => return tracing::warn!("{e}"),
        };
        let Some(wanted) = wanted.filter(|w| Some(w) != stored.as_ref()) else {
            return;
        };
        let Ok(url) = Url::parse(&wanted) else { return };
        match self
            .http
            .get(&url, &Validators::default(), MAX_ARTWORK_BYTES)
            .await
        {
            Ok(Fetched::Body(b)) => match sniff_image(&b.bytes) {
                Some(mime) => {
                    if let Err(e) = self.lib().store_artwork(id, &wanted, mime, &b.bytes) {
                        tracing::warn!("could not store artwork: {e}");
                    }
                }
                None => tracing::warn!("artwork at {wanted} is not a JPEG, PNG, GIF or WebP image"),
            },
            Ok(Fetched::NotModified { .. }) => {}
            Err(e) => tracing::warn!("could not fetch artwork {wanted}: {e}"),
        }
    }

    /// Finds, fetches and stores an episode's transcript the first time it is asked for: the
    /// feed's `podcast:transcript` entries (the listener's language first, then JSON > VTT >
    /// SRT > HTML > text; an empty or broken one gives way to the next), else a transcript
    /// file beside the downloaded audio (`episode.vtt`, `.srt`, `.json`, `.html`, `.txt`), else
    /// a transcript linked from the show notes. A search that finds nothing is remembered
    /// until the feed item changes.
    pub async fn ensure_transcript(
        &self,
        id: crate::library::EpisodeId,
        data_dir: Option<&std::path::Path>,
    ) -> Result<()> {
        if self.lib().transcript_source(id)?.is_some() {
            return Ok(());
        }
        let media = self.lib().episode(id)?;
        let duration = media.summary.duration_secs;
        let refs = self.lib().transcript_refs(id)?;
        let mut failures = Vec::new();
        let order = crate::transcript::choose_transcripts(&refs, &user_language());
        for i in order {
            let r = &refs[i];
            match self.fetch_transcript(&r.url, r.mime.as_deref()).await {
                Ok(parsed) => return self.store_transcript(id, &r.url, parsed, duration),
                Err(e) => failures.push(format!("{}: {e}", r.url)),
            }
        }
        // A file beside the downloaded audio.
        if let (Some(dir), Some(rel)) = (data_dir, media.local_file.as_deref()) {
            if let Some(audio) = Library::resolve_local(dir, rel) {
                for ext in ["json", "vtt", "srt", "html", "txt"] {
                    let side = audio.with_extension(ext);
                    let Ok(meta) = std::fs::metadata(&side) else {
                        continue;
                    };
                    if !meta.is_file() || meta.len() > MAX_TRANSCRIPT_BYTES as u64 {
                        continue;
                    }
                    let name = side
                        .file_name()
                        .and_then(|n| n.to_str())
                        .map(str::to_string);
                    match std::fs::read(&side)
                        .map_err(|e| e.to_string())
                        .and_then(|b| {
                            crate::transcript::parse_transcript(&b, None, name.as_deref())
                                .map_err(|e| e.to_string())
                        }) {
                        Ok(parsed) => {
                            return self.store_transcript(id, "sidecar", parsed, duration)
                        }
                        Err(e) => failures.push(format!("{}: {e}", side.display())),
                    }
                }
            }
        }
        // A transcript page linked from the show notes.
        // Relative links resolve against the episode's page, else its audio's address.
        let base = media
            .link
            .as_deref()
            .or(media.enclosure_url.as_deref())
            .and_then(|l| Url::parse(l).ok());
        if let Some(url) = media
            .show_notes_html
            .as_deref()
            .and_then(|html| transcript_link(html, base.as_ref()))
        {
            match self.fetch_transcript(url.as_str(), None).await {
                Ok(parsed) => return self.store_transcript(id, url.as_str(), parsed, duration),
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        let why = if failures.is_empty() {
            "the episode has no transcript".to_string()
        } else {
            failures.join("; ")
        };
        self.lib().mark_transcript_missing(id, &why)
    }

    /// Reads a transcript the listener chose for an episode and stores it (replacing any).
    pub fn import_transcript(
        &self,
        id: crate::library::EpisodeId,
        name: &str,
        bytes: &[u8],
    ) -> Result<Vec<crate::transcript::Segment>> {
        let parsed = crate::transcript::parse_transcript(bytes, None, Some(name))?;
        let duration = self.lib().episode(id)?.summary.duration_secs;
        self.store_transcript(id, "file", parsed, duration)?;
        self.lib().segments(id)
    }

    async fn fetch_transcript(
        &self,
        url: &str,
        mime: Option<&str>,
    ) -> std::result::Result<crate::transcript::ParsedTranscript, String> {
        let parsed_url = Url::parse(url).map_err(|e| e.to_string())?;
        if !matches!(parsed_url.scheme(), "http" | "https") {
            return Err("not an http(s) link".into());
        }
        match self
            .http
            .get(&parsed_url, &Validators::default(), MAX_TRANSCRIPT_BYTES)
            .await
        {
            Ok(Fetched::Body(b)) => {
                let mime = mime.or(b.content_type.as_deref());
                crate::transcript::parse_transcript(&b.bytes, mime, Some(parsed_url.path()))
                    .map_err(|e| e.to_string())
            }
            Ok(Fetched::NotModified { .. }) => Err("not modified".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn store_transcript(
        &self,
        id: crate::library::EpisodeId,
        source: &str,
        parsed: crate::transcript::ParsedTranscript,
        duration: Option<f64>,
    ) -> Result<()> {
        let parsed = match duration {
            Some(d) if d > 0.0 => parsed.with_duration(d),
            _ => parsed,
        };
        self.lib().replace_transcript(
            id,
            source,
            parsed.format.as_str(),
            &parsed.segments,
            parsed.untimed.as_ref(),
        )
    }

    /// The image of chapter `index` (in stored order, hidden chapters included) of an
    /// episode: fetched once from its http(s) URL, checked to be an image, cached in the
    /// library. `None` when the chapter has no such image or it cannot be had.
    pub async fn chapter_image(
        &self,
        episode: crate::library::EpisodeId,
        index: usize,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let Some(img) = self
            .lib()
            .chapters(episode)?
            .into_iter()
            .nth(index)
            .and_then(|c| c.img)
        else {
            return Ok(None);
        };
        if let Some(hit) = self.lib().cached_image(&img)? {
            return Ok(Some(hit));
        }
        let Some(url) = Url::parse(&img)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            return Ok(None);
        };
        match self
            .http
            .get(&url, &Validators::default(), MAX_ARTWORK_BYTES)
            .await
        {
            Ok(Fetched::Body(b)) => match sniff_image(&b.bytes) {
                Some(mime) => {
                    self.lib().cache_image(&img, mime, &b.bytes)?;
                    Ok(Some((mime.to_string(), b.bytes)))
                }
                None => {
                    tracing::warn!("chapter image {img} is not a JPEG, PNG, GIF or WebP image");
                    Ok(None)
                }
            },
            Ok(Fetched::NotModified { .. }) => Ok(None),
            Err(e) => {
                tracing::warn!("could not fetch chapter image {img}: {e}");
                Ok(None)
            }
        }
    }

    pub fn unsubscribe(&self, id: PodcastId) -> Result<()> {
        self.lib().remove_podcast(id)
    }

    /// Refreshes one podcast.
    pub async fn refresh(&self, id: PodcastId) -> Result<RefreshReport> {
        let state = self.lib().feed_state(id)?;
        Ok(self.refresh_state(state).await)
    }

    /// Refreshes every subscribed feed, `CONCURRENT_FETCHES` at a time; `progress(done, total)`
    /// is called as each finishes. One report per podcast, in library order.
    pub async fn refresh_all(
        &self,
        progress: impl Fn(usize, usize) + Send + Sync + 'static,
    ) -> Result<Vec<RefreshReport>> {
        let states = self.lib().feed_states()?;
        let total = states.len();
        progress(0, total);
        let gate = Arc::new(Semaphore::new(CONCURRENT_FETCHES));
        let progress = Arc::new(progress);
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, state) in states.into_iter().enumerate() {
            let (this, gate, progress, done) =
                (self.clone(), gate.clone(), progress.clone(), done.clone());
            tasks.spawn(async move {
                let _permit = gate
                    .acquire_owned()
                    .await
                    .expect("semaphore is never closed");
                let report = this.refresh_state(state).await;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
                progress(n, total);
                (i, report)
            });
        }
        let mut reports = Vec::with_capacity(total);
        while let Some(r) = tasks.join_next().await {
            reports.push(r.map_err(|e| Error::Feed(format!("a refresh task failed: {e}")))?);
        }
        reports.sort_by_key(|(i, _)| *i);
        Ok(reports.into_iter().map(|(_, r)| r).collect())
    }

    async fn refresh_state(&self, state: FeedState) -> RefreshReport {
        let report = |status, new_episodes, message| RefreshReport {
            podcast_id: state.id,
            title: state.title.clone(),
            status,
            new_episodes,
            message,
        };
        let failed = |cause: String| {
            let message = format!(
                "Could not refresh \u{201c}{}\u{201d} ({}): {cause}",
                state.title, state.feed_url
            );
            if let Err(e) = self.lib().mark_refresh_failed(state.id, &message) {
                tracing::error!("{e}");
            }
            report(RefreshStatus::Failed, 0, Some(message))
        };
        let url = match Url::parse(&state.feed_url) {
            Ok(u) => u,
            Err(e) => return failed(format!("its address is not valid ({e})")),
        };
        let fetched = match self.http.get(&url, &state.validators, MAX_FEED_BYTES).await {
            Ok(f) => f,
            Err(e) => return failed(e.to_string()),
        };
        let (body, moved) = match fetched {
            Fetched::NotModified { permanent_url } => (None, permanent_url),
            Fetched::Body(b) => {
                let moved = b.permanent_url.clone();
                (Some(b), moved)
            }
        };
        if let Some(new_url) = moved {
            match self.lib().move_feed(state.id, new_url.as_str()) {
                Ok(true) => tracing::info!("{} moved permanently to {new_url}", state.feed_url),
                Ok(false) => tracing::warn!(
                    "{} moved to {new_url}, which another podcast already uses",
                    state.feed_url
                ),
                Err(e) => return failed(e.to_string()),
            }
        }
        let Some(body) = body else {
            return match self.lib().mark_refreshed(state.id, None) {
                Ok(()) => report(RefreshStatus::Unchanged, 0, None),
                Err(e) => failed(e.to_string()),
            };
        };
        let sha = sha256_hex(&body.bytes);
        if state.body_sha256.as_deref() == Some(sha.as_str()) {
            // The same bytes again (a server without validators): nothing to parse or store.
            return match self.lib().mark_refreshed(state.id, Some(&body.validators)) {
                Ok(()) => report(RefreshStatus::Unchanged, 0, None),
                Err(e) => failed(e.to_string()),
            };
        }
        let parsed = match parse_off_thread(body.bytes, body.final_url).await {
            Ok(p) => p,
            Err(e) => return failed(format!("{e}; the episodes already in the library are kept")),
        };
        let stored = self
            .lib()
            .apply_feed(state.id, &parsed, &body.validators, &sha);
        if stored.is_ok() {
            self.update_artwork(state.id).await;
        }
        match stored {
            Ok(o) if o.added + o.updated > 0 => report(RefreshStatus::Updated, o.added, None),
            Ok(_) => report(RefreshStatus::Unchanged, 0, None),
            Err(e) => failed(e.to_string()),
        }
    }

    /// Makes sure an episode has its best chapters stored: the feed's Podcasting 2.0 chapters
    /// file (fetched once), else time stamps in its show notes. A failed fetch keeps what is
    /// stored and falls back to the show notes.
    pub async fn ensure_chapters(&self, id: crate::library::EpisodeId) -> Result<()> {
        let (url, stored_from) = self.lib().chapter_sources(id)?;
        if stored_from.as_deref() == Some(crate::chapters::ChapterSource::Podcasting20Json.as_str())
        {
            return Ok(());
        }
        if let Some(url) = url.as_deref().and_then(|u| Url::parse(u).ok()) {
            match self
                .http
                .get(&url, &Validators::default(), 2 * 1024 * 1024)
                .await
            {
                Ok(Fetched::Body(b)) => match std::str::from_utf8(&b.bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        crate::chapters::parse_json_chapters(t).map_err(|e| e.to_string())
                    }) {
                    Ok(ch) if !ch.is_empty() => {
                        let key = crate::chapters::ChapterSource::Podcasting20Json.as_str();
                        return self.lib().replace_chapters(id, key, &ch);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("chapters file {url} is unusable: {e}"),
                },
                Ok(Fetched::NotModified { .. }) => {}
                Err(e) => tracing::warn!("could not fetch chapters {url}: {e}"),
            }
        }
        if stored_from.is_some() {
            return Ok(());
        }
        let media = self.lib().episode(id)?;
        if let Some(notes) = media.show_notes_html.as_deref() {
            let ch = crate::chapters::chapters_from_show_notes(notes, media.summary.duration_secs);
            if !ch.is_empty() {
                return self.lib().replace_chapters(
                    id,
                    crate::chapters::ChapterSource::ShowNotes.as_str(),
                    &ch,
                );
            }
        }
        Ok(())
    }

    /// Subscribes to every feed in an OPML document that is not in the library yet.
    pub async fn import_opml(
        &self,
        text: &str,
        progress: impl Fn(usize, usize) + Send + Sync + 'static,
    ) -> Result<ImportReport> {
        let feeds = opml::parse(text)?;
        let total = feeds.len();
        progress(0, total);
        let mut report = ImportReport::default();
        let gate = Arc::new(Semaphore::new(CONCURRENT_FETCHES));
        let progress = Arc::new(progress);
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for f in feeds {
            let known = normalize_url(&f.url)
                .ok()
                .map(|u| self.lib().podcast_by_feed(u.as_str()))
                .transpose()?
                .flatten();
            if known.is_some() {
                report.existing += 1;
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1,
                    total,
                );
                continue;
            }
            let (this, gate, progress, done) =
                (self.clone(), gate.clone(), progress.clone(), done.clone());
            tasks.spawn(async move {
                let _permit = gate
                    .acquire_owned()
                    .await
                    .expect("semaphore is never closed");
                let r = this.subscribe(&f.url).await;
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1,
                    total,
                );
                (f.url, r)
            });
        }
        while let Some(r) = tasks.join_next().await {
            match r.map_err(|e| Error::Feed(format!("an import task failed: {e}")))? {
                (_, Ok(_)) => report.added += 1,
                (url, Err(e)) => report.failed.push(ImportFailure {
                    url,
                    message: e.to_string(),
                }),
            }
        }
        Ok(report)
    }

    /// The library's subscriptions as an OPML document.
    pub fn export_opml(&self) -> Result<(String, usize)> {
        let lib = self.lib();
        let feeds: Vec<OpmlFeed> = lib
            .podcasts()?
            .into_iter()
            .filter(|p| p.feed_url.starts_with("http"))
            .map(|p| OpmlFeed {
                url: p.feed_url,
                title: Some(p.title),
                html_url: None,
            })
            .collect();
        Ok((opml::export(&feeds), feeds.len()))
    }
}

/// Parses on a blocking thread: a 10 MB feed must not stall the async workers.
async fn parse_off_thread(bytes: Vec<u8>, base: Url) -> std::result::Result<ParsedFeed, FeedError> {
    match tokio::task::spawn_blocking(move || feed::parse_feed(&bytes, Some(&base))).await {
        Ok(r) => r,
        Err(e) => Err(FeedError::Malformed(format!("the parser stopped: {e}"))),
    }
}
