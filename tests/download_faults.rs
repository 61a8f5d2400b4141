//! Many downloads through a server that fails at random: every file must arrive byte-identical
//! to its source, no `.part` may remain, and the manager's records must agree with the disk.
//!
//! The seed is printed; rerun one with `EARSHOT_FAULT_SEED=<seed> cargo test --test download_faults`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::faulty::{Fault, FaultyServer, FileOpts, Rng};
use earshot::download::{DownloadManager, DownloadState, Outcome};
use earshot::fetch::sha256_hex;
use url::Url;

const DOWNLOADS: usize = 80;

fn random_fault(rng: &mut Rng, size: usize, stalls: &mut usize) -> Fault {
    loop {
        let f = match rng.range(0, 6) {
            0 => Fault::CutAfter(rng.range(0, size as u64) as usize),
            1 if *stalls < 12 => {
                *stalls += 1;
                Fault::Stall {
                    after: rng.range(0, size as u64) as usize,
                    pause: Duration::from_secs(1),
                }
            }
            1 => continue,
            2 => Fault::Status(if rng.chance(50) { 500 } else { 503 }),
            3 => Fault::WrongLength,
            4 => Fault::IgnoreRange,
            _ => Fault::ChangeFile,
        };
        return f;
    }
}

fn fault_name(f: &Fault) -> &'static str {
    match f {
        Fault::CutAfter(_) => "cut",
        Fault::Stall { .. } => "stall",
        Fault::Status(_) => "5xx",
        Fault::WrongLength => "wrong length",
        Fault::IgnoreRange => "ignored range",
        Fault::ChangeFile => "changed file",
        Fault::Slow { .. } => "slow",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eighty_downloads_with_random_faults_arrive_intact() {
    let seed = common::fault_seed();
    let mut rng = Rng::new(seed);
    let concurrency = rng.range(2, 5) as usize;
    println!("download_faults: seed {seed}, {DOWNLOADS} downloads, concurrency {concurrency}");

    let server = FaultyServer::start();
    let hints = [
        "Episode",
        "Episode",
        "../../etc/passwd",
        "CON",
        "",
        "Ep: 1/2",
        "  .hidden  ",
        "Ünïcödé — 🎧 episode",
    ];
    let types = ["audio/mpeg", "audio/mp4", "audio/ogg"];
    let mut injected: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut stalls = 0;
    let mut plan = Vec::new();
    for i in 0..DOWNLOADS {
        let size = rng.range(50_000, 500_001) as usize;
        let etag = rng.chance(70);
        let opts = FileOpts {
            etag,
            last_modified: if etag { rng.chance(50) } else { rng.chance(70) },
            ranges: rng.chance(85),
            content_type: types[rng.range(0, 3) as usize].to_string(),
        };
        let path = format!("/media/{i}/file");
        server.add_with(&path, rng.bytes(size), opts);
        let n_faults = if rng.chance(20) { 0 } else { rng.range(1, 5) };
        let faults: Vec<Fault> = (0..n_faults)
            .map(|_| random_fault(&mut rng, size, &mut stalls))
            .collect();
        for f in &faults {
            *injected.entry(fault_name(f)).or_default() += 1;
        }
        server.push_faults(&path, faults);
        let hint = hints[rng.range(0, hints.len() as u64) as usize];
        plan.push((path, hint));
    }
    println!("download_faults: faults injected {injected:?}");

    let dir = tempfile::tempdir().unwrap();
    let manager = DownloadManager::new(common::fault_tolerant_downloads(concurrency));
    let started = Instant::now();
    let ids: Vec<_> = plan
        .iter()
        .map(|(path, hint)| {
            manager.enqueue(Url::parse(&server.url(path)).unwrap(), dir.path(), hint)
        })
        .collect();

    let mut done = Vec::new();
    for (id, (path, _)) in ids.iter().zip(&plan) {
        let outcome = tokio::time::timeout(Duration::from_secs(25), manager.wait(*id))
            .await
            .unwrap_or_else(|_| panic!("seed {seed}: {path} did not finish"))
            .unwrap();
        match outcome {
            Outcome::Completed(c) => done.push((path.clone(), c)),
            other => panic!("seed {seed}: {path} ended {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    let log = server.all_requests();
    let resumed = log.iter().filter(|r| r.status == 206).count();
    let restarted = log
        .iter()
        .filter(|r| r.range.is_some() && r.status == 200)
        .count();
    println!(
        "download_faults: {DOWNLOADS} downloads, {} requests ({resumed} resumed with 206, \
         {restarted} ranges answered 200), {:.2} s",
        log.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        resumed > 0 && restarted > 0,
        "seed {seed}: the faults exercised resuming"
    );

    // Every file is byte-identical to its source (as the source is now: some changed).
    let mut paths = BTreeSet::new();
    for (path, c) in &done {
        let source = server.content(path);
        let on_disk = std::fs::read(&c.path).unwrap();
        assert!(
            on_disk == *source,
            "seed {seed}: {} ({path}) differs from its source ({} vs {} bytes)",
            c.path.display(),
            on_disk.len(),
            source.len()
        );
        // The default hash, SHA-256 (the app's BLAKE3 is checked by tests/downloads_library.rs).
        assert_eq!(
            c.sha256(),
            Some(sha256_hex(&source).as_str()),
            "seed {seed}: {path}"
        );
        assert_eq!(c.size, source.len() as u64);
        assert_eq!(c.path.parent().unwrap(), dir.path());
        assert!(
            paths.insert(c.path.clone()),
            "two downloads share {:?}",
            c.path
        );
    }

    // Nothing else is in the folder: no .part, no .part.meta, no temporary file.
    let on_disk: BTreeSet<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let stray: Vec<_> = on_disk.difference(&paths).collect();
    assert!(stray.is_empty(), "seed {seed}: left behind {stray:?}");
    assert_eq!(on_disk.len(), DOWNLOADS);

    // The manager's records agree with the disk.
    let records = manager.snapshot();
    assert_eq!(records.len(), DOWNLOADS);
    for r in &records {
        assert_eq!(r.state, DownloadState::Completed, "{r:?}");
        let path = r.path.as_ref().unwrap();
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(r.bytes, bytes.len() as u64, "{r:?}");
        assert_eq!(r.total, Some(bytes.len() as u64));
        assert_eq!(r.hash, Some(format!("sha256:{}", sha256_hex(&bytes))));
    }
    let recorded: BTreeSet<_> = records.iter().map(|r| r.path.clone().unwrap()).collect();
    assert_eq!(recorded, on_disk);
    assert!(
        elapsed < Duration::from_secs(25),
        "took {elapsed:?} (seed {seed})"
    );
}
