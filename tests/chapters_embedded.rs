//! Chapters embedded in audio: the fixtures made by `scripts/make-chapter-fixtures.sh` (ffmpeg
//! from an ffmetadata file), and variants derived from them here with the id3 and mp4ameta
//! writers (CHAP frames out of order, duplicated sets, ends past the audio, a Nero `chpl` list
//! without a chapter track).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::rng::{Draw, StarRng};
use earshot::chapters::{chapters_from_audio, embedded_chapters, Chapter, ChapterSource};
use id3::TagLike;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/chapters")
        .join(name)
}

fn copy_to_temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(name);
    std::fs::copy(fixture(name), &to).unwrap();
    (dir, to)
}

fn pairs(c: &[Chapter]) -> Vec<(f64, &str)> {
    c.iter().map(|c| (c.start, c.title.as_str())).collect()
}

const THREE: [(f64, &str); 3] = [
    (0.0, "Opening"),
    (1.25, "The middle part"),
    (2.5, "Closing words"),
];

/// The three fixture chapters, with ends filled in and the last one ending near 4 s.
fn assert_three(c: &[Chapter], what: &str) {
    assert_eq!(pairs(c), THREE.to_vec(), "{what}");
    assert_eq!(c[0].end, Some(1.25), "{what}");
    assert_eq!(c[1].end, Some(2.5), "{what}");
    let last = c[2]
        .end
        .unwrap_or_else(|| panic!("{what}: last chapter has no end"));
    assert!((3.9..=4.3).contains(&last), "{what}: last end {last}");
    assert!(c.iter().all(|c| c.toc), "{what}");
}

#[test]
fn reads_id3_chap_frames_from_mp3() {
    let (source, c) = embedded_chapters(&fixture("chapters.mp3")).unwrap();
    assert_eq!(source, ChapterSource::Id3);
    assert_three(&c, "chapters.mp3");
}

#[test]
fn reads_mp4_chapter_track_and_chpl_with_moov_after_or_before_mdat() {
    for name in [
        "chapters.m4a",           // track + chpl, moov after mdat
        "chapters-faststart.m4a", // track + chpl, moov first
        "chapters-track.m4a",     // track only
    ] {
        let (source, c) = embedded_chapters(&fixture(name)).unwrap();
        assert_eq!(source, ChapterSource::Mp4, "{name}");
        assert_three(&c, name);
    }
    // The fixture layouts really are what the names say.
    let moov_after_mdat = |name: &str| {
        let b = std::fs::read(fixture(name)).unwrap();
        let at = |t: &[u8]| b.windows(4).position(|w| w == t).unwrap();
        at(b"moov") > at(b"mdat")
    };
    assert!(moov_after_mdat("chapters.m4a"));
    assert!(!moov_after_mdat("chapters-faststart.m4a"));
}

#[test]
fn reads_a_nero_chpl_list_without_a_chapter_track() {
    // ffmpeg's own chpl (10 MHz timescale) agrees with its chapter track.
    let ff = mp4ameta::Tag::read_from_path(fixture("chapters.m4a")).unwrap();
    let starts = |l: &[mp4ameta::Chapter]| l.iter().map(|c| c.start).collect::<Vec<_>>();
    assert_eq!(ff.chapter_list().len(), 3);
    assert_eq!(starts(ff.chapter_list()), starts(ff.chapter_track()));

    let (_dir, path) = copy_to_temp("chapters.m4a");
    let mut tag = mp4ameta::Tag::read_from_path(&path).unwrap();
    tag.chapter_track_mut().clear();
    tag.chapter_list_mut().clear();
    tag.chapter_list_mut().extend([
        mp4ameta::Chapter::new(Duration::from_millis(0), "Nero one"),
        mp4ameta::Chapter::new(Duration::from_millis(1750), "Nero two"),
        mp4ameta::Chapter::new(Duration::from_millis(3333), "Nero three"),
    ]);
    tag.write_to_path(&path).unwrap();
    let check = mp4ameta::Tag::read_from_path(&path).unwrap();
    assert!(
        check.chapter_track().is_empty(),
        "the chapter track is gone"
    );

    let c = chapters_from_audio(&path).unwrap();
    assert_eq!(
        pairs(&c),
        vec![(0.0, "Nero one"), (1.75, "Nero two"), (3.333, "Nero three")]
    );
}

#[test]
fn reads_vorbis_comment_chapters_from_ogg_and_flac() {
    for name in ["chapters.ogg", "chapters.flac"] {
        let (source, c) = embedded_chapters(&fixture(name)).unwrap();
        assert_eq!(source, ChapterSource::VorbisComment, "{name}");
        assert_three(&c, name);
    }
}

#[test]
fn audio_without_chapters_gives_none() {
    let (source, c) = embedded_chapters(&fixture("no-chapters.mp3")).unwrap();
    assert_eq!(source, ChapterSource::Id3);
    assert!(c.is_empty());
}

#[test]
fn not_audio_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "00:00 Intro\n01:00 Outro\n").unwrap();
    let err = chapters_from_audio(&path).unwrap_err().to_string();
    assert!(
        err.contains("notes.txt") && err.contains("not an audio file"),
        "{err}"
    );
    let err = chapters_from_audio(&dir.path().join("missing.mp3"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("could not read") && err.contains("missing.mp3"),
        "{err}"
    );
}

fn chap(id: &str, start: u32, end: u32, title: &str) -> id3::frame::Chapter {
    id3::frame::Chapter {
        element_id: id.to_string(),
        start_time: start,
        end_time: end,
        start_offset: u32::MAX,
        end_offset: u32::MAX,
        frames: vec![id3::Frame::text("TIT2", title)],
    }
}

/// Rewrites the MP3 fixture's chapters with `chapters` (and `toc`, when given).
fn mp3_with(
    chapters: Vec<id3::frame::Chapter>,
    toc: Option<Vec<&str>>,
) -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = copy_to_temp("chapters.mp3");
    let mut tag = id3::Tag::read_from_path(&path).unwrap();
    tag.remove_all_chapters();
    tag.remove_all_tables_of_contents();
    for c in chapters {
        tag.add_frame(c);
    }
    if let Some(elements) = toc {
        tag.add_frame(id3::frame::TableOfContents {
            element_id: "toc".into(),
            top_level: true,
            ordered: true,
            elements: elements.into_iter().map(String::from).collect(),
            frames: Vec::new(),
        });
    }
    tag.write_to_path(&path, id3::Version::Id3v24).unwrap();
    (dir, path)
}

#[test]
fn sorts_chap_frames_written_out_of_order_and_keeps_fractions() {
    let (_dir, path) = mp3_with(
        vec![
            chap("c", 2_750, 4_000, "Third"),
            chap("a", 0, 1_100, "First"),
            chap("b", 1_100, 2_750, "Second"),
        ],
        Some(vec!["a", "b", "c"]),
    );
    let c = chapters_from_audio(&path).unwrap();
    assert_eq!(
        pairs(&c),
        vec![(0.0, "First"), (1.1, "Second"), (2.75, "Third")]
    );
    assert!(c.iter().all(|c| c.toc));
}

#[test]
fn chap_frames_missing_from_the_ctoc_are_kept_but_hidden() {
    let (_dir, path) = mp3_with(
        vec![
            chap("a", 0, 1_000, "Listed"),
            chap("ad", 1_000, 2_000, "Sponsor"),
            chap("b", 2_000, 3_000, "Also listed"),
        ],
        Some(vec!["a", "b"]),
    );
    let c = chapters_from_audio(&path).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(
        c.iter().map(|c| c.toc).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(
        c[0].end,
        Some(1.0),
        "the hidden chapter still bounds its neighbour"
    );
}

#[test]
fn duplicated_sets_collapse_and_overlaps_and_overruns_are_clipped() {
    let (_dir, path) = mp3_with(
        vec![
            chap("a", 0, 3_000, "One"),     // overlaps the next
            chap("b", 2_000, 9_000, "Two"), // ends past the 4.2 s of audio
            chap("c", 60_000, 70_000, "Past the end"),
            chap("a2", 0, 3_000, "One"), // the same set again
            chap("b2", 2_000, 9_000, "Two"),
        ],
        None,
    );
    let c = chapters_from_audio(&path).unwrap();
    assert_eq!(pairs(&c), vec![(0.0, "One"), (2.0, "Two")]);
    assert_eq!(c[0].end, Some(2.0));
    let end = c[1].end.unwrap();
    assert!((3.9..=4.3).contains(&end), "clipped to the audio: {end}");
}

#[test]
fn mangled_audio_files_never_panic_and_never_yield_bad_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StarRng(0x1234_5678_9abc_def1);
    let names = [
        "chapters.mp3",
        "chapters.m4a",
        "chapters-faststart.m4a",
        "chapters.ogg",
        "chapters.flac",
    ];
    for round in 0..2_000 {
        let name = names[round % names.len()];
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        // Mostly damage the start, where the tags and boxes are.
        let hot = bytes.len().min(2048);
        for _ in 0..1 + rng.below(8) {
            let i = if rng.below(4) == 0 {
                rng.below(bytes.len())
            } else {
                rng.below(hot)
            };
            bytes[i] = rng.next() as u8;
        }
        if rng.below(3) == 0 {
            let keep = rng.below(bytes.len());
            bytes.truncate(keep);
        }
        let path = dir.path().join(format!("{round}-{name}"));
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(c) = chapters_from_audio(&path) {
            for w in c.windows(2) {
                assert!(w[0].start <= w[1].start, "{round}-{name}");
            }
            for ch in &c {
                assert!(ch.start.is_finite() && ch.start >= 0.0, "{round}-{name}");
                if let Some(e) = ch.end {
                    assert!(e.is_finite() && e >= ch.start, "{round}-{name}: {ch:?}");
                }
            }
        }
    }
}
