//! Episode downloads through the library: what the listener's library says about downloads
//! must always agree with the files on disk, across faults, pauses, restarts and clean-ups.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::faulty::{Fault, FaultyServer, FileOpts, Rng};
use common::wait_until;
use earshot::download::{DownloadConfig, HashKind};
use earshot::downloads::{DownloadUpdate, Downloads};
use earshot::fetch::sha256_hex;
use earshot::library::{EpisodeId, Library, NewEpisode, NewPodcast, PodcastId};

/// The app's download settings (BLAKE3 content hash, as `open_downloads` configures), with
/// short timeouts.
fn fast_cfg(concurrency: usize) -> DownloadConfig {
    DownloadConfig {
        hash: HashKind::Blake3,
        ..common::fault_tolerant_downloads(concurrency)
    }
}

struct Fixture {
    _rt: tokio::runtime::Runtime,
    handle: tokio::runtime::Handle,
    dir: tempfile::TempDir,
    library: Arc<Mutex<Library>>,
}

impl Fixture {
    fn new() -> Self {
        let rt = common::runtime();
        let dir = tempfile::tempdir().unwrap();
        let library = Arc::new(Mutex::new(
            Library::open(&dir.path().join("library.sqlite3")).unwrap(),
        ));
        Self {
            handle: rt.handle().clone(),
            _rt: rt,
            dir,
            library,
        }
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }

    fn podcast(&self, urls: &[(String, &str)]) -> (PodcastId, Vec<EpisodeId>) {
        let mut lib = self.library.lock().unwrap();
        let eps: Vec<NewEpisode> = urls
            .iter()
            .enumerate()
            .map(|(i, (url, title))| NewEpisode {
                guid: format!("g{i}"),
                title: title.to_string(),
                published: Some(1_700_000_000 + i as i64),
                enclosure_url: Some(url.clone()),
                ..NewEpisode::default()
            })
            .collect();
        let id = lib
            .add_podcast(
                &NewPodcast {
                    feed_url: format!("http://127.0.0.1/{}.xml", urls.len()),
                    title: "Downloads Show".into(),
                    ..NewPodcast::default()
                },
                &eps,
            )
            .unwrap();
        let mut ids: Vec<EpisodeId> = lib.episodes(id).unwrap().iter().map(|e| e.id).collect();
        ids.reverse(); // oldest first = the order of `urls`
        (id, ids)
    }

    fn start(&self, cfg: DownloadConfig) -> Downloads {
        Downloads::start(self.library.clone(), self.data(), cfg, self.handle.clone()).unwrap()
    }

    fn state_of(&self, d: &Downloads, ep: EpisodeId) -> String {
        d.list()
            .unwrap()
            .into_iter()
            .find(|r| r.record.episode_id == ep)
            .map(|r| r.record.state)
            .unwrap_or_else(|| "none".into())
    }
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The library and the disk agree: every finished download is a file of the recorded size and
/// hash (BLAKE3, labelled, as the app records it), and the downloads folder holds nothing else.
fn assert_library_matches_disk(f: &Fixture, d: &Downloads) -> usize {
    let rows = d.list().unwrap();
    let mut recorded = Vec::new();
    for r in &rows {
        let rec = &r.record;
        assert_eq!(
            rec.state, "done",
            "{} is {}: {:?}",
            rec.title, rec.state, rec.error
        );
        let rel = rec
            .local_file
            .as_deref()
            .expect("a finished download has a file");
        let bytes = std::fs::read(f.data().join(rel)).unwrap();
        assert_eq!(Some(bytes.len() as u64), rec.size, "{rel}");
        assert_eq!(
            rec.hash,
            Some(format!("blake3:{}", blake3::hash(&bytes).to_hex())),
            "{rel}"
        );
        recorded.push(rel.to_string());
    }
    recorded.sort();
    let on_disk: Vec<String> = files_under(&f.data().join("downloads"))
        .into_iter()
        .map(|p| format!("downloads/{p}"))
        .collect();
    assert_eq!(on_disk, recorded, "files on disk vs library");
    rows.len()
}

#[test]
fn fifty_episode_downloads_with_random_faults_match_the_library() {
    let seed = common::fault_seed();
    println!("downloads_library: seed {seed}");
    let mut rng = Rng::new(seed);
    let server = FaultyServer::start();
    let titles = [
        "Episode",
        "../../etc/passwd",
        "CON",
        "",
        "Ep: 1/2",
        "Ünï — 🎧",
    ];
    let mut sources = Vec::new();
    let mut contents = Vec::new();
    for i in 0..50 {
        let size = rng.range(20_000, 200_001) as usize;
        let path = format!("/ep/{i}.mp3");
        let body = rng.bytes(size);
        contents.push(body.clone());
        server.add_with(
            &path,
            body,
            FileOpts {
                etag: rng.chance(70),
                last_modified: rng.chance(50),
                ranges: rng.chance(85),
                content_type: "audio/mpeg".into(),
            },
        );
        let n = if rng.chance(20) { 0 } else { rng.range(1, 4) };
        let faults: Vec<Fault> = (0..n)
            .map(|_| match rng.range(0, 5) {
                0 => Fault::CutAfter(rng.range(0, size as u64) as usize),
                1 => Fault::Status(503),
                2 => Fault::WrongLength,
                3 => Fault::IgnoreRange,
                _ => Fault::ChangeFile,
            })
            .collect();
        server.push_faults(&path, faults);
        sources.push((server.url(&path), titles[i % titles.len()]));
    }
    let f = Fixture::new();
    let (_, eps) = f.podcast(&sources);
    let d = f.start(fast_cfg(rng.range(2, 5) as usize));
    let updates = Arc::new(Mutex::new(Vec::<DownloadUpdate>::new()));
    let u2 = updates.clone();
    d.on_update(move |u| u2.lock().unwrap().push(u.clone()));
    for ep in &eps {
        d.download(*ep).unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(120), || {
            d.list().unwrap().iter().all(|r| r.record.state == "done")
        }),
        "seed {seed}: not all finished: {:?}",
        d.list()
            .unwrap()
            .iter()
            .filter(|r| r.record.state != "done")
            .map(|r| (&r.record.title, &r.record.state, &r.record.error))
            .collect::<Vec<_>>()
    );
    assert_eq!(assert_library_matches_disk(&f, &d), 50);
    // Each file is the server's current content (a changed file is fetched again whole).
    let lib = f.library.lock().unwrap();
    for (i, ep) in eps.iter().enumerate() {
        let rel = lib.episode(*ep).unwrap().local_file.unwrap();
        let on_disk = std::fs::read(f.data().join(&rel)).unwrap();
        let served = server.content(&format!("/ep/{i}.mp3"));
        assert_eq!(
            sha256_hex(&on_disk),
            sha256_hex(&served),
            "seed {seed}: {rel}"
        );
        assert!(rel.starts_with("downloads/p"), "{rel}");
        assert!(
            rel.split('/')
                .all(|c| !c.is_empty() && c != ".." && c != "."),
            "{rel}"
        );
        assert_eq!(rel.split('/').count(), 3, "{rel}");
        let summary = lib.episode(*ep).unwrap().summary;
        assert!(summary.downloaded && summary.download_state.is_none());
    }
    drop(lib);
    // The UI heard about every one finishing.
    let ups = updates.lock().unwrap();
    for ep in &eps {
        assert!(
            ups.iter().any(|u| u.episode_id == *ep && u.state == "done"),
            "no done update for {ep:?}"
        );
    }
    let _ = contents;
}

#[test]
fn a_paused_download_survives_a_restart_and_resumes_from_its_part() {
    let server = FaultyServer::start();
    let body: Vec<u8> = Rng::new(7).bytes(400_000);
    server.add_with(
        "/big.mp3",
        body.clone(),
        FileOpts {
            etag: true,
            last_modified: true,
            ranges: true,
            content_type: "audio/mpeg".into(),
        },
    );
    // Slow enough to pause half-way.
    server.set_always(
        "/big.mp3",
        Some(Fault::Slow {
            bytes: 16_384,
            every: Duration::from_millis(20),
        }),
    );
    let f = Fixture::new();
    let (_, eps) = f.podcast(&[(server.url("/big.mp3"), "Big one")]);
    let ep = eps[0];
    {
        let d = f.start(fast_cfg(2));
        d.download(ep).unwrap();
        assert!(wait_until(Duration::from_secs(10), || {
            d.list().unwrap()[0].record.bytes > 50_000
        }));
        d.pause(ep).unwrap();
        assert!(wait_until(Duration::from_secs(5), || f.state_of(&d, ep) == "paused"));
        let row = &d.list().unwrap()[0];
        assert!(row.record.bytes > 0 && row.record.bytes < 400_000);
        assert_eq!(row.record.total, Some(400_000));
    }
    // A new run: still paused (nothing downloads behind the listener's back) ...
    server.set_always("/big.mp3", None);
    let d = f.start(fast_cfg(2));
    assert_eq!(f.state_of(&d, ep), "paused");
    let requests_before = server.requests("/big.mp3").len();
    // ... and resuming asks only for the rest.
    d.resume(ep).unwrap();
    assert!(wait_until(Duration::from_secs(10), || f.state_of(&d, ep) == "done"));
    let resumed = &server.requests("/big.mp3")[requests_before..];
    assert!(
        resumed.iter().any(|r| r.status == 206 && r.range.is_some()),
        "{resumed:?}"
    );
    assert_library_matches_disk(&f, &d);
    let rel = d.list().unwrap()[0].record.local_file.clone().unwrap();
    assert_eq!(std::fs::read(f.data().join(rel)).unwrap(), body);
}

#[test]
fn a_download_interrupted_by_quitting_is_queued_again_on_the_next_start() {
    let server = FaultyServer::start();
    server.add("/a.mp3", Rng::new(3).bytes(300_000));
    server.set_always(
        "/a.mp3",
        Some(Fault::Slow {
            bytes: 16_384,
            every: Duration::from_millis(30),
        }),
    );
    let f = Fixture::new();
    let (_, eps) = f.podcast(&[(server.url("/a.mp3"), "Quit mid-way")]);
    {
        let d = f.start(fast_cfg(1));
        d.download(eps[0]).unwrap();
        assert!(wait_until(Duration::from_secs(10), || f
            .state_of(&d, eps[0])
            == "running"));
        // The app quits with the download running.
        d.shutdown();
        assert!(wait_until(Duration::from_secs(5), || {
            d.manager()
                .snapshot()
                .iter()
                .all(|i| i.state == earshot::download::DownloadState::Paused)
        }));
        // Not a pause the listener asked for: the library still says it was running.
        std::thread::sleep(Duration::from_millis(100));
        let lib = f.library.lock().unwrap();
        assert_eq!(lib.downloads().unwrap()[0].state, "running");
    }
    server.set_always("/a.mp3", None);
    let d = f.start(fast_cfg(1));
    assert!(wait_until(Duration::from_secs(10), || f
        .state_of(&d, eps[0])
        == "done"));
    assert_library_matches_disk(&f, &d);
}

#[test]
fn delete_cancel_cleanup_and_a_missing_file_keep_library_and_disk_in_step() {
    let server = FaultyServer::start();
    let mut urls = Vec::new();
    for i in 0..3 {
        server.add(&format!("/e{i}.mp3"), Rng::new(i).bytes(30_000));
        urls.push((server.url(&format!("/e{i}.mp3")), "Ep"));
    }
    let f = Fixture::new();
    let (_, eps) = f.podcast(&urls);
    let d = f.start(fast_cfg(2));
    for ep in &eps {
        d.download(*ep).unwrap();
    }
    assert!(wait_until(Duration::from_secs(10), || d
        .list()
        .unwrap()
        .iter()
        .all(|r| r.record.state == "done")));
    // Three files, uniquely named although the titles are the same.
    assert_eq!(assert_library_matches_disk(&f, &d), 3);

    // Played episodes are cleaned up; the unplayed are kept.
    f.library
        .lock()
        .unwrap()
        .save_progress(eps[0], 10.0, true)
        .unwrap();
    assert_eq!(d.cleanup_played(None).unwrap(), 1);
    assert_eq!(assert_library_matches_disk(&f, &d), 2);
    assert!(
        !f.library
            .lock()
            .unwrap()
            .episode(eps[0])
            .unwrap()
            .summary
            .downloaded
    );

    // Deleting by hand.
    d.delete(eps[1]).unwrap();
    assert_eq!(assert_library_matches_disk(&f, &d), 1);

    // A file removed behind Earshot's back is forgotten at the next start (it streams again).
    let rel = f
        .library
        .lock()
        .unwrap()
        .episode(eps[2])
        .unwrap()
        .local_file
        .unwrap();
    std::fs::remove_file(f.data().join(rel)).unwrap();
    drop(d);
    let d = f.start(fast_cfg(2));
    assert_eq!(assert_library_matches_disk(&f, &d), 0);
    let media = f.library.lock().unwrap().episode(eps[2]).unwrap();
    assert!(media.local_file.is_none() && media.enclosure_url.is_some());
}

#[test]
fn a_dead_url_fails_with_a_message_and_leaves_nothing_behind() {
    let server = FaultyServer::start();
    let f = Fixture::new();
    let (_, eps) = f.podcast(&[(server.url("/gone.mp3"), "Gone")]);
    let d = f.start(fast_cfg(2));
    d.download(eps[0]).unwrap();
    assert!(wait_until(Duration::from_secs(10), || f
        .state_of(&d, eps[0])
        == "failed"));
    let row = &d.list().unwrap()[0];
    let msg = row.record.error.clone().unwrap();
    assert!(msg.contains("404"), "{msg}");
    assert!(files_under(&f.data().join("downloads")).is_empty());
    // Cancelling the failed one clears it from the list.
    d.cancel(eps[0]).unwrap();
    assert!(wait_until(Duration::from_secs(5), || d
        .list()
        .unwrap()
        .is_empty()));
    assert!(files_under(&f.data().join("downloads")).is_empty());
}

#[test]
fn auto_download_takes_only_new_unplayed_episodes() {
    use earshot::feedgen::{self, FeedSpec};
    use earshot::fetch::Http;
    use earshot::subscriptions::Subscriptions;

    let server = FaultyServer::start();
    for n in 1..=5 {
        server.add(&format!("/audio/{n}.mp3"), Rng::new(n).bytes(10_000));
    }
    let base = server.url("");
    let base = base.trim_end_matches('/');
    let feed = |count| {
        feedgen::rss(&FeedSpec {
            title: "Auto Show",
            first: 1,
            count,
            base,
            guids: true,
        })
    };
    server.add_with(
        "/feed.xml",
        feed(2).into_bytes(),
        FileOpts {
            content_type: "application/rss+xml".into(),
            ..FileOpts::default()
        },
    );
    let f = Fixture::new();
    let subs = Subscriptions::new(
        Http::with_timeout(Duration::from_secs(2)),
        f.library.clone(),
    );
    let pid = f
        .handle
        .block_on(subs.subscribe(&server.url("/feed.xml")))
        .unwrap();
    server.add_with(
        "/feed.xml",
        feed(5).into_bytes(),
        FileOpts {
            content_type: "application/rss+xml".into(),
            ..FileOpts::default()
        },
    );
    let report = f.handle.block_on(subs.refresh(pid)).unwrap();
    assert_eq!(report.new_episodes, 3);
    // The listener already played one of the new ones elsewhere.
    let new_ids: Vec<EpisodeId> = {
        let lib = f.library.lock().unwrap();
        let eps = lib.episodes(pid).unwrap();
        let new: Vec<EpisodeId> = eps.iter().filter(|e| e.is_new).map(|e| e.id).collect();
        assert_eq!(new.len(), 3);
        lib.save_progress(new[0], 5.0, true).unwrap();
        new
    };
    let d = f.start(fast_cfg(2));
    assert_eq!(d.auto_download(pid, 10).unwrap(), 2);
    assert!(wait_until(Duration::from_secs(10), || d
        .list()
        .unwrap()
        .iter()
        .all(|r| r.record.state == "done")));
    assert_eq!(assert_library_matches_disk(&f, &d), 2);
    let downloaded: Vec<EpisodeId> = d
        .list()
        .unwrap()
        .iter()
        .map(|r| r.record.episode_id)
        .collect();
    assert!(!downloaded.contains(&new_ids[0]));
    // Nothing is queued twice.
    assert_eq!(d.auto_download(pid, 10).unwrap(), 0);
}

#[test]
fn chapters_embedded_in_a_downloaded_file_replace_show_notes_chapters() {
    let server = FaultyServer::start();
    let mp3 = std::fs::read("tests/fixtures/chapters/chapters.mp3").unwrap();
    let expected =
        earshot::chapters::chapters_from_audio(Path::new("tests/fixtures/chapters/chapters.mp3"))
            .unwrap();
    assert!(expected.len() >= 2);
    server.add("/chap.mp3", mp3);
    let f = Fixture::new();
    let (_, eps) = f.podcast(&[(server.url("/chap.mp3"), "With chapters")]);
    let show_notes = vec![earshot::chapters::Chapter {
        start: 0.0,
        end: None,
        title: "From the notes".into(),
        img: None,
        url: None,
        toc: true,
    }];
    f.library
        .lock()
        .unwrap()
        .replace_chapters(eps[0], "show-notes", &show_notes)
        .unwrap();
    let d = f.start(fast_cfg(1));
    d.download(eps[0]).unwrap();
    assert!(wait_until(Duration::from_secs(10), || f
        .state_of(&d, eps[0])
        == "done"));
    let lib = f.library.lock().unwrap();
    let stored = lib.chapters(eps[0]).unwrap();
    let titles =
        |c: &[earshot::chapters::Chapter]| c.iter().map(|c| c.title.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&stored), titles(&expected));
    assert_eq!(
        lib.chapter_sources(eps[0]).unwrap().1.as_deref(),
        Some("id3")
    );
}
