//! RSS 2.0 (and 0.9x/1.0) through the `rss` crate.

use url::Url;

use super::ext::{Prefixes, Tags};
use super::text::{clean_label, clean_label_owned, non_empty, non_empty_owned};
use super::{
    parse_date, parse_duration, parse_number, resolve_url, Episodes, ParsedFeed, RawEpisode,
};

pub(crate) fn read(text: &str, base: Option<&Url>) -> Result<ParsedFeed, String> {
    let mut channel = match rss::Channel::read_from(text.as_bytes()) {
        Ok(c) => c,
        // The document was checked complete and well-formed: <rss> without a <channel>.
        Err(rss::Error::Eof) => rss::Channel::default(),
        Err(rss::Error::InvalidStartTag) => {
            return Err("the document does not start with <rss>".to_string())
        }
        Err(e) => return Err(e.to_string()),
    };
    // The crate keys extension elements by the prefix the document used: resolve prefixes
    // through the namespaces declared on <rss>.
    let prefixes = Prefixes::new(channel.namespaces());
    let ct = Tags::new(channel.extensions(), &prefixes);
    let cit = channel.itunes_ext();

    let title = clean_label(channel.title(), true);
    let link = resolve_url(base, channel.link());
    let description = non_empty(channel.description())
        .or_else(|| cit.and_then(|i| i.summary()).and_then(non_empty))
        .or_else(|| ct.itunes_text("summary"))
        .or_else(|| cit.and_then(|i| i.subtitle()).and_then(non_empty))
        .or_else(|| ct.itunes_text("subtitle"));
    let author = cit
        .and_then(|i| i.author())
        .and_then(non_empty)
        .or_else(|| ct.itunes_text("author"))
        .or_else(|| {
            cit.and_then(|i| i.owner())
                .and_then(|o| o.name())
                .and_then(non_empty)
        })
        .or_else(|| {
            channel
                .dublin_core_ext()
                .and_then(|d| d.creators().first())
                .and_then(|s| non_empty(s))
        })
        .or_else(|| channel.managing_editor().and_then(non_empty))
        .map(|a| clean_label(&a, true));
    let artwork_url = cit
        .and_then(|i| i.image())
        .and_then(|u| resolve_url(base, u))
        .or_else(|| ct.itunes_image(base))
        .or_else(|| channel.image().and_then(|i| resolve_url(base, i.url())))
        .or_else(|| ct.podcast_image(base));
    let language = channel.language().and_then(non_empty);
    let new_feed_url = cit
        .and_then(|i| i.new_feed_url())
        .map(str::to_string)
        .or_else(|| ct.itunes_text("new-feed-url"))
        .and_then(|u| resolve_url(base, &u));
    let channel_persons = ct.persons(base);
    drop(ct);

    // Items are taken apart rather than copied: their strings move into the episodes.
    let items = std::mem::take(&mut channel.items);
    let mut episodes = Episodes::new(base, items.len());
    for mut item in items {
        let extensions = std::mem::take(&mut item.extensions);
        let t = Tags::new(&extensions, &prefixes);
        let iit = item.itunes_ext.take();
        let iit = iit.as_ref();
        let guid = item.guid.take();
        // A permalink GUID is the episode's page when there is no link.
        let link = item
            .link
            .as_deref()
            .and_then(|l| resolve_url(base, l))
            .or_else(|| {
                let g = guid.as_ref()?;
                let v = g.value().trim_ascii();
                (g.is_permalink() && (v.starts_with("http://") || v.starts_with("https://")))
                    .then(|| resolve_url(None, v))
                    .flatten()
            });
        let date_text = item.pub_date.take().or_else(|| {
            item.dublin_core_ext
                .as_mut()
                .and_then(|d| d.dates.drain(..).next())
        });
        let published = date_text.as_deref().and_then(parse_date);
        let duration_secs = match iit.and_then(|i| i.duration()) {
            Some(d) => parse_duration(d),
            None => t.itunes_text("duration").and_then(|d| parse_duration(&d)),
        };
        let enclosure = item
            .enclosure
            .take()
            .map(|e| (e.url, Some(e.mime_type), Some(e.length)));
        let show_notes_html = item
            .content
            .take()
            .and_then(non_empty_owned)
            .or_else(|| t.content_encoded())
            .or_else(|| item.description.take().and_then(non_empty_owned))
            .or_else(|| iit.and_then(|i| i.summary()).and_then(non_empty))
            .or_else(|| t.itunes_text("summary"));
        let artwork_url = iit
            .and_then(|i| i.image())
            .and_then(|u| resolve_url(base, u))
            .or_else(|| t.itunes_image(base))
            .or_else(|| t.podcast_image(base));
        let mut persons = t.persons(base);
        if persons.is_empty() {
            persons = channel_persons.clone();
        }
        let number_of = |itunes: Option<&str>, name: &str| {
            itunes
                .and_then(parse_number)
                .or_else(|| t.itunes_text(name).and_then(|s| parse_number(&s)))
                .or_else(|| t.podcast_text(name).and_then(|s| parse_number(&s)))
        };
        let season = number_of(iit.and_then(|i| i.season()), "season");
        let number = number_of(iit.and_then(|i| i.episode()), "episode");
        episodes.push(RawEpisode {
            guid: guid.map(|g| g.value),
            title: item.title.take().map(|t| clean_label_owned(t, true)),
            date_text,
            link,
            published,
            duration_secs,
            enclosure,
            show_notes_html,
            artwork_url,
            chapters: t.chapters(base),
            transcripts: t.transcripts(base),
            persons,
            season,
            number,
        });
    }
    let mut warnings = Vec::new();
    let episodes = episodes.finish(&mut warnings);
    Ok(ParsedFeed {
        title,
        link,
        description,
        author,
        artwork_url,
        language,
        new_feed_url,
        episodes,
        warnings,
    })
}
