//! Subscribing and refreshing against feeds served from 127.0.0.1: the good paths, and every
//! way a server can fail, none of which may lose what the library already holds.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::runtime as rt;
use common::server::{Body, Request, Response, Server};
use earshot::feedgen::{self, FeedSpec};
use earshot::fetch::Http;
use earshot::library::{EpisodeId, Library, PodcastId};
use earshot::subscriptions::{RefreshStatus, Subscriptions};
use tokio::runtime::Runtime;

fn setup() -> (Subscriptions, Arc<Mutex<Library>>) {
    let lib = Arc::new(Mutex::new(Library::open_in_memory().unwrap()));
    (
        Subscriptions::new(Http::with_timeout(Duration::from_secs(2)), lib.clone()),
        lib,
    )
}

fn feed(title: &str, first: usize, count: usize) -> String {
    feedgen::rss(&FeedSpec {
        title,
        first,
        count,
        base: "https://cdn.example",
        guids: true,
    })
}

/// Subscribes to `srv`'s `/feed.xml`: the subscriptions, their library, a runtime to drive
/// them, and the podcast.
fn subscribed(srv: &Server) -> (Subscriptions, Arc<Mutex<Library>>, Runtime, PodcastId) {
    let (subs, lib) = setup();
    let rt = rt();
    let id = rt.block_on(subs.subscribe(&srv.url("/feed.xml"))).unwrap();
    (subs, lib, rt, id)
}

/// Routes `path` to `respond`, which is told the stage the test is at: the value of the
/// returned counter, 0 at first.
fn route_by_stage(
    srv: &Server,
    path: &str,
    respond: impl Fn(usize, &Request) -> Response + Send + Sync + 'static,
) -> Arc<AtomicUsize> {
    let stage = Arc::new(AtomicUsize::new(0));
    let s = stage.clone();
    srv.route(path, move |req| respond(s.load(Ordering::SeqCst), req));
    stage
}

fn save_progress(lib: &Mutex<Library>, episode: EpisodeId, secs: f64) {
    lib.lock()
        .unwrap()
        .save_progress(episode, secs, false)
        .unwrap();
}

/// Serves `body` as an RSS feed at `path`.
fn serve_feed(srv: &Server, path: &str, body: String) {
    srv.serve(path, "application/rss+xml", body);
}

/// Serves at `/feed.xml` a feed of `count` episodes whose files, art and chapters are on `srv`.
fn serve_local_feed(srv: &Server, title: &str, count: usize) {
    let spec = FeedSpec {
        title,
        first: 1,
        count,
        base: &srv.base,
        guids: true,
    };
    serve_feed(srv, "/feed.xml", feedgen::rss(&spec));
}

fn titles(lib: &Mutex<Library>, id: PodcastId) -> Vec<String> {
    lib.lock()
        .unwrap()
        .episodes(id)
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect()
}

#[test]
fn subscribe_lists_episodes_newest_first_and_twice_is_once() {
    let srv = Server::start();
    serve_feed(&srv, "/feed.xml", feed("Local Show", 1, 25));
    let (subs, lib, rt, id) = subscribed(&srv);
    let eps = lib.lock().unwrap().episodes(id).unwrap();
    assert_eq!(eps.len(), 25);
    assert!(eps[0].title.starts_with("Episode 25"), "{}", eps[0].title);
    assert!(
        eps.iter().all(|e| !e.is_new),
        "a first subscribe marks nothing new"
    );
    assert_eq!(eps[0].duration_secs, Some(3600.0 + 25.0 * 60.0 + 55.0));
    let again = rt.block_on(subs.subscribe(&srv.url("/feed.xml"))).unwrap();
    assert_eq!(again, id);
    assert_eq!(lib.lock().unwrap().podcasts().unwrap().len(), 1);
}

#[test]
fn a_web_page_that_links_its_feed_is_followed() {
    let srv = Server::start();
    serve_feed(&srv, "/feed.xml", feed("Linked Show", 1, 3));
    srv.route("/", |_| {
        Response::ok(
            "text/html",
            "<!DOCTYPE html><html><head><title>Show</title><link rel=\"alternate\" type=\"application/rss+xml\" title=\"RSS\" href=\"/feed.xml\"></head><body>Hi</body></html>",
        )
    });
    let (subs, lib) = setup();
    let id = rt().block_on(subs.subscribe(&srv.url("/"))).unwrap();
    let pods = lib.lock().unwrap().podcasts().unwrap();
    assert_eq!(pods[0].title, "Linked Show");
    assert_eq!(
        pods[0].feed_url,
        srv.url("/feed.xml"),
        "the feed's address is kept, not the page's"
    );
    assert_eq!(titles(&lib, id).len(), 3);
}

#[test]
fn refresh_uses_conditional_get_and_marks_only_new_items_new() {
    let srv = Server::start();
    let version = route_by_stage(&srv, "/feed.xml", |n, req| {
        let etag = format!("\"v{n}\"");
        if req.header("if-none-match") == Some(etag.as_str()) {
            return Response::status(304);
        }
        Response::ok("application/rss+xml", feed("Growing Show", 1, 20 + 10 * n))
            .header("ETag", &etag)
    });
    let (subs, lib, rt, id) = subscribed(&srv);
    let first = lib.lock().unwrap().episodes(id).unwrap();
    save_progress(&lib, first[3].id, 123.0);

    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(r.status, RefreshStatus::Unchanged);
    assert_eq!(
        srv.requests("/feed.xml")
            .last()
            .unwrap()
            .header("if-none-match"),
        Some("\"v0\"")
    );

    version.store(1, Ordering::SeqCst);
    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!((r.status, r.new_episodes), (RefreshStatus::Updated, 10));
    let eps = lib.lock().unwrap().episodes(id).unwrap();
    assert_eq!(eps.len(), 30);
    assert_eq!(eps.iter().filter(|e| e.is_new).count(), 10);
    assert!(
        eps[..10].iter().all(|e| e.is_new),
        "the ten newest are the new ones"
    );
    let kept = eps.iter().find(|e| e.id == first[3].id).unwrap();
    assert_eq!(kept.position_secs, 123.0, "progress survives a refresh");
    assert_eq!(lib.lock().unwrap().podcasts().unwrap()[0].new_count, 10);
}

#[test]
fn the_same_bytes_again_without_validators_are_not_stored_again() {
    let srv = Server::start();
    serve_feed(&srv, "/feed.xml", feed("Plain Server", 1, 50));
    let (subs, lib, rt, id) = subscribed(&srv);
    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(r.status, RefreshStatus::Unchanged);
    assert_eq!(titles(&lib, id).len(), 50);
}

/// Every failure leaves the library as it was and names the feed and the cause.
fn assert_refresh_fails_cleanly(
    respond: impl Fn(&Request) -> Response + Send + Sync + 'static,
    cause: &str,
) {
    let srv = Server::start();
    let body = feed("Fragile Show", 1, 12);
    let broken = route_by_stage(&srv, "/feed.xml", move |stage, req| {
        if stage == 1 {
            respond(req)
        } else {
            Response::ok("application/rss+xml", body.clone())
        }
    });
    let (subs, lib, rt, id) = subscribed(&srv);
    let before = lib.lock().unwrap().episodes(id).unwrap();
    save_progress(&lib, before[0].id, 42.0);
    broken.store(1, Ordering::SeqCst);
    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(r.status, RefreshStatus::Failed, "{r:?}");
    let msg = r.message.unwrap();
    assert!(
        msg.contains("Fragile Show") && msg.contains(&srv.url("/feed.xml")),
        "names the feed: {msg}"
    );
    assert!(msg.contains(cause), "names the cause ({cause}): {msg}");
    let after = lib.lock().unwrap().episodes(id).unwrap();
    assert_eq!(after.len(), before.len(), "nothing deleted");
    assert_eq!(after[0].position_secs, 42.0, "progress kept");
    let pods = lib.lock().unwrap().podcasts().unwrap();
    assert_eq!(
        pods[0].last_error.as_deref(),
        Some(msg.as_str()),
        "the failure is visible in the library"
    );
}

#[test]
fn refresh_404_keeps_everything() {
    assert_refresh_fails_cleanly(|_| Response::status(404), "404 Not Found");
}

#[test]
fn refresh_500_keeps_everything() {
    assert_refresh_fails_cleanly(|_| Response::status(500), "500 Internal Server Error");
}

#[test]
fn refresh_timeout_keeps_everything() {
    assert_refresh_fails_cleanly(
        |_| Response::ok("application/rss+xml", "<rss/>").delayed(Duration::from_secs(4)),
        "did not answer",
    );
}

#[test]
fn refresh_malformed_xml_keeps_everything() {
    assert_refresh_fails_cleanly(
        |_| {
            Response::ok(
                "application/rss+xml",
                "<?xml version=\"1.0\"?><rss><channel><title>Oops</title><item><title>x</item>",
            )
        },
        "not valid XML",
    );
}

#[test]
fn refresh_html_instead_of_a_feed_keeps_everything() {
    assert_refresh_fails_cleanly(
        |_| {
            Response::ok(
                "text/html",
                "<!DOCTYPE html><html><body><h1>Site moved</h1></body></html>",
            )
        },
        "web page",
    );
}

#[test]
fn refresh_redirect_loop_keeps_everything() {
    assert_refresh_fails_cleanly(
        |_| Response::redirect(302, "/feed.xml"),
        "redirects in a loop",
    );
}

#[test]
fn a_100_mb_feed_is_refused_not_loaded() {
    assert_refresh_fails_cleanly(
        |_| Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/rss+xml".into())],
            body: Body::Repeat {
                chunk: b"<!-- padding -->".repeat(4096),
                len: 100 * 1024 * 1024,
            },
            delay: None,
        },
        "larger than 64 MB",
    );
}

#[test]
fn permanent_redirects_are_remembered_temporary_ones_are_not() {
    let srv = Server::start();
    serve_feed(&srv, "/new.xml", feed("Moving Show", 1, 5));
    serve_feed(&srv, "/temp.xml", feed("Moving Show", 1, 5));
    let body = feed("Moving Show", 1, 5);
    let moved = route_by_stage(&srv, "/old.xml", move |stage, _| match stage {
        0 => Response::ok("application/rss+xml", body.clone()),
        1 => Response::redirect(302, "/temp.xml"),
        _ => Response::redirect(301, "/new.xml"),
    });
    let (subs, lib) = setup();
    let rt = rt();
    let id = rt.block_on(subs.subscribe(&srv.url("/old.xml"))).unwrap();
    moved.store(1, Ordering::SeqCst);
    rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(
        lib.lock().unwrap().podcasts().unwrap()[0].feed_url,
        srv.url("/old.xml")
    );
    moved.store(2, Ordering::SeqCst);
    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_ne!(r.status, RefreshStatus::Failed, "{r:?}");
    assert_eq!(
        lib.lock().unwrap().podcasts().unwrap()[0].feed_url,
        srv.url("/new.xml")
    );
}

#[test]
fn subscribe_failures_are_clear() {
    let srv = Server::start();
    srv.route("/page", |_| {
        Response::ok(
            "text/html",
            "<html><head><title>No feed</title></head><body>Nothing</body></html>",
        )
    });
    let (subs, lib) = setup();
    let rt = rt();
    let err = rt
        .block_on(subs.subscribe(&srv.url("/missing.xml")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&srv.url("/missing.xml")) && err.contains("404"),
        "{err}"
    );
    let err = rt
        .block_on(subs.subscribe(&srv.url("/page")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("links no feed"), "{err}");
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = rt
        .block_on(subs.subscribe(&format!("http://{dead}/feed.xml")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("could not connect"), "{err}");
    let err = rt
        .block_on(subs.subscribe("ftp://example.org/feed"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an http(s) address"), "{err}");
    assert!(
        lib.lock().unwrap().podcasts().unwrap().is_empty(),
        "nothing half-added"
    );
}

#[test]
fn items_without_guids_are_matched_by_enclosure_across_refreshes() {
    let srv = Server::start();
    let version = route_by_stage(&srv, "/feed.xml", |n, _| {
        let spec = FeedSpec {
            title: "No GUIDs",
            first: 1,
            count: 5 + n,
            base: "https://cdn.example",
            guids: false,
        };
        Response::ok("application/rss+xml", feedgen::rss(&spec))
    });
    let (subs, lib, rt, id) = subscribed(&srv);
    version.store(2, Ordering::SeqCst);
    let r = rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(r.new_episodes, 2);
    assert_eq!(titles(&lib, id).len(), 7, "no duplicates");
}

#[test]
fn refresh_all_reports_each_podcast_and_progress() {
    let srv = Server::start();
    for i in 0..6 {
        serve_feed(
            &srv,
            &format!("/f{i}.xml"),
            feed(&format!("Show {i}"), 1, 3),
        );
    }
    let (subs, _lib) = setup();
    let rt = rt();
    for i in 0..6 {
        rt.block_on(subs.subscribe(&srv.url(&format!("/f{i}.xml"))))
            .unwrap();
    }
    srv.route("/f2.xml", |_| Response::status(500));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let reports = rt
        .block_on(subs.refresh_all(move |done, total| s.lock().unwrap().push((done, total))))
        .unwrap();
    assert_eq!(reports.len(), 6);
    assert_eq!(
        reports
            .iter()
            .filter(|r| r.status == RefreshStatus::Failed)
            .count(),
        1
    );
    assert!(reports
        .iter()
        .any(|r| r.title == "Show 2" && r.status == RefreshStatus::Failed));
    assert_eq!(seen.lock().unwrap().last(), Some(&(6, 6)));
}

#[test]
fn unsubscribe_removes_the_podcast_and_its_progress() {
    let srv = Server::start();
    serve_feed(&srv, "/feed.xml", feed("Leaving Show", 1, 4));
    let (subs, lib) = setup();
    let id = rt()
        .block_on(subs.subscribe(&srv.url("/feed.xml")))
        .unwrap();
    let ep = lib.lock().unwrap().episodes(id).unwrap()[0].id;
    save_progress(&lib, ep, 10.0);
    subs.unsubscribe(id).unwrap();
    let l = lib.lock().unwrap();
    assert!(l.podcasts().unwrap().is_empty());
    assert_eq!(l.progress(ep).unwrap(), None);
    assert!(l.episode(ep).is_err());
}

#[test]
fn opml_import_subscribes_and_export_lists_them() {
    let srv = Server::start();
    for i in 0..2 {
        serve_feed(
            &srv,
            &format!("/o{i}.xml"),
            feed(&format!("Imported {i}"), 1, 2),
        );
    }
    let opml = format!(
        r#"<?xml version="1.0"?><opml version="1.0"><head/><body><outline text="Podcasts">
<outline type="rss" text="Zero" xmlUrl="{}"/><outline type="rss" text="One" xmlUrl="{}"/>
<outline type="rss" text="Gone" xmlUrl="{}"/></outline></body></opml>"#,
        srv.url("/o0.xml"),
        srv.url("/o1.xml"),
        srv.url("/gone.xml")
    );
    let (subs, lib) = setup();
    let rt = rt();
    let report = rt.block_on(subs.import_opml(&opml, |_, _| {})).unwrap();
    assert_eq!(report.added, 2);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].message.contains("404"),
        "{:?}",
        report.failed
    );
    let again = rt.block_on(subs.import_opml(&opml, |_, _| {})).unwrap();
    assert_eq!(again.existing, 2);
    assert_eq!(lib.lock().unwrap().podcasts().unwrap().len(), 2);
    let (doc, count) = subs.export_opml().unwrap();
    assert_eq!(count, 2);
    let urls: Vec<String> = earshot::opml::parse(&doc)
        .unwrap()
        .into_iter()
        .map(|f| f.url)
        .collect();
    assert!(urls.contains(&srv.url("/o0.xml")) && urls.contains(&srv.url("/o1.xml")));
}

#[test]
fn artwork_is_fetched_once_and_only_if_it_is_an_image() {
    let srv = Server::start();
    serve_local_feed(&srv, "Art Show", 2);
    let png = [
        &[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[0u8; 64][..],
    ]
    .concat();
    let p2 = png.clone();
    srv.route("/art.jpg", move |_| Response::ok("image/jpeg", p2.clone()));
    let (subs, lib, rt, id) = subscribed(&srv);
    let (mime, bytes) = lib
        .lock()
        .unwrap()
        .artwork(id)
        .unwrap()
        .expect("artwork stored");
    assert_eq!(
        mime, "image/png",
        "judged by its bytes, not the server's word"
    );
    assert_eq!(bytes, png);
    assert!(lib.lock().unwrap().podcasts().unwrap()[0].has_artwork);
    srv.route("/feed.xml", |_| Response::status(304));
    rt.block_on(subs.refresh(id)).unwrap();
    assert_eq!(srv.requests("/art.jpg").len(), 1, "not fetched again");

    // A page that is not an image is not stored.
    let srv2 = Server::start();
    serve_local_feed(&srv2, "Bad Art", 1);
    srv2.route("/art.jpg", |_| {
        Response::ok("image/jpeg", "<html>not an image</html>")
    });
    let id2 = rt.block_on(subs.subscribe(&srv2.url("/feed.xml"))).unwrap();
    assert!(lib.lock().unwrap().artwork(id2).unwrap().is_none());
}

#[test]
fn chapters_come_from_the_chapters_file_else_from_show_note_time_stamps() {
    let srv = Server::start();
    serve_local_feed(&srv, "Chaptered", 2);
    srv.route("/chapters/2.json", |_| {
        Response::ok(
            "application/json+chapters",
            r#"{"version":"1.2.0","chapters":[{"startTime":0,"title":"Hello"},{"startTime":61.5,"title":"Middle"},{"startTime":300.25,"title":"End"}]}"#,
        )
    });
    // Episode 1's chapters file is missing (404): its show notes list times instead.
    let (subs, lib, rt, id) = subscribed(&srv);
    let eps = lib.lock().unwrap().episodes(id).unwrap();
    let (ep2, ep1) = (eps[0].id, eps[1].id);

    rt.block_on(subs.ensure_chapters(ep2)).unwrap();
    let ch = lib.lock().unwrap().chapters(ep2).unwrap();
    assert_eq!(
        ch.iter().map(|c| c.start).collect::<Vec<_>>(),
        [0.0, 61.5, 300.25]
    );
    assert_eq!(ch[1].title, "Middle");
    rt.block_on(subs.ensure_chapters(ep2)).unwrap();
    assert_eq!(srv.requests("/chapters/2.json").len(), 1, "fetched once");

    rt.block_on(subs.ensure_chapters(ep1)).unwrap();
    let ch = lib.lock().unwrap().chapters(ep1).unwrap();
    let starts: Vec<f64> = ch.iter().map(|c| c.start).collect();
    assert_eq!(starts, [0.0, 265.0, 1170.0, 2470.0, 3300.0], "{ch:?}");
    assert_eq!(ch[0].title, "Introduction");
}

#[test]
fn chapter_images_are_fetched_once_checked_and_cached() {
    let srv = Server::start();
    serve_local_feed(&srv, "Pictured", 1);
    let base = srv.base.clone();
    srv.route("/chapters/1.json", move |_| {
        Response::ok(
            "application/json+chapters",
            format!(
                r#"{{"version":"1.2.0","chapters":[
                    {{"startTime":0,"title":"Pictured","img":"{base}/img/a.png"}},
                    {{"startTime":10,"title":"Fake picture","img":"{base}/img/not.png"}},
                    {{"startTime":20,"title":"No picture"}},
                    {{"startTime":30,"title":"Inline","img":"data:image/png;base64,AAAA"}}]}}"#
            ),
        )
    });
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let served = png.clone();
    srv.route("/img/a.png", move |_| {
        Response::ok("image/png", served.clone())
    });
    srv.route("/img/not.png", |_| {
        Response::ok("image/png", "<html>a web page</html>")
    });
    let (subs, lib, rt, id) = subscribed(&srv);
    let ep = lib.lock().unwrap().episodes(id).unwrap()[0].id;
    rt.block_on(subs.ensure_chapters(ep)).unwrap();

    let got = rt.block_on(subs.chapter_image(ep, 0)).unwrap();
    assert_eq!(got, Some(("image/png".to_string(), png.clone())));
    let again = rt.block_on(subs.chapter_image(ep, 0)).unwrap();
    assert_eq!(again, Some(("image/png".to_string(), png)));
    assert_eq!(
        srv.requests("/img/a.png").len(),
        1,
        "fetched once, then cached"
    );
    // Not an image, no image, an inline one (the page shows those itself), out of range.
    assert_eq!(rt.block_on(subs.chapter_image(ep, 1)).unwrap(), None);
    assert_eq!(rt.block_on(subs.chapter_image(ep, 2)).unwrap(), None);
    assert_eq!(rt.block_on(subs.chapter_image(ep, 3)).unwrap(), None);
    assert_eq!(rt.block_on(subs.chapter_image(ep, 9)).unwrap(), None);
}
