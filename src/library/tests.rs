use super::*;

fn sample() -> (NewPodcast, Vec<NewEpisode>) {
    let p = NewPodcast {
        feed_url: "https://example.org/feed.xml".into(),
        title: "Sample Show".into(),
        ..Default::default()
    };
    let e1 = NewEpisode {
        guid: "a".into(),
        title: "Older".into(),
        published: Some(1_000),
        duration_secs: Some(120.0),
        chapters: vec![
            Chapter {
                start: 60.0,
                end: None,
                title: "Two".into(),
                img: None,
                url: None,
                toc: true,
            },
            Chapter {
                start: 0.0,
                end: Some(60.0),
                title: "One".into(),
                img: None,
                url: None,
                toc: true,
            },
        ],
        chapters_source: "test".into(),
        segments: vec![Segment {
            start: 0.0,
            end: 2.0,
            speaker: Some("Ada".into()),
            text: "Hi".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let e2 = NewEpisode {
        guid: "b".into(),
        title: "Newer".into(),
        published: Some(2_000),
        ..Default::default()
    };
    (p, vec![e1, e2])
}

#[test]
fn stores_and_lists_newest_first_with_chapters_and_segments() {
    let mut lib = Library::open_in_memory().unwrap();
    let (p, eps) = sample();
    let id = lib.add_podcast(&p, &eps).unwrap();
    let pods = lib.podcasts().unwrap();
    assert_eq!(pods.len(), 1);
    assert_eq!(pods[0].episode_count, 2);
    let list = lib.episodes(id).unwrap();
    assert_eq!(
        list.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["Newer", "Older"]
    );
    let older = list[1].id;
    let ch = lib.chapters(older).unwrap();
    assert_eq!(
        ch.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["One", "Two"]
    );
    assert_eq!(
        lib.segments(older).unwrap()[0].speaker.as_deref(),
        Some("Ada")
    );
}

#[test]
fn progress_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    let episode = {
        let mut lib = Library::open(&path).unwrap();
        let (p, eps) = sample();
        let id = lib.add_podcast(&p, &eps).unwrap();
        let e = lib.episodes(id).unwrap()[1].id;
        lib.save_progress(e, 12.5, false).unwrap();
        lib.save_progress(e, 42.25, false).unwrap();
        e
    };
    let lib = Library::open(&path).unwrap();
    assert_eq!(lib.progress(episode).unwrap(), Some((42.25, false)));
    assert_eq!(lib.episode(episode).unwrap().summary.position_secs, 42.25);
    let mode: String = lib
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(lib.schema_version().unwrap(), 8);
}

#[test]
fn a_missing_episode_is_a_clear_error() {
    let lib = Library::open_in_memory().unwrap();
    let err = lib.episode(EpisodeId(99)).unwrap_err();
    assert_eq!(err.kind(), "not_found");
    assert!(err.to_string().contains("episode 99"));
}

#[test]
fn local_paths_must_stay_inside_the_data_dir() {
    let d = Path::new("/data");
    assert_eq!(
        Library::resolve_local(d, "demo/ep.mp3"),
        Some(PathBuf::from("/data/demo/ep.mp3"))
    );
    assert_eq!(Library::resolve_local(d, "../etc/passwd"), None);
    assert_eq!(Library::resolve_local(d, "/etc/passwd"), None);
    assert_eq!(Library::resolve_local(d, ""), None);
}
