//! The demo podcast as a first launch installs it: the tour (timed VTT) stays on top, and the
//! second episode carries an untimed transcript (plain speaker-labelled paragraphs with one
//! inline time) that reads as estimates until aligned, and that the aligner puts in step with
//! the shipped audio.

use earshot::demo;
use earshot::library::Library;
use serde::Deserialize;

#[derive(Deserialize)]
struct Truth {
    duration: f64,
    paragraphs: Vec<TruthPara>,
}

#[derive(Deserialize)]
struct TruthPara {
    start: f64,
    speaker: String,
    text: String,
}

fn truth() -> Truth {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/episode2.truth.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_untimed_demo_episode_installs_as_estimates_and_aligns_to_its_audio() {
    let dir = tempfile::tempdir().unwrap();
    let mut lib = Library::open(&dir.path().join("library.sqlite3")).unwrap();
    let podcast = demo::install(&mut lib, dir.path()).unwrap();
    let eps = lib.episodes(podcast).unwrap();
    assert_eq!(eps.len(), 2, "the demo has two episodes");
    assert_eq!(
        eps[0].title, "A quick tour of your podcast player",
        "the tour stays at the top of the list"
    );
    let ep = eps
        .iter()
        .find(|e| e.title == "Reading along without timings")
        .expect("the untimed episode is installed");
    let truth = truth();

    // Stored as the listener first sees it: one row per paragraph, speakers carried over to
    // unlabelled paragraphs, times estimated except the one the text gives.
    let segs = lib.segments(ep.id).unwrap();
    assert_eq!(segs.len(), truth.paragraphs.len());
    for (s, t) in segs.iter().zip(&truth.paragraphs) {
        assert_eq!(s.speaker.as_deref(), Some(t.speaker.as_str()));
        assert!(s.text.contains(&t.text), "{:?} vs {:?}", s.text, t.text);
    }
    assert!(segs[1].estimated, "an untimed paragraph is an estimate");
    assert!(segs.last().unwrap().end <= truth.duration + 0.01);
    let untimed = lib
        .untimed_transcript(ep.id)
        .unwrap()
        .expect("the paragraphs are kept for alignment");
    let anchored = untimed
        .paragraphs
        .iter()
        .flat_map(|p| &p.anchors)
        .map(|a| a.seconds)
        .collect::<Vec<_>>();
    assert_eq!(anchored.len(), 1, "one inline time: {anchored:?}");

    // Even spreading is far off somewhere; the aligner lands every paragraph on its speech.
    let spread_worst = segs
        .iter()
        .zip(&truth.paragraphs)
        .map(|(s, t)| (s.start - t.start).abs())
        .fold(0.0, f64::max);
    assert!(spread_worst > 1.0, "spreading was already right?");
    let media = lib.episode(ep.id).unwrap();
    let audio = Library::resolve_local(dir.path(), media.local_file.as_deref().unwrap()).unwrap();
    let chapters = lib.chapters(ep.id).unwrap();
    assert_eq!(chapters.len(), 4);
    let aligned = earshot::align::align_untimed(&untimed, &audio, &chapters, |_| true).unwrap();
    assert_eq!(aligned.len(), truth.paragraphs.len());
    for (s, t) in aligned.iter().zip(&truth.paragraphs) {
        assert!(
            (s.start - t.start).abs() < 0.3,
            "paragraph {:?} aligned to {:.2}s, spoken at {:.2}s",
            &t.text[..30],
            s.start,
            t.start
        );
    }
}

#[test]
fn a_library_from_an_older_build_gains_the_new_demo_episode_and_nothing_is_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    {
        let mut lib = Library::open(&path).unwrap();
        demo::install(&mut lib, dir.path()).unwrap();
    }
    // An older build shipped only the tour.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; DELETE FROM episodes WHERE guid = 'earshot-demo-2';",
    )
    .unwrap();
    drop(conn);

    let mut lib = Library::open(&path).unwrap();
    let podcast = demo::install(&mut lib, dir.path()).unwrap();
    let eps = lib.episodes(podcast).unwrap();
    assert_eq!(eps.len(), 2, "the untimed episode was added");
    let new = eps
        .iter()
        .find(|e| e.title == "Reading along without timings")
        .unwrap();
    assert_eq!(
        lib.segments(new.id).unwrap().len(),
        truth().paragraphs.len()
    );
    assert!(lib.untimed_transcript(new.id).unwrap().is_some());

    // Installing again changes nothing.
    let before = lib.segments(new.id).unwrap();
    demo::install(&mut lib, dir.path()).unwrap();
    assert_eq!(lib.episodes(podcast).unwrap().len(), 2);
    assert_eq!(lib.segments(new.id).unwrap(), before);
}
