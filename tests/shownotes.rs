//! Show notes as the episode page shows them: safe HTML, working links, seekable time stamps.

use earshot::shownotes::render_show_notes;
use url::Url;

fn base() -> Url {
    Url::parse("https://lantern.example.org/episodes/3").unwrap()
}

fn render(html: &str) -> String {
    render_show_notes(html, Some(&base()), None)
}

#[test]
fn scripts_styles_frames_and_forms_are_removed_with_their_contents() {
    let out = render(
        r#"<p>Hello</p><script>alert("boo")</script><style>p { color: red }</style>
        <iframe src="https://evil.example.com/"><p>frame fallback</p></iframe>
        <object data="x.swf">object fallback</object><embed src="x.swf">
        <form action="https://evil.example.com/"><input name="pw"><button>Send</button></form>
        <noscript>no script</noscript>"#,
    );
    for bad in [
        "script",
        "alert",
        "style",
        "color: red",
        "iframe",
        "evil",
        "frame fallback",
        "object",
        "embed",
        "form",
        "input",
        "Send",
        "noscript",
    ] {
        assert!(!out.contains(bad), "{bad:?} survived in {out}");
    }
    assert!(out.starts_with("<p>Hello</p>"), "{out}");
}

#[test]
fn event_handlers_style_attributes_and_javascript_urls_are_stripped() {
    let out = render(
        r#"<p onclick="steal()" style="position:fixed" onmouseover="x()">Text</p>
        <a href="javascript:alert(1)">js</a> <a href="JaVaScRiPt:alert(2)">js2</a>
        <a href="data:text/html,<script>alert(3)</script>">data</a>
        <a href="vbscript:msgbox(4)">vb</a>"#,
    );
    for bad in [
        "onclick",
        "steal",
        "style",
        "position",
        "onmouseover",
        "javascript",
        "JaVaScRiPt",
        "data:",
        "vbscript",
        "alert",
    ] {
        assert!(
            !out.to_lowercase().contains(&bad.to_lowercase()),
            "{bad:?} survived in {out}"
        );
    }
    assert!(out.contains("<p>Text</p>"), "{out}");
}

#[test]
fn links_get_rel_lose_target_and_resolve_relative_urls() {
    let out = render(
        r#"<a href="https://other.example.com/page" target="_blank" rel="opener">out</a>
        <a href="/about">about</a> <a href="notes/3.html">notes</a> <a href="mailto:mara@lantern.example.org">mail</a>"#,
    );
    assert!(
        out.contains(
            r#"<a href="https://other.example.com/page" rel="noopener noreferrer">out</a>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(
            r#"<a href="https://lantern.example.org/about" rel="noopener noreferrer">about</a>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"href="https://lantern.example.org/episodes/notes/3.html""#),
        "{out}"
    );
    assert!(
        out.contains(
            r#"<a href="mailto:mara@lantern.example.org" rel="noopener noreferrer">mail</a>"#
        ),
        "{out}"
    );
    assert!(
        !out.contains("target") && !out.contains("opener\""),
        "{out}"
    );

    // Without a base, a relative link has nowhere to go: the href is dropped, the text stays.
    let out = render_show_notes(r#"<a href="/about">about</a>"#, None, None);
    assert!(!out.contains("href") && out.contains("about"), "{out}");
}

#[test]
fn images_become_their_alt_text() {
    let out = render(
        r#"<p>Cover: <img src="https://cdn.example.com/c.jpg" alt="A lighthouse <at> dusk & fog" width="300"> and <img src="x.png"> done</p>"#,
    );
    assert_eq!(
        out,
        "<p>Cover: A lighthouse &lt;at&gt; dusk &amp; fog and  done</p>"
    );
    assert!(!out.contains("<img") && !out.contains("cdn.example.com"));
}

#[test]
fn time_stamps_become_seek_links() {
    let out = render(
        "<ul><li>00:04:25 The log of 1911</li><li>4:25 again</li><li>(3:00) in parentheses</li>\
         <li>[12:34] in brackets</li><li>1:00:00 an hour in</li><li>Ends at 59:59.</li></ul>",
    );
    for expected in [
        r##"<a href="#" data-seek="265">00:04:25</a> The log"##,
        r##"<a href="#" data-seek="265">4:25</a> again"##,
        r##"(<a href="#" data-seek="180">3:00</a>) in"##,
        r##"[<a href="#" data-seek="754">12:34</a>] in"##,
        r##"<a href="#" data-seek="3600">1:00:00</a> an hour"##,
        r##"<a href="#" data-seek="3599">59:59</a>."##,
    ] {
        assert!(out.contains(expected), "missing {expected} in {out}");
    }
}

#[test]
fn time_stamps_beyond_the_duration_stay_text() {
    let out = render_show_notes(
        "<p>00:04:25 intro, 1:02:03 the end, 2:00:00 never</p>",
        None,
        Some(3723.0),
    );
    assert!(out.contains(r##"data-seek="265""##), "{out}");
    assert!(out.contains(r##"data-seek="3723""##), "{out}");
    assert!(!out.contains(r##"data-seek="7200""##), "{out}");
    assert!(out.contains("2:00:00 never"), "{out}");
}

#[test]
fn times_in_attributes_and_existing_links_are_left_alone() {
    let out = render(
        r#"<p><a href="https://lantern.example.org/notes?t=1:23" title="at 2:34">jump to 4:56</a> <abbr title="5:06">x</abbr></p>"#,
    );
    assert!(!out.contains("data-seek"), "{out}");
    assert!(out.contains("notes?t=1:23"), "{out}");
    assert!(out.contains(">jump to 4:56</a>"), "{out}");
}

#[test]
fn clock_times_and_other_numbers_are_not_time_stamps() {
    let out = render("<p>Live at 10:30 am, doors 7:00pm, score 3:2, ratio 1:1000, v1:23, 12:345, 1:2:3, 12:34:56:78.</p>");
    assert!(!out.contains("data-seek"), "{out}");
}

#[test]
fn a_feed_cannot_forge_seek_links() {
    let out = render(r##"<a href="#" data-seek="5">fake</a> <span data-seek="9">x</span>"##);
    assert!(!out.contains("data-seek"), "{out}");
}

#[test]
fn plain_text_becomes_paragraphs_with_links() {
    let out = render(
        "First line\nsecond line at 4:25.\n\n\nSecond paragraph: https://lantern.example.org/notes?a=1&b=2 (see it).\r\nTom &amp; Jerry <3",
    );
    assert_eq!(
        out,
        "<p>First line<br>\nsecond line at <a href=\"#\" data-seek=\"265\">4:25</a>.</p>\n\
         <p>Second paragraph: <a href=\"https://lantern.example.org/notes?a=1&amp;b=2\" rel=\"noopener noreferrer\">https://lantern.example.org/notes?a=1&amp;b=2</a> (see it).<br>\n\
         Tom &amp; Jerry &lt;3</p>"
    );
}

#[test]
fn html_without_block_structure_keeps_its_line_breaks() {
    let out = render("Some <b>bold</b> text\nnext line\n\nnew para");
    assert_eq!(
        out,
        "Some <b>bold</b> text<br>\nnext line<br><br>\nnew para"
    );
    // With paragraphs, newlines are just source formatting.
    let out = render("<p>One</p>\n<p>Two</p>");
    assert_eq!(out, "<p>One</p>\n<p>Two</p>");
}

#[test]
fn empty_and_whitespace_notes_render_empty() {
    assert_eq!(render(""), "");
    assert_eq!(render("  \n\n "), "");
}

#[test]
fn fixture_show_notes_end_to_end() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/feeds/p20_full.xml"
    ))
    .unwrap();
    let feed = earshot::feed::parse_feed(&bytes, Some(&base())).unwrap();
    let e = &feed.episodes[0];
    let out = render_show_notes(
        e.show_notes_html.as_deref().unwrap(),
        Some(&base()),
        e.duration_secs,
    );
    assert!(!out.contains("script") && !out.contains("boo"), "{out}");
    assert!(
        out.contains(r##"<a href="#" data-seek="265">00:04:25</a>"##),
        "{out}"
    );
    assert!(
        out.contains(r##"(<a href="#" data-seek="754">12:34</a>)"##),
        "{out}"
    );
    assert!(
        out.contains(r##"[<a href="#" data-seek="3600">1:00:00</a>]"##),
        "{out}"
    );
    assert!(
        !out.contains(r##"data-seek="7200""##),
        "beyond 1:02:03: {out}"
    );
    assert!(out.contains(">our notes (page 0:45)</a>"), "{out}");
}

#[test]
fn never_panics_on_mangled_html() {
    // A tiny xorshift: no extra crates.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let samples = [
        "<p>00:04:25 intro <a href=\"/x?t=1:00\">1:00</a> <img alt=\"é <b>\" src=x></p>",
        "Plain 4:25 text\n\nhttps://example.com/a(b)c). é ü 😀 1:00:00",
        "<ul><li>[12:34] a</li><li>(3:00) b</li></ul><script>x</script><!-- c -->",
    ];
    let pieces: [&str; 12] = [
        "<", ">", "\"", "&", ":", "1", "5", "\n", "<a ", "</a>", "é", "&#",
    ];
    for sample in samples {
        for cut in 0..=sample.len() {
            if sample.is_char_boundary(cut) {
                let _ = render_show_notes(&sample[..cut], Some(&base()), Some(100.0));
            }
        }
        for _ in 0..300 {
            let mut s = sample.to_string();
            for _ in 0..1 + next() % 5 {
                let mut at = (next() % (s.len() as u64 + 1)) as usize;
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert_str(at, pieces[(next() % pieces.len() as u64) as usize]);
            }
            let out = render_show_notes(&s, Some(&base()), None);
            assert!(!out.contains("<script"), "{out}");
        }
    }
}
