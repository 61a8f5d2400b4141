//! Namespaced extension elements (iTunes, Podcasting 2.0, content) as the `rss` and
//! `atom_syndication` crates keep them: maps keyed by the PREFIX the document used.

use std::collections::BTreeMap;

use url::Url;

use super::text::non_empty;
use super::{resolve_url, ChaptersRef, Person, TranscriptRef};

pub(crate) const PODCAST_NS: &str = "https://podcastindex.org/namespace/1.0";
const PODCAST_NS_OLD: &str =
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md";
pub(crate) const ITUNES_NS: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
pub(crate) const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// One extension element, whichever crate read it.
pub(crate) trait Ext {
    fn text(&self) -> Option<&str>;
    fn attr(&self, key: &str) -> Option<&str>;
    fn attr_map(&self) -> &BTreeMap<String, String>;

    /// Several attributes in one pass over the (small) attribute map.
    fn attrs<const N: usize>(&self, keys: [&str; N]) -> [Option<&str>; N] {
        let mut out = [None; N];
        for (k, v) in self.attr_map() {
            if let Some(i) = keys.iter().position(|key| *key == k.as_str()) {
                out[i] = Some(v.as_str());
            }
        }
        out
    }
}

/// The two crates' extension elements have the same shape (`value()`, `attrs`) but no trait.
macro_rules! impl_ext {
    ($($t:ty),*) => {$(
        impl Ext for $t {
            fn text(&self) -> Option<&str> {
                self.value()
            }
            fn attr(&self, key: &str) -> Option<&str> {
                self.attrs.get(key).map(String::as_str)
            }
            fn attr_map(&self) -> &BTreeMap<String, String> {
                &self.attrs
            }
        }
    )*};
}

impl_ext!(
    rss::extension::Extension,
    atom_syndication::extension::Extension
);

pub(crate) type Map<E> = BTreeMap<String, BTreeMap<String, Vec<E>>>;

fn normalize_ns(uri: &str) -> String {
    let u = uri.trim().to_ascii_lowercase();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(&u);
    u.trim_end_matches('/').to_string()
}

/// Whether two namespace URIs name the same thing (scheme, case and trailing `/` ignored).
pub(crate) fn same_ns(a: &str, b: &str) -> bool {
    normalize_ns(a) == normalize_ns(b)
}

pub(crate) fn is_podcast_ns(uri: &str) -> bool {
    same_ns(uri, PODCAST_NS) || same_ns(uri, PODCAST_NS_OLD)
}

/// Prefixes bound to a namespace, plus `conventional` when the document uses it undeclared
/// (a common mistake) — i.e. when it is not bound to something else.
pub(crate) fn prefixes_for(
    namespaces: &BTreeMap<String, String>,
    is_ns: impl Fn(&str) -> bool,
    conventional: &str,
) -> Vec<String> {
    let mut out: Vec<String> = namespaces
        .iter()
        .filter(|(_, uri)| is_ns(uri))
        .map(|(p, _)| p.clone())
        .collect();
    if !out.iter().any(|p| p == conventional) && !namespaces.contains_key(conventional) {
        out.push(conventional.to_string());
    }
    out
}

/// The prefixes a document uses for the namespaces Earshot reads extension elements of.
pub(crate) struct Prefixes {
    pub podcast: Vec<String>,
    /// Undeclared or odd iTunes prefixes (the crates move declared ones into `itunes_ext()`
    /// for RSS; for Atom these are the only way in).
    pub itunes: Vec<String>,
    /// content:encoded under a prefix other than "content".
    pub content: Vec<String>,
}

impl Prefixes {
    pub fn new(namespaces: &BTreeMap<String, String>) -> Self {
        Prefixes {
            podcast: prefixes_for(namespaces, is_podcast_ns, "podcast"),
            itunes: prefixes_for(namespaces, |u| same_ns(u, ITUNES_NS), "itunes"),
            content: namespaces
                .iter()
                .filter(|(p, u)| p.as_str() != "content" && same_ns(u, CONTENT_NS))
                .map(|(p, _)| p.clone())
                .collect(),
        }
    }
}

/// The extension elements of one channel/item/entry sorted by namespace in one pass over
/// the map (one lookup per tag would be far slower on big feeds).
pub(crate) struct Tags<'a, E> {
    podcast: Vec<(&'a str, &'a [E])>,
    itunes: Vec<(&'a str, &'a [E])>,
    content: Vec<(&'a str, &'a [E])>,
}

impl<'a, E: Ext> Tags<'a, E> {
    pub fn new(map: &'a Map<E>, prefixes: &Prefixes) -> Self {
        let mut tags = Tags {
            podcast: Vec::new(),
            itunes: Vec::new(),
            content: Vec::new(),
        };
        for (prefix, inner) in map {
            let list = if prefixes.podcast.contains(prefix) {
                &mut tags.podcast
            } else if prefixes.itunes.contains(prefix) {
                &mut tags.itunes
            } else if prefixes.content.contains(prefix) {
                &mut tags.content
            } else {
                continue;
            };
            list.extend(inner.iter().map(|(name, v)| (name.as_str(), v.as_slice())));
        }
        tags
    }

    fn find<'s>(list: &'s [(&'a str, &'a [E])], name: &'s str) -> impl Iterator<Item = &'a E> + 's {
        list.iter()
            .filter(move |(n, _)| *n == name)
            .flat_map(|(_, v)| v.iter())
    }

    pub fn podcast<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a E> + 's {
        Self::find(&self.podcast, name)
    }

    /// Trimmed text of the first `<itunes:name>` (undeclared prefix) that has some.
    pub fn itunes_text(&self, name: &str) -> Option<String> {
        if self.itunes.is_empty() {
            return None;
        }
        first_text(Self::find(&self.itunes, name))
    }

    pub fn itunes_image(&self, base: Option<&Url>) -> Option<String> {
        if self.itunes.is_empty() {
            return None;
        }
        Self::find(&self.itunes, "image").find_map(|e| {
            e.attr("href")
                .or(e.text())
                .and_then(|u| resolve_url(base, u))
        })
    }

    pub fn content_encoded(&self) -> Option<String> {
        if self.content.is_empty() {
            return None;
        }
        first_text(Self::find(&self.content, "encoded"))
    }

    pub fn podcast_text(&self, name: &str) -> Option<String> {
        first_text(self.podcast(name))
    }

    pub fn chapters(&self, base: Option<&Url>) -> Option<ChaptersRef> {
        self.podcast("chapters").find_map(|e| {
            let [url, mime] = e.attrs(["url", "type"]);
            Some(ChaptersRef {
                url: resolve_url(base, url?)?,
                mime: mime.and_then(non_empty),
            })
        })
    }

    pub fn transcripts(&self, base: Option<&Url>) -> Vec<TranscriptRef> {
        let mut out = Vec::new();
        for e in self.podcast("transcript") {
            let [url, mime, language, rel] = e.attrs(["url", "type", "language", "rel"]);
            if let Some(url) = url.and_then(|u| resolve_url(base, u)) {
                out.push(TranscriptRef {
                    url,
                    mime: mime.and_then(non_empty),
                    language: language.and_then(non_empty),
                    rel: rel.and_then(non_empty),
                });
            }
        }
        out
    }

    pub fn persons(&self, base: Option<&Url>) -> Vec<Person> {
        let mut out = Vec::new();
        for e in self.podcast("person") {
            let name = super::text::clean_label(e.text().unwrap_or(""), false);
            if name.is_empty() {
                continue;
            }
            let [role, group, img, href] = e.attrs(["role", "group", "img", "href"]);
            out.push(Person {
                name,
                role: role.and_then(non_empty),
                group: group.and_then(non_empty),
                img: img.and_then(|u| resolve_url(base, u)),
                href: href.and_then(|u| resolve_url(base, u)),
            });
        }
        out
    }

    /// `podcast:image href` (or `url`, as some drafts had it).
    pub fn podcast_image(&self, base: Option<&Url>) -> Option<String> {
        self.podcast("image").find_map(|e| {
            e.attr("href")
                .or(e.attr("url"))
                .and_then(|u| resolve_url(base, u))
        })
    }
}

fn first_text<'a, E: Ext + 'a>(mut it: impl Iterator<Item = &'a E>) -> Option<String> {
    it.find_map(|e| e.text().and_then(non_empty))
}
