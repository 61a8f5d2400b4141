//! Choosing between chapter sources: Podcasting 2.0 JSON > embedded (ID3, MP4, Vorbis) > show
//! notes, a lower source used only when every higher one is empty.

use earshot::chapters::{merge, Chapter, ChapterSource};

fn set(titles: &[&str]) -> Vec<Chapter> {
    titles
        .iter()
        .enumerate()
        .map(|(i, t)| Chapter {
            start: i as f64 * 60.0,
            end: None,
            title: t.to_string(),
            img: None,
            url: None,
            toc: true,
        })
        .collect()
}

fn titles(c: &[Chapter]) -> Vec<&str> {
    c.iter().map(|c| c.title.as_str()).collect()
}

#[test]
fn json_beats_embedded_beats_show_notes_whatever_the_order_or_size() {
    let (src, c) = merge(vec![
        (
            ChapterSource::ShowNotes,
            set(&["n1", "n2", "n3", "n4", "n5"]),
        ),
        (ChapterSource::Id3, set(&["i1", "i2", "i3"])),
        (ChapterSource::Podcasting20Json, set(&["j1", "j2"])),
    ]);
    assert_eq!(src, ChapterSource::Podcasting20Json);
    assert_eq!(titles(&c), ["j1", "j2"]);

    let (src, c) = merge(vec![
        (ChapterSource::ShowNotes, set(&["n1", "n2", "n3", "n4"])),
        (ChapterSource::Mp4, set(&["m1", "m2"])),
    ]);
    assert_eq!((src, titles(&c)), (ChapterSource::Mp4, vec!["m1", "m2"]));

    let (src, _) = merge(vec![
        (ChapterSource::VorbisComment, set(&["v1", "v2"])),
        (ChapterSource::ShowNotes, set(&["n1", "n2", "n3"])),
    ]);
    assert_eq!(src, ChapterSource::VorbisComment);
}

#[test]
fn an_empty_higher_source_falls_through() {
    let (src, c) = merge(vec![
        (ChapterSource::Podcasting20Json, vec![]),
        (ChapterSource::Id3, vec![]),
        (ChapterSource::ShowNotes, set(&["n1", "n2"])),
    ]);
    assert_eq!(
        (src, titles(&c)),
        (ChapterSource::ShowNotes, vec!["n1", "n2"])
    );
}

#[test]
fn nothing_anywhere() {
    let (src, c) = merge(vec![
        (ChapterSource::ShowNotes, vec![]),
        (ChapterSource::Podcasting20Json, vec![]),
    ]);
    assert_eq!(
        src,
        ChapterSource::Podcasting20Json,
        "the best source asked"
    );
    assert!(c.is_empty());
    assert_eq!(merge(vec![]), (ChapterSource::ShowNotes, vec![]));
}

#[test]
fn equal_ranks_keep_the_first_given() {
    let (src, _) = merge(vec![
        (ChapterSource::Mp4, set(&["m1", "m2"])),
        (ChapterSource::Id3, set(&["i1", "i2", "i3"])),
    ]);
    assert_eq!(src, ChapterSource::Mp4);
}

#[test]
fn sources_serialize_in_kebab_case() {
    let names: Vec<String> = [
        ChapterSource::Podcasting20Json,
        ChapterSource::Id3,
        ChapterSource::Mp4,
        ChapterSource::VorbisComment,
        ChapterSource::ShowNotes,
    ]
    .iter()
    .map(|s| {
        let json = serde_json::to_string(s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        assert_eq!(serde_json::from_str::<ChapterSource>(&json).unwrap(), *s);
        s.to_string()
    })
    .collect();
    assert_eq!(
        names,
        [
            "podcasting20-json",
            "id3",
            "mp4",
            "vorbis-comment",
            "show-notes"
        ]
    );
}
