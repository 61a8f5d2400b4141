//! Download file names: never feed text used raw.

use std::path::{Component, Path};

use earshot::download::{safe_file_name, unique_path, MAX_NAME_BYTES};
use url::Url;

fn u(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn name(hint: &str) -> String {
    safe_file_name(hint, &u("https://cdn.example/media/ep.mp3"), None)
}

/// A single normal component: no separators, not hidden, no reserved device name, bounded.
fn assert_safe(n: &str) {
    assert!(!n.is_empty());
    assert!(n.len() <= MAX_NAME_BYTES, "{} bytes: {n}", n.len());
    let comps: Vec<Component> = Path::new(n).components().collect();
    assert_eq!(comps.len(), 1, "{n}");
    assert!(matches!(comps[0], Component::Normal(_)), "{n}");
    assert!(
        !n.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
        "{n}"
    );
    assert!(
        !n.starts_with('.') && !n.starts_with('-') && !n.starts_with(' '),
        "{n}"
    );
    assert!(!n.ends_with('.') && !n.ends_with(' '), "{n}");
    assert!(!n.chars().any(|c| c.is_control()), "{n:?}");
}

#[test]
fn path_traversal_cannot_leave_the_folder() {
    for hint in [
        "../../etc/passwd",
        "..",
        "../",
        "..\\..\\windows\\system32\\cmd",
        "a/../../b",
        "./.././x",
    ] {
        let n = name(hint);
        assert_safe(&n);
        assert!(n.ends_with(".mp3"), "{n}");
    }
    assert_eq!(name("../../etc/passwd"), "_.._etc_passwd.mp3");
}

#[test]
fn absolute_paths_become_plain_names() {
    assert_eq!(name("/etc/passwd"), "_etc_passwd.mp3");
    assert_eq!(name("C:\\Users\\x\\ep"), "C__Users_x_ep.mp3");
    assert_safe(&name("//server/share/ep"));
}

#[test]
fn overlong_names_are_cut_at_a_character_boundary() {
    let long = "é".repeat(300); // 600 bytes
    let n = name(&long);
    assert_safe(&n);
    assert!(n.ends_with(".mp3"));
    assert!(n.len() > MAX_NAME_BYTES - 6, "{}", n.len());
    let ascii = "x".repeat(1000);
    let n = name(&ascii);
    assert_eq!(n.len(), MAX_NAME_BYTES);
    // A cut that would end in dots or spaces is trimmed.
    let dotty = format!("{}{}", "a".repeat(MAX_NAME_BYTES - 7), ". . . . . . . . .");
    assert_safe(&name(&dotty));
}

#[test]
fn reserved_device_names_are_avoided() {
    for hint in [
        "CON", "con", "nul", "Aux", "COM1", "lpt9", "PRN.txt", "con .x", "CONIN$",
    ] {
        let n = name(hint);
        assert_safe(&n);
        assert!(n.starts_with('_'), "{hint} → {n}");
    }
    assert_eq!(name("CON"), "_CON.mp3");
    assert_eq!(name("console"), "console.mp3");
    assert_eq!(name("COM10"), "COM10.mp3");
}

#[test]
fn empty_names_fall_back_to_the_url_then_to_episode() {
    assert_eq!(name(""), "ep.mp3");
    assert_eq!(name("   "), "ep.mp3");
    assert_eq!(name("..."), "ep.mp3");
    assert_eq!(name("\u{202E}\u{200B}"), "ep.mp3");
    assert_eq!(
        safe_file_name("", &u("https://cdn.example/"), Some("audio/mpeg")),
        "episode.mp3"
    );
    assert_eq!(
        safe_file_name(
            "",
            &u("https://cdn.example/get.php?id=3"),
            Some("audio/mp4")
        ),
        "get.m4a"
    );
    assert_eq!(
        safe_file_name("", &u("https://cdn.example/a/My%20Show%20%231.ogg"), None),
        "My Show #1.ogg"
    );
    assert_eq!(
        safe_file_name("", &u("https://cdn.example/%2E%2E%2Fetc%2Fpasswd"), None),
        "_etc_passwd.mp3"
    );
}

#[test]
fn control_and_bidi_characters_are_removed() {
    assert_eq!(name("a\nb\tc\u{7}d"), "a b c d.mp3");
    assert_eq!(name("evil\u{202E}3pm.exe"), "evil3pm.exe.mp3");
    assert_eq!(name("  lots   of\u{00A0} space  "), "lots of space.mp3");
    assert_eq!(name("-rf"), "rf.mp3");
    assert_eq!(name(".hidden"), "hidden.mp3");
    assert_eq!(name("trailing... "), "trailing.mp3");
}

#[test]
fn a_sensible_extension_is_kept_or_chosen() {
    let hint = "Episode 12";
    let ext = |url: &str, mime: Option<&str>| safe_file_name(hint, &u(url), mime);
    assert_eq!(ext("https://x/a.m4a", Some("audio/mpeg")), "Episode 12.m4a");
    assert_eq!(ext("https://x/a.OPUS?x=1", None), "Episode 12.opus");
    assert_eq!(
        ext("https://x/a", Some("audio/ogg; codecs=vorbis")),
        "Episode 12.ogg"
    );
    assert_eq!(ext("https://x/a", Some("audio/x-m4a")), "Episode 12.m4a");
    assert_eq!(ext("https://x/a", Some("audio/opus")), "Episode 12.opus");
    assert_eq!(
        ext("https://x/a.php", Some("application/octet-stream")),
        "Episode 12.mp3"
    );
    // The hint's own media extension is not doubled.
    assert_eq!(
        safe_file_name("Episode 12.mp3", &u("https://x/dl"), None),
        "Episode 12.mp3"
    );
    assert_eq!(
        safe_file_name("Episode 12.ogg", &u("https://x/dl"), None),
        "Episode 12.ogg"
    );
    // A dot in a title is not an extension.
    assert_eq!(
        safe_file_name("Dr. No", &u("https://x/a.mp3"), None),
        "Dr. No.mp3"
    );
}

#[test]
fn unique_names_count_up_and_respect_parts_and_claims() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let none = |_: &Path| false;
    assert_eq!(unique_path(d, "ep.mp3", none), d.join("ep.mp3"));
    std::fs::write(d.join("ep.mp3"), b"").unwrap();
    assert_eq!(unique_path(d, "ep.mp3", none), d.join("ep-2.mp3"));
    std::fs::write(d.join("ep-2.mp3.part"), b"").unwrap();
    assert_eq!(unique_path(d, "ep.mp3", none), d.join("ep-3.mp3"));
    let claimed = d.join("ep-3.mp3");
    assert_eq!(
        unique_path(d, "ep.mp3", |p| p == claimed.as_path()),
        d.join("ep-4.mp3")
    );
    // Even at the length limit, the suffix fits.
    let long = format!("{}.mp3", "y".repeat(MAX_NAME_BYTES - 4));
    std::fs::write(d.join(&long), b"").unwrap();
    let next = unique_path(d, &long, none);
    let n = next.file_name().unwrap().to_str().unwrap();
    assert!(n.ends_with("-2.mp3") && n.len() <= MAX_NAME_BYTES, "{n}");
}
