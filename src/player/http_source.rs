//! Playing an episode straight from its URL: a symphonia `MediaSource` over HTTP. Sequential
//! reads share one streaming response; a seek elsewhere starts a ranged request at that byte,
//! so a jump past what has arrived fetches just that part rather than waiting for the rest.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use symphonia::core::io::MediaSource;

struct Inner {
    /// This source's own runtime; every network call, and dropping a response, happens in it.
    rt: std::sync::Arc<tokio::runtime::Runtime>,
    client: reqwest::Client,
    url: String,
    len: Option<u64>,
    seekable: bool,
    pos: u64,
    /// The open response and the offset of the next byte it will deliver.
    response: Option<(reqwest::Response, u64)>,
    /// Bytes received but not yet read, starting at `pending_at`.
    pending: bytes::Bytes,
    pending_at: u64,
}

pub struct HttpSource {
    inner: Mutex<Inner>,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// `bytes 100-199/5000` → 5000
fn total_from_content_range(v: &str) -> Option<u64> {
    v.rsplit('/').next()?.trim().parse().ok()
}

impl HttpSource {
    /// Opens `url`, learning its length and whether it can seek. Blocks (call off the UI).
    pub fn open(url: &str, timeout: Duration) -> io::Result<Self> {
        let rt = std::sync::Arc::new(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        );
        // The client's timers belong to this source's own runtime.
        let _context = rt.enter();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .read_timeout(timeout)
            .user_agent(concat!(
                "Earshot/",
                env!("CARGO_PKG_VERSION"),
                " (podcast player)"
            ))
            .build()
            .map_err(io_err)?;
        let mut inner = Inner {
            rt,
            client,
            url: url.to_string(),
            len: None,
            seekable: false,
            pos: 0,
            response: None,
            pending: bytes::Bytes::new(),
            pending_at: 0,
        };
        inner.request(0)?;
        Ok(Self {
            inner: Mutex::new(inner),
        })
    }
}

impl Inner {
    /// Starts a response delivering bytes from `from` on.
    fn request(&mut self, from: u64) -> io::Result<()> {
        let rt = self.rt.clone();
        let _context = rt.enter();
        self.response = None;
        self.pending = bytes::Bytes::new();
        let req = self
            .client
            .get(&self.url)
            .header(RANGE, format!("bytes={from}-"));
        let resp = self.rt.block_on(req.send()).map_err(io_err)?;
        match resp.status() {
            StatusCode::PARTIAL_CONTENT => {
                self.seekable = true;
                if let Some(total) = resp
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(total_from_content_range)
                {
                    self.len = Some(total);
                }
                self.response = Some((resp, from));
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                // At or past the end: nothing more to read.
                self.response = None;
            }
            s if s.is_success() => {
                // The server ignores ranges: only a read from the start can be served.
                self.len = resp.content_length();
                self.seekable = false;
                if from != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "the server cannot seek (no Range support)",
                    ));
                }
                self.response = Some((resp, 0));
            }
            s => return Err(io_err(format!("the server answered {s} for {}", self.url))),
        }
        Ok(())
    }

    fn read_at_pos(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rt = self.rt.clone();
        let _context = rt.enter();
        loop {
            // Serve from what has arrived.
            if self.pending_at <= self.pos && self.pos < self.pending_at + self.pending.len() as u64
            {
                let off = (self.pos - self.pending_at) as usize;
                let n = buf.len().min(self.pending.len() - off);
                buf[..n].copy_from_slice(&self.pending[off..off + n]);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.len.is_some_and(|l| self.pos >= l) {
                return Ok(0);
            }
            let in_line = matches!(&self.response, Some((_, next)) if *next == self.pos);
            if !in_line {
                self.request(self.pos)?;
                if self.response.is_none() {
                    return Ok(0);
                }
            }
            let (resp, next) = self.response.as_mut().expect("requested above");
            match self.rt.block_on(resp.chunk()).map_err(io_err)? {
                Some(chunk) => {
                    self.pending_at = *next;
                    *next += chunk.len() as u64;
                    self.pending = chunk;
                }
                None => {
                    self.response = None;
                    return Ok(0);
                }
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let rt = self.rt.clone();
        let _context = rt.enter();
        self.response = None;
    }
}

impl Read for HttpSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.lock().map_err(io_err)?.read_at_pos(buf)
    }
}

impl Seek for HttpSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let mut inner = self.inner.lock().map_err(io_err)?;
        let target = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::Current(d) => inner.pos as i128 + d as i128,
            SeekFrom::End(d) => match inner.len {
                Some(l) => l as i128 + d as i128,
                None => return Err(io::Error::new(io::ErrorKind::Unsupported, "length unknown")),
            },
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        }
        inner.pos = target as u64;
        Ok(inner.pos)
    }
}

impl MediaSource for HttpSource {
    fn is_seekable(&self) -> bool {
        self.inner.lock().map(|i| i.seekable).unwrap_or(false)
    }
    fn byte_len(&self) -> Option<u64> {
        self.inner.lock().ok().and_then(|i| i.len)
    }
}
