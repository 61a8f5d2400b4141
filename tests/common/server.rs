//! A small HTTP/1.1 server on 127.0.0.1 for tests: each route is a closure, every request is
//! logged, and responses can be slow, huge or wrong on purpose.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

pub enum Body {
    Bytes(Vec<u8>),
    /// `len` bytes made of `chunk` repeated, streamed without holding them all.
    Repeat {
        chunk: Vec<u8>,
        len: usize,
    },
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delay: Option<Duration>,
}

impl Response {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
            delay: None,
        }
    }
    /// Serves `bytes` honouring a `Range: bytes=N-[M]` request header (206 + Content-Range).
    pub fn ranged(req: &Request, content_type: &str, bytes: &[u8]) -> Self {
        let total = bytes.len();
        match req.header("range").and_then(|r| parse_range(r, total)) {
            Some((start, _)) if start >= total => {
                Self::status(416).header("Content-Range", &format!("bytes */{total}"))
            }
            Some((start, end)) => Self {
                status: 206,
                headers: vec![
                    ("Content-Type".into(), content_type.into()),
                    ("Accept-Ranges".into(), "bytes".into()),
                    (
                        "Content-Range".into(),
                        format!("bytes {start}-{end}/{total}"),
                    ),
                ],
                body: Body::Bytes(bytes[start..=end].to_vec()),
                delay: None,
            },
            None => Self::ok(content_type, bytes.to_vec()).header("Accept-Ranges", "bytes"),
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: Body::Bytes(Vec::new()),
            delay: None,
        }
    }
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }
}

type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Handler>>>,
    pub log: Arc<Mutex<Vec<Request>>>,
}

/// The reason phrase for a status line.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// `bytes=N-` or `bytes=N-M` → (N, M inclusive, clamped to `len`).
pub fn parse_range(v: &str, len: usize) -> Option<(usize, usize)> {
    let (a, b) = v.trim().strip_prefix("bytes=")?.split_once('-')?;
    let start: usize = a.trim().parse().ok()?;
    let end = if b.trim().is_empty() {
        len.checked_sub(1)?
    } else {
        b.trim().parse::<usize>().ok()?.min(len.checked_sub(1)?)
    };
    Some((start, end))
}

impl Server {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Handler>>> = Arc::default();
        let log: Arc<Mutex<Vec<Request>>> = Arc::default();
        let (r, l) = (routes.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, l) = (r.clone(), l.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, &l);
                });
            }
        });
        Self { base, routes, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn route(&self, path: &str, f: impl Fn(&Request) -> Response + Send + Sync + 'static) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Arc::new(f));
    }

    /// `path` answers 200 with `body`, whatever was asked.
    pub fn serve(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        let (content_type, body) = (content_type.to_string(), body.into());
        self.route(path, move |_| Response::ok(&content_type, body.clone()));
    }

    pub fn requests(&self, path: &str) -> Vec<Request> {
        logged(&self.log, |r| r.path == path)
    }
}

/// The entries of a request log that `keep` keeps, in order.
pub fn logged<T: Clone>(log: &Mutex<Vec<T>>, keep: impl Fn(&T) -> bool) -> Vec<T> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|r| keep(r))
        .cloned()
        .collect()
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Handler>>,
    log: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let req = read_request(&mut reader)?;
    log.lock().unwrap().push(req.clone());
    let handler = routes.lock().unwrap().get(&req.path).cloned();
    let resp = match handler {
        Some(h) => h(&req),
        None => Response::status(404),
    };
    if let Some(d) = resp.delay {
        std::thread::sleep(d);
    }
    let len = match &resp.body {
        Body::Bytes(b) => b.len(),
        Body::Repeat { len, .. } => *len,
    };
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nConnection: close\r\nContent-Length: {len}\r\n",
        resp.status,
        reason(resp.status)
    );
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if req.method != "HEAD" {
        match resp.body {
            Body::Bytes(b) => out.write_all(&b)?,
            Body::Repeat { chunk, len } => {
                let mut left = len;
                while left > 0 {
                    let n = left.min(chunk.len());
                    out.write_all(&chunk[..n])?;
                    left -= n;
                }
            }
        }
    }
    finish(out, reader)
}

/// Reads a request line and its headers (names lower-cased); the body, if any, is left unread.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Request> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok(Request {
        method,
        path,
        headers,
    })
}

/// Flushes the answer, then drains anything left so the client sees a clean close.
pub fn finish(mut out: TcpStream, mut reader: BufReader<TcpStream>) -> std::io::Result<()> {
    let _ = out.flush();
    let _ = reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(50)));
    let mut sink = [0u8; 256];
    let _ = reader.read(&mut sink);
    Ok(())
}
