//! Alignment against a generated episode with known truth (`scripts/make-align-episode.sh`:
//! espeak-ng, sox and ffmpeg). Without those tools the tests are skipped, unless `CI` is set,
//! where their absence is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use earshot::align;
use earshot::transcript::{self, Segment};

const MINUTES: u32 = 2;
const SEED: u32 = 7;

/// The generated episode's folder (in the temp folder, made once per run and cached between
/// runs by length and seed), or `None` when the tools are missing outside CI.
fn episode() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| common::align::generated_episode(MINUTES, SEED))
        .as_deref()
}

struct Truth {
    starts: Vec<f64>,
    ends: Vec<f64>,
    duration: f64,
    /// Where the ad starts, its length, and the paragraph it follows (none for a pre-roll).
    ad: Option<(f64, f64, Option<usize>)>,
}

fn truth(path: &Path) -> Truth {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ps = v["paragraphs"].as_array().unwrap();
    Truth {
        starts: ps.iter().map(|p| p["start"].as_f64().unwrap()).collect(),
        ends: ps.iter().map(|p| p["end"].as_f64().unwrap()).collect(),
        duration: v["duration"].as_f64().unwrap(),
        ad: v["adStart"].as_f64().map(|s| {
            (
                s,
                v["adLength"].as_f64().unwrap(),
                v["adAfterParagraph"].as_u64().map(|p| p as usize),
            )
        }),
    }
}

/// Median and 95th percentile of the paragraph-start errors.
fn errors(segs: &[Segment], starts: &[f64]) -> (f64, f64) {
    let (median, p95, _) = common::align::start_errors(segs, starts);
    (median, p95)
}

fn untimed(dir: &Path) -> transcript::UntimedTranscript {
    transcript::parse_text(&std::fs::read_to_string(dir.join("transcript.txt")).unwrap())
}

#[test]
fn an_untimed_transcript_follows_the_audio() {
    let Some(dir) = episode() else { return };
    let t = truth(&dir.join("truth.json"));
    let text = untimed(dir);
    assert!(t.starts.len() >= 8, "a short episode still has paragraphs");
    let mut calls = 0;
    let segs = align::align_untimed(&text, &dir.join("episode.mp3"), &[], |f| {
        assert!((0.0..=1.0).contains(&f), "progress {f}");
        calls += 1;
        true
    })
    .expect("alignment");
    assert!(calls >= 2, "progress is reported");
    let (median, p95) = errors(&segs, &t.starts);
    let (s_median, s_p95) = errors(&text.spread(Some(t.duration)), &t.starts);
    eprintln!("aligned: median {median:.3} s, p95 {p95:.3} s; spread: {s_median:.3} / {s_p95:.3}");
    assert!(median <= 0.5, "median start error {median:.2} s");
    assert!(p95 <= 2.0, "p95 start error {p95:.2} s");
    // Far better than spreading the text evenly over the episode.
    assert!(
        median * 4.0 <= s_median && p95 * 2.0 <= s_p95,
        "aligned {median:.2}/{p95:.2} s against spread {s_median:.2}/{s_p95:.2} s"
    );
    assert!(
        segs.iter().all(|s| !s.estimated),
        "aligned starts are not estimates"
    );
    assert!(segs
        .windows(2)
        .all(|w| w[0].start < w[1].start && w[0].end <= w[1].start + 1e-9));
    assert!(segs.iter().all(|s| s.end >= s.start));
    for (s, p) in segs.iter().zip(&text.paragraphs) {
        assert_eq!(s.text, p.text);
        assert_eq!(s.speaker, p.speaker);
    }
}

#[test]
fn cancelling_stops_alignment_early() {
    let Some(dir) = episode() else { return };
    let mut calls = 0;
    let err = align::align_untimed(&untimed(dir), &dir.join("episode.mp3"), &[], |_| {
        calls += 1;
        false
    })
    .expect_err("cancelled");
    assert_eq!(calls, 1, "nothing more after the first `false`");
    assert!(err.to_string().contains("cancelled"), "{err}");
}

#[test]
fn an_inserted_ad_is_found_and_the_times_after_it_shifted() {
    let Some(dir) = episode() else { return };
    let t = truth(&dir.join("ad-truth.json"));
    let (ad_start, ad_len, after) = t.ad.expect("the ad variant says where its ad is");
    let after = after.expect("a mid-roll");
    let timed =
        transcript::parse_vtt(&std::fs::read_to_string(dir.join("ad.vtt")).unwrap()).unwrap();
    let (before_median, before_p95) = errors(&timed, &t.starts);
    assert!(
        before_p95 > 10.0,
        "the publisher's times drift after the ad ({before_median}, {before_p95})"
    );
    let (fixed, report) = align::correct_drift(&timed, &dir.join("ad.mp3")).expect("drift");
    let (median, p95) = errors(&fixed, &t.starts);
    assert!(
        median <= 0.5 && p95 <= 2.0,
        "after correction {median:.2} / {p95:.2} s"
    );
    assert_eq!(report.shifts.len(), 1, "{report:?}");
    let shift = report.shifts[0];
    assert!(
        (shift.offset - ad_len).abs() < 0.2,
        "{shift:?} for a {ad_len:.2} s ad"
    );
    assert!(
        (shift.from - ad_start).abs() < 3.0,
        "{shift:?}, ad at {ad_start:.2} s"
    );
    // The publisher's times before the ad are kept as they were.
    for i in 0..=after {
        assert_eq!(fixed[i].start, timed[i].start);
        assert_eq!(fixed[i].end, timed[i].end);
    }
    assert!(report.match_score > report.match_score_before);
}

#[test]
fn a_transcript_that_matches_is_left_alone() {
    let Some(dir) = episode() else { return };
    let t = truth(&dir.join("truth.json"));
    let timed: Vec<Segment> = t
        .starts
        .iter()
        .zip(&t.ends)
        .map(|(&s, &e)| Segment::new(s, e, None, "words"))
        .collect();
    let (fixed, report) = align::correct_drift(&timed, &dir.join("episode.mp3")).expect("drift");
    assert!(report.shifts.is_empty(), "{report:?}");
    assert_eq!(fixed, timed);
}

/// `earshot-cli transcript <dir/text> --audio <dir/audio> --json`, parsed.
fn cli_transcript(dir: &Path, text: &str, audio: &str) -> serde_json::Value {
    let (text, audio) = (dir.join(text), dir.join(audio));
    common::cli_json(&[
        "transcript",
        text.to_str().unwrap(),
        "--audio",
        audio.to_str().unwrap(),
        "--json",
    ])
}

#[test]
fn the_cli_aligns_with_audio() {
    let Some(dir) = episode() else { return };
    let v = cli_transcript(dir, "transcript.txt", "episode.mp3");
    assert_eq!(v["timing"], "aligned");
    let segs = v["segments"].as_array().unwrap();
    let t = truth(&dir.join("truth.json"));
    assert_eq!(segs.len(), t.starts.len());
    for (s, start) in segs.iter().zip(&t.starts) {
        assert_eq!(s["estimated"], false);
        assert!(
            (s["start"].as_f64().unwrap() - start).abs() < 2.0,
            "{s} vs {start}"
        );
    }
    // A timed transcript is checked for drift instead.
    let v = cli_transcript(dir, "ad.vtt", "ad.mp3");
    assert_eq!(v["timing"], "drift-checked");
    assert_eq!(v["drift"]["shifts"].as_array().unwrap().len(), 1);
}

/// The untimed transcript aligned to a copy with an ad it does not mention: the paragraphs
/// after the ad still land right, and the ad is left out of the paragraph before it.
fn untimed_with_ad(audio: &str, truth_file: &str) {
    let Some(dir) = episode() else { return };
    let t = truth(&dir.join(truth_file));
    let (ad_start, ad_len, after) = t.ad.expect("the variant says where its ad is");
    let text = untimed(dir);
    let segs = align::align_untimed(&text, &dir.join(audio), &[], |_| true).expect("alignment");
    let (median, p95) = errors(&segs, &t.starts);
    let (s_median, s_p95) = errors(&text.spread(Some(t.duration)), &t.starts);
    eprintln!(
        "{audio}: aligned median {median:.3} s, p95 {p95:.3} s; spread {s_median:.3} / {s_p95:.3}"
    );
    assert!(median <= 0.5, "median start error {median:.2} s");
    assert!(p95 <= 2.0, "p95 start error {p95:.2} s");
    assert!(segs
        .windows(2)
        .all(|w| w[0].start < w[1].start && w[0].end <= w[1].start + 1e-9));
    // No paragraph starts inside the ad.
    for s in &segs {
        assert!(
            s.start < ad_start || s.start > ad_start + ad_len - 0.5,
            "{s:?} starts in the ad ({ad_start:.2} s, {ad_len:.2} s)"
        );
    }
    // The paragraph before a mid-roll ends before the ad rather than running through it.
    if let Some(after) = after {
        let end = segs[after].end;
        assert!(
            end <= ad_start + 2.0 && end >= t.ends[after] - 2.0,
            "paragraph {after} ends at {end:.2} s, the ad is at {ad_start:.2} s"
        );
    }
}

#[test]
fn an_untimed_transcript_skips_an_ad_it_does_not_mention() {
    untimed_with_ad("ad.mp3", "ad-truth.json");
}

#[test]
fn an_untimed_transcript_skips_a_pre_roll_over_music() {
    untimed_with_ad("pre.mp3", "pre-truth.json");
}

#[test]
fn a_pre_roll_moves_the_timed_transcript_and_the_chapters() {
    let Some(dir) = episode() else { return };
    let t = truth(&dir.join("pre-truth.json"));
    let (_, ad_len, _) = t.ad.expect("pre-roll");
    let timed =
        transcript::parse_vtt(&std::fs::read_to_string(dir.join("ad.vtt")).unwrap()).unwrap();
    let (fixed, report) = align::correct_drift(&timed, &dir.join("pre.mp3")).expect("drift");
    let (median, p95) = errors(&fixed, &t.starts);
    assert!(
        median <= 0.5 && p95 <= 2.0,
        "after correction {median:.2} / {p95:.2} s"
    );
    assert_eq!(report.shifts.len(), 1, "{report:?}");
    assert!((report.shifts[0].offset - ad_len).abs() < 0.2, "{report:?}");
    // Chapters made for the publisher's copy: one at the start, one a moment before a
    // paragraph, one at a paragraph.
    let k = timed.len() / 2;
    let chapters = vec![
        chapter(0.0, "Welcome"),
        chapter(timed[k].start - 0.5, "Middle"),
        chapter(timed[k + 1].start, "Later"),
    ];
    let moved = align::correct_chapters(&chapters, &report);
    assert_eq!(moved.len(), 3);
    assert!(
        (moved[1].start - (t.starts[k] - 0.5)).abs() < 0.3,
        "{moved:?}"
    );
    assert!((moved[2].start - t.starts[k + 1]).abs() < 0.3, "{moved:?}");
    for (m, c) in moved.iter().zip(&chapters) {
        assert_eq!(m.title, c.title);
    }
}

fn chapter(start: f64, title: &str) -> earshot::chapters::Chapter {
    earshot::chapters::Chapter {
        start,
        end: None,
        title: title.into(),
        img: None,
        url: None,
        toc: true,
    }
}

#[test]
fn a_removed_ad_moves_the_times_after_it_back() {
    let Some(dir) = episode() else { return };
    // The publisher's transcript was made on the copy with the ad (its cues included); this
    // copy has none.
    let t = truth(&dir.join("truth.json"));
    let at = truth(&dir.join("ad-truth.json"));
    let (ad_start, ad_len, after) = at.ad.expect("the ad variant says where its ad is");
    let after = after.expect("a mid-roll");
    let timed =
        transcript::parse_vtt(&std::fs::read_to_string(dir.join("removed.vtt")).unwrap()).unwrap();
    let is_ad = |s: &Segment| s.speaker.as_deref() == Some("Sponsor");
    let content =
        |segs: &[Segment]| -> Vec<Segment> { segs.iter().filter(|s| !is_ad(s)).cloned().collect() };
    let (before_median, before_p95) = errors(&content(&timed), &t.starts);
    assert!(before_p95 > 10.0, "{before_median} / {before_p95}");
    let (fixed, report) = align::correct_drift(&timed, &dir.join("episode.mp3")).expect("drift");
    assert_eq!(fixed.len(), timed.len());
    let (median, p95) = errors(&content(&fixed), &t.starts);
    assert!(
        median <= 0.5 && p95 <= 2.0,
        "after correction {median:.2} / {p95:.2} s"
    );
    assert_eq!(report.shifts.len(), 1, "{report:?}");
    let shift = report.shifts[0];
    assert!(
        (shift.offset + ad_len).abs() < 0.2,
        "{shift:?} for a {ad_len:.2} s ad removed"
    );
    // Dated from the end of what is gone, so times inside it map to where it was.
    assert!(
        shift.from >= ad_start + ad_len - 3.0 && shift.from <= ad_start + ad_len + 1.0,
        "{shift:?}, ad at {ad_start:.2}–{:.2} s",
        ad_start + ad_len
    );
    // The publisher's times before the ad are kept; the ad's own cues are emptied where it was.
    for i in 0..=after {
        assert_eq!(fixed[i].start, timed[i].start);
    }
    for s in fixed.iter().filter(|s| is_ad(s)) {
        assert_eq!(s.start, s.end, "{s:?}");
        assert!((s.start - ad_start).abs() < 2.0, "{s:?}");
    }
    assert!(report.match_score > report.match_score_before);
    // Chapters: one for the ad, one for what follows it.
    let chapters = vec![
        chapter(0.0, "Welcome"),
        chapter(ad_start, "Sponsor"),
        chapter(ad_start + ad_len, "After the break"),
    ];
    let moved = align::correct_chapters(&chapters, &report);
    assert_eq!(moved[0].start, 0.0);
    assert!(moved[1].start <= moved[2].start);
    assert!(
        (moved[2].start - ad_start).abs() < 1.0,
        "{moved:?}: the chapter after the ad starts where the ad was"
    );
}
