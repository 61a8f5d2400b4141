//! A file server on 127.0.0.1 that misbehaves on purpose, for the download tests: each file has
//! a queue of faults, one taken per request — cut the connection after N bytes, stall, answer
//! 500, send a wrong Content-Length, ignore Range, change the file (new ETag) — and honours
//! `Range` / `If-Range` otherwise. Every request is logged.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use super::rng::Rng;
use super::server::{finish, logged, parse_range, read_request, reason, Request};

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer normally but close the connection after this many body bytes.
    CutAfter(usize),
    /// Send this many body bytes, then go silent for `pause`, then close.
    Stall { after: usize, pause: Duration },
    /// Answer with this status and no body.
    Status(u16),
    /// A Content-Length that does not match the body: on a 200, larger than what is sent
    /// (then the connection closes); on a 206, smaller than the Content-Range says.
    WrongLength,
    /// Answer 200 with the whole file, whatever Range asked.
    IgnoreRange,
    /// Before answering, replace the file with a new version (new length, ETag and date).
    ChangeFile,
    /// Send the body slowly: `bytes` every `every`.
    Slow { bytes: usize, every: Duration },
}

#[derive(Debug, Clone)]
pub struct FileOpts {
    pub etag: bool,
    pub last_modified: bool,
    pub ranges: bool,
    pub content_type: String,
}

impl Default for FileOpts {
    fn default() -> Self {
        Self {
            etag: true,
            last_modified: true,
            ranges: true,
            content_type: "audio/mpeg".into(),
        }
    }
}

struct Entry {
    content: Arc<Vec<u8>>,
    version: u32,
    opts: FileOpts,
    faults: VecDeque<Fault>,
    /// Applied to every request after the queue is empty (e.g. a slow drip for pause tests).
    always: Option<Fault>,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub status: u16,
    pub fault: Option<Fault>,
}

#[derive(Default)]
struct Shared {
    files: Mutex<HashMap<String, Entry>>,
    redirects: Mutex<HashMap<String, String>>,
    log: Mutex<Vec<Logged>>,
    active: AtomicUsize,
    max_active: AtomicUsize,
}

pub struct FaultyServer {
    pub base: String,
    shared: Arc<Shared>,
}

fn etag_of(content: &[u8], version: u32) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in content.iter().step_by(97) {
        h = (h ^ *b as u64).wrapping_mul(0x100_0000_01b3);
    }
    format!("\"v{version}-{:x}-{h:x}\"", content.len())
}

fn last_modified_of(version: u32) -> String {
    let s = version % 60;
    let m = (version / 60) % 60;
    format!("Mon, 01 Jan 2024 10:{m:02}:{s:02} GMT")
}

impl FaultyServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared: Arc<Shared> = Arc::default();
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &s);
                });
            }
        });
        Self { base, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn add(&self, path: &str, content: Vec<u8>) {
        self.add_with(path, content, FileOpts::default());
    }

    pub fn add_with(&self, path: &str, content: Vec<u8>, opts: FileOpts) {
        self.shared.files.lock().unwrap().insert(
            path.to_string(),
            Entry {
                content: Arc::new(content),
                version: 1,
                opts,
                faults: VecDeque::new(),
                always: None,
            },
        );
    }

    /// Faults for the next requests of `path`, one per request, in order.
    pub fn push_faults(&self, path: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut files = self.shared.files.lock().unwrap();
        files.get_mut(path).unwrap().faults.extend(faults);
    }

    /// A fault applied to every request once the queue is empty (`None` to stop).
    pub fn set_always(&self, path: &str, fault: Option<Fault>) {
        let mut files = self.shared.files.lock().unwrap();
        files.get_mut(path).unwrap().always = fault;
    }

    /// `from` answers 302 to `to` (a path or a full URL).
    pub fn redirect(&self, from: &str, to: &str) {
        self.shared
            .redirects
            .lock()
            .unwrap()
            .insert(from.to_string(), to.to_string());
    }

    /// The file as it is now (after any `ChangeFile`).
    pub fn content(&self, path: &str) -> Arc<Vec<u8>> {
        self.shared.files.lock().unwrap()[path].content.clone()
    }

    pub fn requests(&self, path: &str) -> Vec<Logged> {
        logged(&self.shared.log, |r| r.path == path)
    }

    pub fn all_requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The most connections served at once so far.
    pub fn max_concurrent(&self) -> usize {
        self.shared.max_active.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let Request {
        method,
        path,
        headers,
    } = read_request(&mut reader)?;
    let range = headers.get("range").cloned();
    let if_range = headers.get("if-range").cloned();
    let mut out = stream;

    let log = |status: u16, fault: Option<Fault>| {
        shared.log.lock().unwrap().push(Logged {
            path: path.clone(),
            range: range.clone(),
            if_range: if_range.clone(),
            status,
            fault,
        });
    };

    if let Some(to) = shared.redirects.lock().unwrap().get(&path).cloned() {
        log(302, None);
        let head = format!(
            "HTTP/1.1 302 Found\r\nConnection: close\r\nContent-Length: 0\r\nLocation: {to}\r\n\r\n"
        );
        out.write_all(head.as_bytes())?;
        return finish(out, reader);
    }

    // Take this request's fault and a consistent view of the file.
    let taken = {
        let mut files = shared.files.lock().unwrap();
        files.get_mut(&path).map(|e| {
            let fault = e.faults.pop_front().or_else(|| e.always.clone());
            if fault == Some(Fault::ChangeFile) {
                e.version += 1;
                let mut rng = Rng::new(e.version as u64 * 7919 + e.content.len() as u64);
                let len = (e.content.len() as u64 * 9 / 10 + rng.range(1, 4096)) as usize;
                e.content = Arc::new(rng.bytes(len));
            }
            (fault, e.content.clone(), e.version, e.opts.clone())
        })
    };
    let Some((fault, content, version, opts)) = taken else {
        log(404, None);
        out.write_all(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?;
        return finish(out, reader);
    };
    if let Some(Fault::Status(code)) = fault {
        log(code, fault.clone());
        let head = format!(
            "HTTP/1.1 {code} {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            reason(code)
        );
        out.write_all(head.as_bytes())?;
        return finish(out, reader);
    }

    let etag = opts.etag.then(|| etag_of(&content, version));
    let last_modified = opts.last_modified.then(|| last_modified_of(version));
    let len = content.len();
    let validator_ok = match &if_range {
        None => true,
        Some(v) => Some(v) == etag.as_ref() || Some(v) == last_modified.as_ref(),
    };
    let honour_range = opts.ranges && fault != Some(Fault::IgnoreRange) && validator_ok;
    let (status, start, end) = match range.as_deref().filter(|_| honour_range) {
        Some(r) => match parse_range(r, len) {
            Some((s, _)) if s >= len => (416, 0, 0),
            Some((s, e)) => (206, s, e + 1),
            None => (200, 0, len),
        },
        None => (200, 0, len),
    };
    log(status, fault.clone());

    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
        reason(status)
    );
    if status == 416 {
        head.push_str(&format!(
            "Content-Range: bytes */{len}\r\nContent-Length: 0\r\n\r\n"
        ));
        out.write_all(head.as_bytes())?;
        return finish(out, reader);
    }
    let body = &content[start..end];
    let declared = match (&fault, status) {
        (Some(Fault::WrongLength), 206) => body.len().saturating_sub(1 + body.len() / 3),
        (Some(Fault::WrongLength), _) => body.len() + 1000,
        _ => body.len(),
    };
    head.push_str(&format!(
        "Content-Type: {}\r\nContent-Length: {declared}\r\n",
        opts.content_type
    ));
    if opts.ranges {
        head.push_str("Accept-Ranges: bytes\r\n");
    }
    if status == 206 {
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{len}\r\n",
            end - 1
        ));
    }
    if let Some(e) = &etag {
        head.push_str(&format!("ETag: {e}\r\n"));
    }
    if let Some(l) = &last_modified {
        head.push_str(&format!("Last-Modified: {l}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if method == "HEAD" {
        return finish(out, reader);
    }

    // Counts responses whose body is being sent (for the concurrency test).
    let now = shared.active.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_active.fetch_max(now, Ordering::SeqCst);
    let result = send_body(&mut out, body, declared, fault);
    shared.active.fetch_sub(1, Ordering::SeqCst);
    if result? {
        finish(out, reader)
    } else {
        Ok(())
    }
}

/// Sends the body as `fault` says; returns whether the connection is still open.
fn send_body(
    out: &mut TcpStream,
    body: &[u8],
    declared: usize,
    fault: Option<Fault>,
) -> std::io::Result<bool> {
    let send = |out: &mut TcpStream, bytes: &[u8]| -> std::io::Result<()> {
        for chunk in bytes.chunks(16 * 1024) {
            out.write_all(chunk)?;
        }
        Ok(())
    };
    let cut = |out: &mut TcpStream| {
        let _ = out.flush();
        let _ = out.shutdown(Shutdown::Both);
    };
    match fault {
        Some(Fault::CutAfter(n)) => {
            send(out, &body[..n.min(body.len())])?;
            cut(out);
            Ok(false)
        }
        Some(Fault::Stall { after, pause }) => {
            send(out, &body[..after.min(body.len())])?;
            let _ = out.flush();
            std::thread::sleep(pause);
            cut(out);
            Ok(false)
        }
        Some(Fault::WrongLength) => {
            send(out, &body[..declared.min(body.len())])?;
            cut(out);
            Ok(false)
        }
        Some(Fault::Slow { bytes, every }) => {
            for (i, chunk) in body.chunks(bytes.max(1)).enumerate() {
                if i > 0 {
                    std::thread::sleep(every);
                }
                out.write_all(chunk)?;
                out.flush()?;
            }
            Ok(true)
        }
        _ => {
            send(out, body)?;
            Ok(true)
        }
    }
}
