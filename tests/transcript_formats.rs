//! Transcript formats: each reader against its real-world breakage, format and encoding
//! detection, the choice among a feed item's transcripts, robustness on mangled input, and the
//! untimed transcripts of a real podcast page.

mod common;

use common::rng::{Draw, Rng};
use earshot::feed::TranscriptRef;
use earshot::transcript::{
    choose_transcripts, parse_html, parse_json, parse_srt, parse_text, parse_transcript, parse_vtt,
    segment_at, Segment, TranscriptFormat, UntimedTranscript,
};

fn fixture(name: &str) -> Vec<u8> {
    common::read_fixture("transcripts", name)
}

fn parse_fixture(name: &str) -> earshot::transcript::ParsedTranscript {
    parse_transcript(&fixture(name), None, Some(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What every reader promises.
fn check(segments: &[Segment], what: &str) {
    for (i, s) in segments.iter().enumerate() {
        assert!(
            s.start.is_finite() && s.end.is_finite() && s.start >= 0.0,
            "{what}: segment {i} has times {} → {}",
            s.start,
            s.end
        );
        assert!(
            s.end >= s.start,
            "{what}: segment {i} ends before it starts"
        );
        assert!(!s.text.trim().is_empty(), "{what}: segment {i} is empty");
        if i > 0 {
            assert!(
                segments[i - 1].start <= s.start,
                "{what}: segment {i} starts before the one before it"
            );
        }
        for w in s.words.windows(2) {
            assert!(w[0].start <= w[1].start, "{what}: words out of order");
        }
        for w in &s.words {
            assert!(
                w.start >= s.start && w.end <= s.end && w.end >= w.start,
                "{what}: word {w:?} outside its segment {}–{}",
                s.start,
                s.end
            );
        }
    }
}

fn lines(segments: &[Segment]) -> Vec<(Option<&str>, &str)> {
    segments
        .iter()
        .map(|s| (s.speaker.as_deref(), s.text.as_str()))
        .collect()
}

// --- WebVTT -----------------------------------------------------------------------------------

#[test]
fn webvtt_with_settings_voices_word_times_and_broken_cues() {
    let p = parse_fixture("interview.vtt");
    assert_eq!(p.format, TranscriptFormat::WebVtt);
    check(&p.segments, "interview.vtt");
    let s = &p.segments;
    assert_eq!(
        lines(s),
        vec![
            (
                Some("Priya Raman"),
                "Welcome back to Lighthouse Hours, the show about old lights & the people who keep them."
            ),
            (Some("Tomás"), "Glad to be here. Really glad."),
            (Some("Priya Raman"), "So tell us about the lamp."),
            (Some("Tomás"), "It burned huile de colza, rapeseed oil."),
            (Some("Tomás"), "Then paraffin, <later> electric."),
            (Some("Priya"), "A name written in the text, no voice span."),
            (Some("Priya Raman"), "An hour in, with hours written."),
        ],
        "NOTE/STYLE/REGION skipped, the unreadable cue dropped, the glued cues split"
    );
    assert_eq!((s[0].start, s[0].end), (0.0, 4.2));
    assert_eq!((s[1].start, s[1].end), (4.2, 7.0), "hours optional");
    assert_eq!(s[5].start, 17.0);
    assert_eq!(s[6].start, 3600.0);
    assert!(s.iter().all(|s| !s.estimated));
    let words: Vec<(f64, f64, &str)> = s[2]
        .words
        .iter()
        .map(|w| (w.start, w.end, w.text.as_str()))
        .collect();
    assert_eq!(
        words,
        vec![
            (9.0, 9.6, "So"),
            (9.6, 10.1, "tell"),
            (10.1, 10.4, "us"),
            (10.4, 11.0, "about"),
            (11.0, 11.3, "the"),
            (11.3, 12.0, "lamp.")
        ]
    );
    assert!(s
        .iter()
        .enumerate()
        .all(|(i, s)| i == 2 || s.words.is_empty()));
}

#[test]
fn webvtt_in_utf16_and_without_a_header() {
    let p = parse_fixture("utf16.vtt");
    assert_eq!(p.format, TranscriptFormat::WebVtt);
    assert_eq!(p.segments.len(), 2);
    assert_eq!(p.segments[0].text, "Sixteen bits a character.");
    assert!(
        p.notes.iter().any(|n| n.contains("UTF-16")),
        "{:?}",
        p.notes
    );

    // A ".vtt" that is really SRT (no WEBVTT line): read as what it is.
    let p = parse_transcript(
        b"1\n00:00:01,000 --> 00:00:02,000\nHi\n",
        Some("text/vtt"),
        Some("x.vtt"),
    )
    .unwrap();
    assert_eq!(p.format, TranscriptFormat::Srt);
    assert_eq!(p.segments[0].text, "Hi");
    assert!(p.notes.iter().any(|n| n.contains("declared as webvtt")));

    let e = parse_vtt("WEBVTT\n\nNOTE nothing else\n").unwrap();
    assert!(e.is_empty());
    let err = parse_transcript(b"WEBVTT\n\nNOTE nothing else\n", None, None).unwrap_err();
    assert!(err.to_string().contains("no transcript text"), "{err}");
}

// --- SRT --------------------------------------------------------------------------------------

#[test]
fn srt_with_dots_missing_blank_lines_wrong_indices_and_speakers() {
    let p = parse_fixture("morning.srt");
    assert_eq!(p.format, TranscriptFormat::Srt);
    check(&p.segments, "morning.srt");
    let s = &p.segments;
    assert_eq!(
        lines(s),
        vec![
            (Some("Priya"), "Morning, everyone. Coffee's on."),
            (Some("Tomás"), "Morning. I brought the logbook from 1911."),
            (Some("Tomás"), "It smells of salt and lamp oil."),
            (Some("Priya"), "Can I hold it?"),
            (Some("Tomás"), "Gloves first."),
            (Some("Tomás"), "[waves crashing]"),
            (Some("Visitor"), "Is the tower open today?"),
            (Some("Visitor"), "Only on Sundays."),
        ],
        "PRIYA: and TOMÁS: take the spelling used elsewhere; the index 3 glued under cue 2 \
         is not text; a cue without a label continues its speaker"
    );
    let starts: Vec<f64> = s.iter().map(|s| s.start).collect();
    assert_eq!(&starts[..4], &[1.0, 3.6, 6.1, 8.5]);
    // The dialogue cue 8.5–11 is shared by its two speakers, the second start estimated.
    assert!(!s[3].estimated && s[4].estimated);
    assert!(s[4].start > 8.5 && s[4].start < 11.0 && s[4].end == 11.0);
    assert_eq!(s[3].end, s[4].start);
}

#[test]
fn srt_in_windows_1252() {
    let p = parse_fixture("cp1252.srt");
    assert_eq!(
        lines(&p.segments),
        vec![
            (Some("Hal"), "It’s “café” weather – again."),
            (Some("Hal"), "Naïve question: who lit it last?"),
        ]
    );
    assert!(p.notes.iter().any(|n| n.contains("windows-1252")));
    assert!(parse_srt("no cues here").is_err());
}

// --- Podcasting 2.0 JSON ----------------------------------------------------------------------

#[test]
fn json_words_merge_into_lines_that_keep_word_times() {
    let p = parse_fixture("words.json");
    assert_eq!(p.format, TranscriptFormat::Json);
    check(&p.segments, "words.json");
    let s = &p.segments;
    assert_eq!(
        lines(s),
        vec![
            (
                Some("Priya Raman"),
                "So what got you started on lighthouses?"
            ),
            (
                Some("Tomás"),
                "Honestly, my grandmother kept one for thirty years."
            ),
            (Some("Tomás"), "She wrote every storm down"),
            (Some("Tomás"), "in pencil."),
            (Some("Priya Raman"), "Wow."),
        ],
        "lines break at the speaker change, the sentence ends and the 2.3 s pause"
    );
    assert_eq!((s[0].start, s[0].end), (0.0, 2.2));
    assert_eq!(s[0].words.len(), 7, "the empty body is dropped");
    assert_eq!(s[0].words[4].text, "started", "out-of-order words sorted");
    assert_eq!(s[0].words[4].start, 1.02);
    assert_eq!(s[1].words[1].text, ",");
    assert_eq!(s[1].words[2].start, 3.05, "a time given as a string");
    assert_eq!(s[1].words[4].end, 4.1, "a missing end is the next start");
    assert!(s.iter().all(|s| !s.estimated));
}

#[test]
fn json_sentence_segments_stay_whole() {
    let p = parse_fixture("lines.json");
    check(&p.segments, "lines.json");
    assert_eq!(
        lines(&p.segments),
        vec![
            (Some("Hal"), "Welcome to the keepers' hour."),
            (Some("Hal"), "Today: fog signals, and why they moan."),
            (Some("Hal"), "(foghorn sounds)"),
            (Some("June"), "That one is a diaphone & it is loud."),
            (Some("June"), "An end before its start."),
        ]
    );
    assert!(p.segments.iter().all(|s| s.words.is_empty()));
    assert_eq!(p.segments[3].start, 9.0);
    assert_eq!(p.segments[4].end, 12.5);
    assert!(parse_json(r#"{"version":"1.0.0","segments":"nope"}"#).is_err());
}

// --- HTML -------------------------------------------------------------------------------------

#[test]
fn html_with_cite_and_time_and_nothing_else() {
    let p = parse_fixture("transcript.html");
    assert_eq!(p.format, TranscriptFormat::Html);
    check(&p.segments, "transcript.html");
    let s = &p.segments;
    assert_eq!(
        lines(s),
        vec![
            (
                Some("Priya Raman"),
                "Welcome back to Lighthouse Hours. Today we open a logbook from 1911 — with gloves on."
            ),
            (
                Some("Tomás"),
                "Thanks, Priya. The first entry is about a storm that lasted three days."
            ),
            (
                Some("Tomás"),
                "And the keeper ran out of oil on the second night."
            ),
            (Some("Priya Raman"), "What did he do?"),
            (
                Some("Tomás"),
                "He burned the furniture. [laughs 00:00:52] Chair by chair."
            ),
            (
                Some("Hal"),
                "As one does. <script>alert('hi')</script> is just text here."
            ),
        ],
        "no title, heading, nav, script, style, comment or footer text; entities decoded"
    );
    let starts: Vec<(f64, bool)> = s.iter().map(|s| (s.start, s.estimated)).collect();
    assert_eq!(starts[0], (0.0, false));
    assert_eq!(starts[1], (12.0, false), "<time datetime=\"PT12S\">");
    assert!(starts[2].1 && starts[2].0 > 12.0 && starts[2].0 < 41.0);
    assert_eq!(starts[3], (41.0, false));
    assert_eq!(starts[4], (47.0, false), "<time> inside the <p>");
    let u = p.untimed.as_ref().unwrap();
    assert_eq!(u.paragraphs[4].anchors.len(), 2, "[laughs 00:00:52] too");
    assert_eq!(u.paragraphs[4].anchors[1].seconds, 52.0);
    assert!(!u.paragraphs[2].labelled && u.paragraphs[3].labelled);
    // Never markup: the only '<' are ones the page escaped as text.
    let raw = parse_html("<p>a<img src=x onerror=alert(1)>b <a href='javascript:x'>c</a></p>");
    assert_eq!(raw.paragraphs[0].text, "ab c");
}

// --- Plain text -------------------------------------------------------------------------------

#[test]
fn text_paragraphs_labels_and_inline_times() {
    let p = parse_fixture("interview.txt");
    assert_eq!(p.format, TranscriptFormat::Text);
    check(&p.segments, "interview.txt");
    let u = p.untimed.as_ref().unwrap();
    let got: Vec<(Option<&str>, bool)> = u
        .paragraphs
        .iter()
        .map(|p| (p.speaker.as_deref(), p.labelled))
        .collect();
    assert_eq!(
        got,
        vec![
            (None, false),                // the title lines
            (Some("Priya"), true),        // PRIYA: (respelled)
            (Some("June Okafor"), true),  // [laugh]. …
            (Some("Priya"), true),        // How small?
            (Some("June Okafor"), true),  // two lines, one paragraph
            (Some("June Okafor"), false), // continues
            (Some("Priya"), true),        // Priya (00:01:30):
            (Some("June Okafor"), true),  // June Okafor (00:01:34):
            (Some("Priya"), true),        // "Priya:" after a sentence: a lost break
            (Some("June Okafor"), true),
            (None, false), // Note: — the editor
        ]
    );
    assert!(u.paragraphs[4].text.ends_with("Mostly the big wrenches."));
    let anchors: Vec<Vec<f64>> = u
        .paragraphs
        .iter()
        .map(|p| p.anchors.iter().map(|a| a.seconds).collect())
        .collect();
    assert_eq!(anchors[4], [41.0]);
    assert_eq!(anchors[5], [72.0]);
    assert_eq!(anchors[6], [90.0]);
    assert_eq!(anchors[7], [94.0]);
    assert_eq!(anchors[9], [125.0], "(02:05) in parentheses");
    let s = &p.segments;
    assert_eq!((s[6].start, s[6].estimated), (90.0, false));
    assert_eq!((s[7].start, s[7].estimated), (94.0, false));
    assert!(s[5].estimated);
    // With the episode's length, the tail is spread up to it.
    let p = p.with_duration(200.0);
    assert_eq!(p.segments.last().unwrap().end, 200.0);
    check(&p.segments, "interview.txt over 200 s");
}

#[test]
fn text_in_otter_style() {
    let p = parse_fixture("otter.txt");
    let u = p.untimed.as_ref().unwrap();
    assert!(u.fully_timed());
    assert_eq!(
        lines(&p.segments),
        vec![
            (Some("Hal Brandt"), "Okay, we're recording. Testing, one, two."),
            (Some("June Okafor"), "Sounds fine from here."),
            (
                Some("Hal Brandt"),
                "Great. Let's talk about the 9:30 ferry, since everyone asks. That ferry is older than the light."
            ),
            (Some("June Okafor"), "And louder."),
        ]
    );
    let starts: Vec<f64> = p.segments.iter().map(|s| s.start).collect();
    assert_eq!(
        starts,
        [0.0, 4.0, 7.0, 123.0],
        "9:30 in prose is not a mark"
    );
    assert!(!p.has_estimates());
}

#[test]
fn untimed_segments_tile_the_timeline() {
    // Spread segments leave no gap: every position up to the end has exactly one segment.
    let t = parse_text("Ada: one two three.\n\nBen: four five.\n\nAda: six [x 00:00:30] seven.");
    let s = t.spread(Some(40.0));
    check(&s, "spread");
    for w in s.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    for (i, seg) in s.iter().enumerate() {
        assert_eq!(segment_at(&s, seg.start), Some(i));
        assert_eq!(segment_at(&s, (seg.start + seg.end) / 2.0), Some(i));
    }
    assert_eq!(segment_at(&s, 40.0), None, "the end is exclusive");
}

// --- Detection --------------------------------------------------------------------------------

#[test]
fn format_from_mime_then_extension_then_content() {
    let srt = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n";
    let vtt = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n";
    let json = br#"{"version":"1.0.0","segments":[{"startTime":1,"endTime":2,"body":"Hello"}]}"#;
    let html = b"<p><cite>Ada</cite> Hello</p>";
    let text = b"Ada: Hello";
    let fmt =
        |b: &[u8], m: Option<&str>, n: Option<&str>| parse_transcript(b, m, n).unwrap().format;
    use TranscriptFormat::*;
    // Mime types compared without parameters or case.
    assert_eq!(
        fmt(
            srt,
            Some("Application/X-SubRip; charset=UTF-8"),
            Some("t.txt")
        ),
        Srt
    );
    assert_eq!(
        fmt(json, Some("APPLICATION/JSON;charset=utf-8"), None),
        Json
    );
    assert_eq!(fmt(html, Some("text/html; charset=\"utf-8\""), None), Html);
    assert_eq!(
        fmt(text, Some("text/plain; charset=utf-8"), Some("t.vtt")),
        Text
    );
    // The extension when the mime type says nothing.
    assert_eq!(
        fmt(
            srt,
            Some("application/octet-stream"),
            Some("https://x.org/t.srt?a=1")
        ),
        Srt
    );
    assert_eq!(fmt(vtt, None, Some("T.VTT")), WebVtt);
    // The content when neither does; text/plain gives way to a clear signature.
    assert_eq!(fmt(vtt, None, None), WebVtt);
    assert_eq!(fmt(json, None, Some("transcript")), Json);
    assert_eq!(fmt(html, None, None), Html);
    assert_eq!(fmt(srt, None, None), Srt);
    assert_eq!(fmt(text, None, None), Text);
    assert_eq!(fmt(vtt, Some("text/plain"), Some("t.txt")), WebVtt);
    assert_eq!(fmt(b"[Music]\n\nAda: Hi", None, None), Text);
    // A declared structured format is never "rescued" as plain text.
    let err = parse_transcript(b"not a transcript", None, Some("bad.vtt")).unwrap_err();
    assert!(err.to_string().contains("WEBVTT"), "{err}");
    let err =
        parse_transcript(b"{\"version\": \"1.0.0\"", Some("application/json"), None).unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
    // Empty files are errors, so the caller moves on to the next candidate.
    for (bytes, mime) in [
        (&b""[..], "text/plain"),
        (b"   \n\n", "text/html"),
        (b"<html><head><title>x</title></head></html>", "text/html"),
        (br#"{"version":"1.0.0","segments":[]}"#, "application/json"),
    ] {
        assert!(parse_transcript(bytes, Some(mime), None).is_err(), "{mime}");
    }
}

#[test]
fn choosing_among_a_feeds_transcripts() {
    let r = |url: &str, mime: Option<&str>, lang: Option<&str>| TranscriptRef {
        url: url.into(),
        mime: mime.map(Into::into),
        language: lang.map(Into::into),
        rel: None,
    };
    let feed = [
        r(
            "https://x.org/1.txt",
            Some("text/plain; charset=utf-8"),
            Some("en"),
        ),
        r("https://x.org/1.html", Some("Text/HTML"), Some("en")),
        r(
            "https://x.org/1.srt",
            Some("application/x-subrip"),
            Some("en-US"),
        ),
        r(
            "https://x.org/1.vtt",
            Some("text/vtt; charset=UTF-8"),
            Some("en"),
        ),
        r("https://x.org/1.json", Some("application/json"), Some("es")),
        r("https://x.org/2.json", Some("application/json"), Some("en")),
        r("https://x.org/2.vtt", None, None), // type from the URL, language unknown
    ];
    assert_eq!(
        choose_transcripts(&feed, "en-GB"),
        vec![5, 3, 2, 1, 0, 6, 4],
        "English first (en-US counts), then JSON > VTT > SRT > HTML > text"
    );
    assert_eq!(
        choose_transcripts(&feed, "es-MX"),
        vec![4, 6, 5, 3, 2, 1, 0]
    );
    assert_eq!(choose_transcripts(&feed, "fr"), vec![6, 4, 5, 3, 2, 1, 0]);
}

// --- Robustness -------------------------------------------------------------------------------

const PIECES: &[&str] = &[
    "-->",
    " --> ",
    "<",
    ">",
    "</",
    "<v ",
    "<v.x A>",
    "<00:00:01.000>",
    "<99:99:99.999>",
    ":",
    "::",
    "00:00:01,000",
    "00:00:00.000 --> 00:00:00.000",
    "99:59:59.999",
    "\n",
    "\n\n",
    "\r\n",
    "\u{feff}",
    "WEBVTT",
    "NOTE",
    "1",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\"startTime\":",
    "\"body\":",
    "\"segments\":[",
    "-1e309",
    "1e308",
    "NaN",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<p>",
    "<cite>",
    "</cite>",
    "<time>",
    "</time>",
    "<time datetime='PT99999999999999999999H'>",
    "<!--",
    "-->",
    "<script>",
    "Ada:",
    "ADA (00:00:05):",
    "[x 00:01:00]",
    "(1:00)",
    "- ",
    ">> ",
    "é",
    "ß",
    "😀",
    "\u{0}",
    "\t",
    "  ",
    ".",
    "?",
    "Name  0:03\n",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(12) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            1 => {
                let p = PIECES[rng.below(PIECES.len())].as_bytes();
                b.splice(at..at, p.iter().copied());
            }
            2 if !b.is_empty() => {
                let end = (at + rng.below(40)).min(b.len());
                b.drain(at..end);
            }
            3 => b.truncate(at),
            _ => {
                // Duplicate a stretch elsewhere.
                let from = rng.below(b.len() + 1);
                let end = (from + rng.below(60)).min(b.len());
                let chunk: Vec<u8> = b[from..end].to_vec();
                let at = at.min(b.len());
                b.splice(at..at, chunk);
            }
        }
    }
    b
}

fn random_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(40) {
        s.push_str(PIECES[rng.below(PIECES.len())]);
        if rng.below(3) == 0 {
            s.push_str(&format!("{:02}:{:02}", rng.below(100), rng.below(100)));
        }
    }
    s
}

fn check_untimed(u: &UntimedTranscript, what: &str) {
    for p in &u.paragraphs {
        assert!(!p.text.is_empty(), "{what}: empty paragraph");
        let n = p.text.chars().count();
        assert!(
            p.anchors.iter().all(|a| a.offset <= n),
            "{what}: anchor past the text"
        );
    }
    check(&u.spread(None), what);
    check(&u.spread(Some(61.5)), what);
}

#[test]
fn no_reader_panics_and_times_never_decrease() {
    let fixtures = [
        "interview.vtt",
        "morning.srt",
        "cp1252.srt",
        "words.json",
        "lines.json",
        "transcript.html",
        "interview.txt",
        "otter.txt",
        "utf16.vtt",
    ];
    let bases: Vec<Vec<u8>> = fixtures.iter().map(|f| fixture(f)).collect();
    // EARSHOT_FUZZ_ROUNDS / EARSHOT_FUZZ_SEED run it longer or elsewhere.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = Rng(env("EARSHOT_FUZZ_SEED").unwrap_or(0x9e37_79b9_7f4a_7c15) | 1);
    let rounds = env("EARSHOT_FUZZ_ROUNDS").unwrap_or(3000);
    for round in 0..rounds {
        let bytes = match round % 3 {
            0 => {
                let base = rng.below(bases.len());
                mutate(&mut rng, &bases[base])
            }
            1 => random_text(&mut rng).into_bytes(),
            _ => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let result = std::panic::catch_unwind(|| {
            let what = format!("round {round}");
            if let Ok(s) = parse_vtt(&text) {
                check(&s, &what);
            }
            if let Ok(s) = parse_srt(&text) {
                check(&s, &what);
            }
            if let Ok(s) = parse_json(&text) {
                check(&s, &what);
            }
            check_untimed(&parse_html(&text), &what);
            check_untimed(&parse_text(&text), &what);
            for (mime, name) in [
                (None, None),
                (Some("text/vtt"), None),
                (Some("application/x-subrip"), None),
                (Some("application/json"), None),
                (Some("text/html; charset=iso-8859-2"), None),
                (None, Some("t.txt")),
            ] {
                if let Ok(p) = parse_transcript(&bytes, mime, name) {
                    check(&p.segments, &what);
                    check(&p.clone().with_duration(30.0).segments, &what);
                }
            }
        });
        if result.is_err() {
            panic!(
                "round {round} panicked on {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

// --- The seed page ----------------------------------------------------------------------------

/// One transcript of the page: what it must read as.
struct Expected {
    first_speaker: &'static str,
    paragraphs: usize,
    /// Paragraphs each speaker's label starts (a label lost mid-paragraph counts).
    labels: &'static [(&'static str, usize)],
    /// Paragraphs per speaker, unlabelled continuations included.
    per_speaker: &'static [(&'static str, usize)],
    /// The `[… HH:MM:SS]` marks, in seconds.
    times: &'static [f64],
}

const SEED: [Expected; 4] = [
    Expected {
        first_speaker: "Jason",
        paragraphs: 20,
        labels: &[("Jason", 7), ("Maxim", 4), ("Samar", 2)],
        per_speaker: &[("Jason", 7), ("Maxim", 9), ("Samar", 4)],
        times: &[96.0, 107.0, 111.0, 188.0, 309.0, 360.0, 397.0],
    },
    Expected {
        first_speaker: "John",
        paragraphs: 19,
        labels: &[("Jason", 7), ("John", 7)],
        per_speaker: &[("Jason", 7), ("John", 12)],
        times: &[7.0],
    },
    Expected {
        first_speaker: "Omar",
        paragraphs: 27,
        labels: &[("Jason", 10), ("Omar", 9)],
        per_speaker: &[("Jason", 10), ("Omar", 17)],
        times: &[204.0],
    },
    Expected {
        first_speaker: "Jason",
        paragraphs: 15,
        labels: &[("Ana", 5), ("Carmen", 5), ("Jason", 1)],
        per_speaker: &[("Ana", 6), ("Carmen", 8), ("Jason", 1)],
        times: &[83.0, 301.0],
    },
];

/// The transcripts on the page: each follows a "Transcript" line and ends, cut short, with "...".
fn seed_transcripts(page: &str) -> Vec<String> {
    let lines: Vec<&str> = page.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "Transcript" {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_end().ends_with("..."))
                .expect("a transcript ends with ...");
            out.push(lines[i + 1..=end].join("\n"));
            i = end;
        }
        i += 1;
    }
    out
}

#[test]
fn the_seed_pages_transcripts_read_as_untimed_labelled_paragraphs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/seed/podcast-page.txt"
    );
    let page = match std::fs::read_to_string(path) {
        Ok(p) => p,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: the seed page {path} is not here ({e})");
            return;
        }
        Err(e) => panic!("CI=true and the seed page {path} is missing: {e}"),
    };
    // The whole page (show notes and all) reads without trouble.
    let whole = parse_transcript(page.as_bytes(), Some("text/plain; charset=utf-8"), None).unwrap();
    check(&whole.segments, "the whole page");

    let transcripts = seed_transcripts(&page);
    assert_eq!(transcripts.len(), SEED.len());
    for (n, (text, want)) in transcripts.iter().zip(&SEED).enumerate() {
        let p = parse_transcript(text.as_bytes(), Some("Text/Plain; charset=UTF-8"), None)
            .unwrap_or_else(|e| panic!("transcript {n}: {e}"));
        assert_eq!(p.format, TranscriptFormat::Text);
        check(&p.segments, &format!("transcript {n}"));
        let u = p.untimed.as_ref().expect("untimed paragraphs");
        let paras = &u.paragraphs;
        assert_eq!(paras.len(), want.paragraphs, "transcript {n}: paragraphs");
        assert_eq!(p.segments.len(), paras.len());
        assert_eq!(paras[0].speaker.as_deref(), Some(want.first_speaker));
        assert!(paras.iter().all(|p| p.speaker.is_some()), "transcript {n}");
        let count = |labelled_only: bool| {
            let mut m = std::collections::BTreeMap::<&str, usize>::new();
            for p in paras.iter().filter(|p| p.labelled || !labelled_only) {
                *m.entry(p.speaker.as_deref().unwrap()).or_default() += 1;
            }
            m.into_iter().collect::<Vec<_>>()
        };
        assert_eq!(count(true), want.labels, "transcript {n}: labels");
        assert_eq!(
            count(false),
            want.per_speaker,
            "transcript {n}: per speaker"
        );
        // Labels are gone from the text; the inline marks stay, anchored where they are.
        assert!(paras.iter().all(|p| !p
            .text
            .starts_with(&format!("{}:", p.speaker.as_deref().unwrap()))));
        let mut times = Vec::new();
        for p in paras {
            for a in &p.anchors {
                let at: String = p.text.chars().skip(a.offset).take(8).collect();
                assert_eq!(
                    timefmt(a.seconds),
                    at,
                    "transcript {n}: the anchor points at its mark"
                );
                times.push(a.seconds);
            }
        }
        assert_eq!(times, want.times, "transcript {n}: inline times");
        // No time is written at a paragraph's start: every segment is an estimate, spread
        // through the marks.
        assert!(p.segments.iter().all(|s| s.estimated));
        for t in want.times {
            let i = p
                .segments
                .iter()
                .position(|s| s.text.contains(&timefmt(*t)))
                .unwrap();
            let s = &p.segments[i];
            assert!(
                s.start <= *t && *t <= s.end,
                "transcript {n}: {t} within its paragraph {}–{}",
                s.start,
                s.end
            );
        }
    }
    // The mark lost mid-paragraph: "… familiar.” Omar: Yep, yep."
    let omar = parse_text(&transcripts[2]);
    let yep = omar
        .paragraphs
        .iter()
        .position(|p| p.text == "Yep, yep.")
        .expect("the lost paragraph break is restored");
    assert_eq!(omar.paragraphs[yep].speaker.as_deref(), Some("Omar"));
    assert_eq!(omar.paragraphs[yep - 1].speaker.as_deref(), Some("Jason"));
}

fn timefmt(s: f64) -> String {
    let s = s as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
