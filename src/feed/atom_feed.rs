//! Atom (RFC 4287) through `atom_syndication`, with podcast extensions.

use atom_syndication::{Feed, Text, TextType};
use url::Url;

use super::ext::{Prefixes, Tags};
use super::text::{clean_label, non_empty};
use super::{
    is_playable, parse_date, parse_duration, parse_number, resolve_url, Episodes, ParsedFeed,
    RawEpisode,
};

pub(crate) fn read(text: &str, base: Option<&Url>) -> Result<ParsedFeed, String> {
    let feed = match Feed::read_from(text.as_bytes()) {
        Ok(f) => f,
        // atom_syndication refuses the whole feed over one odd date or text type: normalize
        // those and try once more.
        Err(
            atom_syndication::Error::WrongDatetime(_)
            | atom_syndication::Error::WrongAttribute { .. },
        ) => {
            let fixed = repair(text);
            Feed::read_from(fixed.as_bytes()).map_err(describe)?
        }
        Err(e) => return Err(describe(e)),
    };
    Ok(convert(&feed, base))
}

fn describe(e: atom_syndication::Error) -> String {
    match e {
        atom_syndication::Error::Eof => "the document ends before the feed is complete".into(),
        atom_syndication::Error::InvalidStartTag => {
            "the document does not start with <feed>".into()
        }
        e => e.to_string(),
    }
}

fn text_value(t: &Text) -> String {
    clean_label(
        &t.value,
        t.r#type != TextType::Text || t.value.contains("</"),
    )
}

fn convert(feed: &Feed, base: Option<&Url>) -> ParsedFeed {
    // xml:base on <feed>, resolved against the feed's own URL.
    let xml_base = feed.base.as_deref().and_then(|b| super::resolve(base, b));
    let base = xml_base.as_ref().or(base);

    let prefixes = Prefixes::new(&feed.namespaces);
    let ft = Tags::new(&feed.extensions, &prefixes);

    let alternate = |links: &[atom_syndication::Link]| -> Option<String> {
        let alts = links
            .iter()
            .filter(|l| l.rel().is_empty() || l.rel() == "alternate");
        let mut best = None;
        for l in alts {
            let html = l.mime_type().is_none_or(|m| m.contains("html"));
            if html {
                return resolve_url(base, l.href());
            }
            best = best.or_else(|| resolve_url(base, l.href()));
        }
        best
    };

    let title = text_value(&feed.title);
    let link = alternate(&feed.links);
    let description = feed
        .subtitle
        .as_ref()
        .and_then(|s| non_empty(&s.value))
        .or_else(|| ft.itunes_text("summary"));
    let author = feed
        .authors
        .iter()
        .find_map(|a| non_empty(&a.name))
        .or_else(|| ft.itunes_text("author"))
        .map(|a| clean_label(&a, true));
    let artwork_url = ft
        .itunes_image(base)
        .or_else(|| feed.logo.as_deref().and_then(|u| resolve_url(base, u)))
        .or_else(|| ft.podcast_image(base))
        .or_else(|| feed.icon.as_deref().and_then(|u| resolve_url(base, u)));
    let language = feed.lang.as_deref().and_then(non_empty);
    let new_feed_url = ft
        .itunes_text("new-feed-url")
        .and_then(|u| resolve_url(base, &u));
    let feed_persons = ft.persons(base);

    let mut episodes = Episodes::new(base, feed.entries.len());
    for entry in &feed.entries {
        // Prefixes declared on the entry itself count too.
        let entry_prefixes;
        let prefixes = if entry.namespaces().is_empty() {
            &prefixes
        } else {
            let mut all = feed.namespaces.clone();
            all.extend(
                entry
                    .namespaces()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
            entry_prefixes = Prefixes::new(&all);
            &entry_prefixes
        };
        let t = Tags::new(&entry.extensions, prefixes);
        let enclosures: Vec<_> = entry
            .links
            .iter()
            .filter(|l| l.rel() == "enclosure")
            .collect();
        // The first playable enclosure, else the first one (reported as non-audio).
        let enclosure = enclosures
            .iter()
            .find(|l| {
                resolve_url(base, l.href())
                    .and_then(|u| Url::parse(&u).ok())
                    .is_some_and(|u| is_playable(l.mime_type(), &u))
            })
            .or(enclosures.first())
            .map(|l| {
                (
                    l.href().to_string(),
                    l.mime_type().map(str::to_string),
                    l.length().map(str::to_string),
                )
            });
        let date = entry.published().copied().or_else(|| {
            let u = *entry.updated();
            (u.timestamp() != 0).then_some(u)
        });
        let show_notes_html = entry
            .content
            .as_ref()
            .filter(|c| c.src().is_none())
            .and_then(|c| c.value())
            .and_then(non_empty)
            .or_else(|| entry.summary.as_ref().and_then(|s| non_empty(&s.value)))
            .or_else(|| t.itunes_text("summary"));
        let mut persons = t.persons(base);
        if persons.is_empty() {
            persons = feed_persons.clone();
        }
        episodes.push(RawEpisode {
            guid: Some(entry.id.clone()),
            title: Some(text_value(&entry.title)),
            date_text: date.map(|d| d.to_rfc3339()),
            link: alternate(&entry.links),
            published: date.map(|d| d.timestamp()),
            duration_secs: t.itunes_text("duration").and_then(|d| parse_duration(&d)),
            enclosure,
            show_notes_html,
            artwork_url: t.itunes_image(base).or_else(|| t.podcast_image(base)),
            chapters: t.chapters(base),
            transcripts: t.transcripts(base),
            persons,
            season: t
                .itunes_text("season")
                .or_else(|| t.podcast_text("season"))
                .and_then(|s| parse_number(&s)),
            number: t
                .itunes_text("episode")
                .or_else(|| t.podcast_text("episode"))
                .and_then(|s| parse_number(&s)),
        });
    }
    let mut warnings = Vec::new();
    let episodes = episodes.finish(&mut warnings);
    ParsedFeed {
        title,
        link,
        description,
        author,
        artwork_url,
        language,
        new_feed_url,
        episodes,
        warnings,
    }
}

/// Rewrites `<published>`/`<updated>` texts our own [`parse_date`] understands as RFC 3339 (and
/// empties the others), and maps odd text-construct types (`type="text/html"`) onto the three
/// Atom knows.
fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let name_len = rest[1..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len() - 1);
        let name = &rest[1..1 + name_len];
        match name {
            "published" | "updated" if rest[1 + name_len..].starts_with('>') => {
                let close = format!("</{name}>");
                let body_start = name_len + 2;
                if let Some(end) = rest[body_start..].find(&close) {
                    let body = &rest[body_start..body_start + end];
                    out.push_str(&rest[..body_start]);
                    if let Some(ts) = parse_date(body) {
                        if let Some(d) = chrono::DateTime::from_timestamp(ts, 0) {
                            out.push_str(&d.to_rfc3339());
                        }
                    }
                    rest = &rest[body_start + end..];
                    continue;
                }
            }
            "title" | "subtitle" | "summary" | "rights" | "content" => {
                if let Some(end) = rest.find('>') {
                    let tag = &rest[..end];
                    out.push_str(&fix_type(tag, name == "content"));
                    rest = &rest[end..];
                    continue;
                }
            }
            _ => {}
        }
        out.push('<');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

fn fix_type(tag: &str, is_content: bool) -> String {
    for q in ['"', '\''] {
        let key = format!("type={q}");
        if let Some(p) = tag.find(&key) {
            let vs = p + key.len();
            if let Some(len) = tag[vs..].find(q) {
                let v = tag[vs..vs + len].trim().to_ascii_lowercase();
                let fixed = match v.as_str() {
                    "text" | "html" | "xhtml" => return tag.to_string(),
                    // Content may carry any MIME type; only its "xhtml" matters to the crate.
                    _ if is_content => return tag.to_string(),
                    "application/xhtml+xml" => "xhtml",
                    _ if v.contains("html") => "html",
                    _ => "text",
                };
                return format!("{}{}{}", &tag[..vs], fixed, &tag[vs + len..]);
            }
        }
    }
    tag.to_string()
}
