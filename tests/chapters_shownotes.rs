//! Show-notes chapters: every style of the seed podcast page, our own notes in each style,
//! lists that are not chapters, and property tests on random and mangled input.

mod common;

use common::rng::{Draw, StarRng};
use earshot::chapters::{chapters_from_show_notes, Chapter};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/chapters/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pairs(c: &[Chapter]) -> Vec<(f64, String)> {
    c.iter().map(|c| (c.start, c.title.clone())).collect()
}

fn expect(list: &[(f64, &str)]) -> Vec<(f64, String)> {
    list.iter().map(|&(s, t)| (s, t.to_string())).collect()
}

/// Starts are strictly increasing, within `[0, duration)`, ends after starts.
fn assert_sane(c: &[Chapter], duration: Option<f64>, input: &str) {
    for w in c.windows(2) {
        assert!(w[0].start < w[1].start, "decreasing starts for {input:?}");
    }
    for ch in c {
        assert!(ch.start.is_finite() && ch.start >= 0.0, "{input:?}");
        if let Some(d) = duration {
            assert!(ch.start < d, "start {} past {d} for {input:?}", ch.start);
            assert!(ch.end.is_some_and(|e| e <= d), "{input:?}");
        }
        if let Some(e) = ch.end {
            assert!(e > ch.start, "{input:?}");
        }
        assert!(!ch.title.trim().is_empty(), "{input:?}");
    }
}

// --- the seed page ---------------------------------------------------------------------------

/// Splits the seed page into episodes: each episode begins with its title written twice on
/// consecutive non-blank lines (episodes without notes show their title once and fold into
/// the previous episode, which adds no time stamps). Returns (title, body text).
fn seed_episodes(page: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = page.lines().collect();
    let non_blank: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    let starts: Vec<usize> = non_blank
        .windows(2)
        .filter(|w| {
            let t = lines[w[0]].trim();
            t == lines[w[1]].trim() && t.len() < 80
        })
        .map(|w| w[0])
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            (lines[s].trim().to_string(), lines[s + 1..end].join("\n"))
        })
        .collect()
}

fn hms(h: u32, m: u32, s: u32) -> f64 {
    f64::from(h * 3600 + m * 60 + s)
}

#[test]
fn every_episode_of_the_seed_page_yields_exactly_its_chapter_list() {
    let path = format!(
        "{}/../shared/seed/podcast-page.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(page) = std::fs::read_to_string(&path) else {
        eprintln!("NOTICE: {path} is absent; skipping the seed-page chapters test");
        return;
    };
    let expected: Vec<(&str, Vec<(f64, &str)>)> = vec![
        (
            "Maxim Fateev and Samar Abbas",
            vec![
                (hms(0, 0, 0), "Introduction"),
                (hms(0, 4, 25), "Cadence to Temporal"),
                (hms(0, 9, 15), "Breaking down the Technology"),
                (hms(0, 15, 35), "Three Tips for Using Temporal"),
                (hms(0, 19, 21), "Outro"),
            ],
        ),
        (
            "John Martinez",
            vec![
                (hms(0, 0, 0), "Introduction"),
                (hms(0, 3, 15), "FinOps Foundation and Multicloud"),
                (hms(0, 7, 0), "Costs"),
                (hms(0, 10, 40), "John’s History in Reliability Engineering"),
                (
                    hms(0, 16, 30),
                    "The Actual Cost of an Outages, Security, Etc.",
                ),
                (hms(0, 21, 30), "What John Measures"),
                (hms(0, 28, 0), "What John is Up To/Latinx in Tech"),
            ],
        ),
        (
            "Omar Marrero",
            vec![
                (hms(0, 1, 27), "What Kessel Run is Doing"),
                (hms(0, 5, 50), "Failure Never has a Single Point"),
                (hms(0, 10, 50), "Lessons Learned"),
                (hms(0, 13, 40), "Working the DOD"),
                (hms(0, 18, 2), "Automation and Tools"),
            ],
        ),
        (
            "Carmen Saenz",
            vec![
                (hms(0, 0, 27), "Intro and an Anecdote"),
                (hms(0, 4, 13), "Early Days of Chaos Engineering"),
                (hms(0, 7, 22), "Moving to the Cloud and Important Lessons"),
                (hms(0, 11, 15), "Always Learning and Teaching"),
                (hms(0, 16, 30), "Figuring Out Chaos"),
                (hms(0, 20, 24), "Advice"),
            ],
        ),
        (
            "Zack Butcher",
            vec![
                (hms(0, 1, 0), "Istio's History"),
                (hms(0, 6, 55), "Lessons from Istio"),
                (hms(0, 11, 26), "Implmenting Istio"),
            ],
        ),
        (
            "Jérôme Petazzoni",
            vec![
                (
                    hms(0, 2, 18),
                    "Distributed databases at dotCloud & avoiding a major outage",
                ),
                (hms(0, 16, 6), "Multilayered Kubernetes lasagna"),
                (hms(0, 24, 22), "Empowering others & what's important"),
            ],
        ),
        (
            "Mikolaj Pawlikowski",
            vec![
                (hms(0, 1, 29), "Why Chaos Engineering?"),
                (hms(0, 6, 55), "Miko's Book"),
                (hms(0, 10, 21), "Chaos Engineering for Frontends"),
                (hms(0, 12, 10), "eBPF"),
                (hms(0, 16, 28), "SLOs"),
                (hms(0, 21, 56), "What Miko is currently excited about"),
            ],
        ),
        (
            "Alex Hidalgo",
            vec![
                (hms(0, 3, 0), "Alex's adventure into the absurd"),
                (hms(0, 9, 37), "Google's pager list mishaps"),
                (
                    hms(0, 14, 19),
                    "Crashing NYU's Exchange Server and Hyrum's Law",
                ),
                (hms(0, 19, 16), "Bartending makes you better"),
                (hms(0, 22, 37), "Nobl9"),
                (hms(0, 30, 7), "What Alex is currently excited about"),
            ],
        ),
    ];

    let episodes = seed_episodes(&page);
    assert!(
        episodes.len() > expected.len(),
        "the page splits into {} episodes",
        episodes.len()
    );
    let mut matched = 0;
    for (title, body) in &episodes {
        let got = chapters_from_show_notes(body, None);
        assert_sane(&got, None, title);
        match expected.iter().find(|(t, _)| t == title) {
            Some((_, list)) => {
                assert_eq!(pairs(&got), expect(list), "chapters of {title:?}");
                matched += 1;
            }
            None => assert!(got.is_empty(), "{title:?} has no chapter list: {got:?}"),
        }
    }
    assert_eq!(matched, expected.len(), "every expected episode was found");
    eprintln!(
        "seed page: {} episodes, {matched} with chapter lists, all matched",
        episodes.len()
    );
}

#[test]
fn the_whole_seed_page_yields_one_of_its_lists_and_nothing_from_the_transcripts() {
    let path = format!(
        "{}/../shared/seed/podcast-page.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(page) = std::fs::read_to_string(&path) else {
        eprintln!("NOTICE: {path} is absent; skipping");
        return;
    };
    // Read as one document, the longest list wins (John Martinez's, seven chapters).
    let got = chapters_from_show_notes(&page, None);
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(got[1].title, "FinOps Foundation and Multicloud");
}

// --- our own notes, one per style -------------------------------------------------------------

#[test]
fn reads_our_own_show_notes_in_every_style() {
    let three = |a: &str, b: &str, c: &str, t: [f64; 3]| expect(&[(t[0], a), (t[1], b), (t[2], c)]);
    type Case<'a> = (&'a str, Option<f64>, Vec<(f64, String)>);
    let cases: Vec<Case> = vec![
        (
            "dash-after-time.txt",
            None,
            three(
                "Welcome",
                "Tuning the bikes",
                "Goodbye",
                [0.0, 200.0, 3725.0],
            ),
        ),
        (
            "bullets-time-first.txt",
            None,
            three(
                "Cold open",
                "Seed catalogues",
                "Listener mail",
                [0.0, 125.0, 610.0],
            ),
        ),
        (
            "title-colon-time.txt",
            None,
            expect(&[
                (45.0, "Why kites fly"),
                (301.0, "Tails and bridles"),
                (1230.0, "Storm stories"),
                (1505.0, "Wrapping up"),
            ]),
        ),
        (
            "title-paren-time.txt",
            None,
            expect(&[
                (90.0, "A ferry timetable"),
                (452.0, "Knots, nautical miles & tides"),
                (1030.0, "Lighthouses?"),
                (1333.0, "What we're reading"),
            ]),
        ),
        (
            "square-brackets.txt",
            None,
            three("Intro", "The recipe", "Tasting", [0.0, 754.0, 1501.5]),
        ),
        (
            "paren-time-first.txt",
            None,
            three("Hello", "Main topic", "Outro", [0.0, 330.0, 2700.0]),
        ),
        (
            "numbered.txt",
            None,
            three(
                "Opening",
                "Tools of the trade",
                "Q & A",
                [15.0, 420.0, 1110.0],
            ),
        ),
        (
            "title-dash-time.txt",
            None,
            three("Intro", "Interview", "Outro", [0.0, 185.0, 4210.0]),
        ),
        (
            "em-dash.html",
            None,
            expect(&[
                (0.0, "Start"),
                (62.0, "Café talk"),
                (600.0, "Rain & thunder"),
                (1200.0, "The end"),
            ]),
        ),
        (
            "list-items.html",
            Some(1500.0),
            three(
                "Opening",
                "Maps “and” atlases",
                "Closing",
                [0.0, 540.0, 1440.0],
            ),
        ),
    ];
    for (name, duration, want) in cases {
        let notes = fixture(name);
        let got = chapters_from_show_notes(&notes, duration);
        assert_eq!(pairs(&got), want, "{name}");
        assert_sane(&got, duration, name);
    }
}

#[test]
fn fills_ends_and_drops_chapters_past_the_duration() {
    let notes = "00:00 One\n10:00 Two\n20:00 Three\n30:00 Four";
    let c = chapters_from_show_notes(notes, Some(1500.0));
    assert_eq!(
        pairs(&c),
        expect(&[(0.0, "One"), (600.0, "Two"), (1200.0, "Three")])
    );
    assert_eq!(c[0].end, Some(600.0));
    assert_eq!(c[2].end, Some(1500.0));
    let open = chapters_from_show_notes(notes, None);
    assert_eq!(open.len(), 4);
    assert_eq!(open[3].end, None);
    // Every time past the audio: no chapters at all.
    assert!(chapters_from_show_notes("40:00 A\n50:00 B", Some(100.0)).is_empty());
}

// --- not chapters -----------------------------------------------------------------------------

#[test]
fn a_lone_time_in_prose_is_not_a_chapter() {
    let prose = fixture("prose-with-a-time.txt");
    assert!(chapters_from_show_notes(&prose, None).is_empty());
    assert!(chapters_from_show_notes("00:00 Just one line", None).is_empty());
    assert!(chapters_from_show_notes(
        "<p>At 12:30 the kettle whistled.</p><p>By 13:05 we had tea.</p>",
        None
    )
    .is_empty());
    assert!(chapters_from_show_notes("", None).is_empty());
}

#[test]
fn decreasing_times_are_not_chapters() {
    let notes = fixture("decreasing-times.txt");
    assert!(chapters_from_show_notes(&notes, None).is_empty());
    assert!(chapters_from_show_notes("10:00 A\n05:00 B\n20:00 C", None).is_empty());
    assert!(chapters_from_show_notes("00:00 A\n00:00 B", None).is_empty());
}

#[test]
fn times_inside_sentences_are_not_chapters() {
    let notes = "Speaker: we shipped it [unclear 00:01:36] and then\n\
                 Other: later, around [crosstalk 00:02:10], it broke\n\
                 Speaker: fixed at 00:03:00 sharp, too";
    assert!(chapters_from_show_notes(notes, None).is_empty());
}

// --- properties ------------------------------------------------------------------------------

const PIECES: &[&str] = &[
    "00:00",
    "1:00",
    "12:34",
    "01:02:03",
    "99:59",
    "0:00:00.500",
    "10:00:00:00",
    "1:75",
    ":",
    "::",
    "(",
    ")",
    "[",
    "]",
    "• ",
    "- ",
    "— ",
    "1. ",
    "2) ",
    "#3 ",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "Intro",
    "Title",
    "é",
    "🎙",
    "\u{200b}",
    "\u{a0}",
    "&amp;",
    "&nbsp;",
    "&#8212;",
    "&#x1F600;",
    "&bogus;",
    "&",
    "<p>",
    "</p>",
    "<br>",
    "<br/>",
    "<li>",
    "</li>",
    "<ul>",
    "<a href=\"x\">",
    "</a>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<",
    ">",
    "\"",
    "'",
    ".",
    ",",
    ":",
    "|",
    "0",
    "9",
    "123",
    "4:5",
    "1:2:3",
    "a1:00",
    "1.5:00",
    "12:34pm",
];

fn random_notes(rng: &mut StarRng) -> String {
    let n = rng.below(60);
    (0..n).map(|_| rng.pick(PIECES)).collect()
}

/// A plausible chapter list, then mangled: lines swapped, dropped, duplicated, cut, joined.
fn mangled_list(rng: &mut StarRng) -> String {
    let styles: &[fn(&str, &str) -> String] = &[
        |t, x| format!("{t} - {x}"),
        |t, x| format!("• {x}: {t}"),
        |t, x| format!("• {x} ({t})"),
        |t, x| format!("[{t}] {x}"),
        |t, x| format!("{x}:{t}"),
        |t, x| format!("<li>{t} &ndash; {x}</li>"),
    ];
    let style = styles[rng.below(styles.len())];
    let mut secs = rng.below(100) as u64;
    let mut lines: Vec<String> = (0..rng.below(12))
        .map(|i| {
            secs += rng.below(900) as u64;
            let t = if rng.below(2) == 0 {
                format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            } else {
                format!("{}:{:02}", secs / 60, secs % 60)
            };
            style(&t, &format!("Part {i}"))
        })
        .collect();
    for _ in 0..rng.below(4) {
        if lines.is_empty() {
            break;
        }
        let i = rng.below(lines.len());
        let j = rng.below(lines.len());
        match rng.below(5) {
            0 => lines.swap(i, j),
            1 => {
                lines.remove(i);
            }
            2 => {
                let l = lines[i].clone();
                lines.insert(j, l);
            }
            3 => {
                let cut = rng.below(lines[i].len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| lines[i].is_char_boundary(c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
            _ => lines.insert(i, "Some words in between.".to_string()),
        }
    }
    lines.join(if rng.below(3) == 0 { "\n\n" } else { "\n" })
}

#[test]
fn never_panics_and_never_yields_bad_starts_on_random_input() {
    let mut rng = StarRng(0x9e37_79b9_7f4a_7c15);
    let mut found = 0;
    for round in 0..20_000 {
        let notes = if round % 2 == 0 {
            random_notes(&mut rng)
        } else {
            mangled_list(&mut rng)
        };
        let duration = match rng.below(4) {
            0 => None,
            1 => Some(0.0),
            2 => Some(f64::NAN),
            _ => Some(rng.below(5000) as f64 + 0.5),
        };
        let got = chapters_from_show_notes(&notes, duration);
        let clip = duration.filter(|d| d.is_finite() && *d > 0.0);
        assert_sane(&got, clip, &notes);
        found += usize::from(!got.is_empty());
        if got.len() == 1 {
            // A single chapter only survives when the rest were past the duration.
            assert!(clip.is_some(), "one chapter from {notes:?}");
        }
    }
    // The mangled lists must exercise the accepting paths too, not only the refusals.
    assert!(found > 2_000, "only {found} inputs gave chapters");
}

#[test]
fn unmangled_lists_are_read_whole() {
    let mut rng = StarRng(42);
    for _ in 0..2_000 {
        let n = 2 + rng.below(10);
        let style = rng.below(5);
        let mut secs = 0u64;
        let mut want = Vec::new();
        let mut text = String::from("In this one:\n\n");
        for i in 0..n {
            secs += 1 + rng.below(600) as u64;
            want.push((secs as f64, format!("Topic {i}")));
            let t = format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
            text.push_str(&match style {
                0 => format!("{t} - Topic {i}\n"),
                1 => format!("• Topic {i}: {t}\n"),
                2 => format!("• Topic {i} ({t})\n\n"),
                3 => format!("<p>{t} &mdash; Topic {i}</p>"),
                _ => format!("{}. [{t}] Topic {i}\n", i + 1),
            });
        }
        text.push_str("\nThanks for listening.");
        let got = chapters_from_show_notes(&text, None);
        assert_eq!(pairs(&got), want, "{text}");
        assert_sane(&got, None, &text);
    }
}
