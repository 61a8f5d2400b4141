//! HTTP for feeds: conditional GET, redirects followed by hand (so permanent ones can be
//! remembered and loops named), bounded sizes and time-outs, and errors a person can act on.

use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::StatusCode;
use url::Url;

/// Feeds bigger than this are refused (a 5,000-episode feed is ~10 MB).
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("the address is not a valid http(s) URL ({0})")]
    BadUrl(String),
    #[error("the server answered {0}")]
    Status(String),
    #[error("the server did not answer within {0} s")]
    Timeout(u64),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("it redirects in a loop ({0})")]
    RedirectLoop(String),
    #[error("it redirects more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("it is larger than {} MB", .0 / (1024 * 1024))]
    TooLarge(usize),
    #[error("the download broke off: {0}")]
    Body(String),
}

/// Validators from the last successful fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A normal outcome of fetching: either nothing changed, or a body.
#[derive(Debug)]
pub enum Fetched {
    NotModified { permanent_url: Option<Url> },
    Body(Body),
}

#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// Where the body came from after redirects.
    pub final_url: Url,
    /// Set when every redirect on the way was permanent (301/308): the new address to keep.
    pub permanent_url: Option<Url>,
    pub validators: Validators,
    pub content_type: Option<String>,
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
}

impl Http {
    pub fn new() -> Self {
        Self::with_timeout(Duration::from_secs(30))
    }

    pub fn with_timeout(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .read_timeout(timeout)
            .user_agent(concat!(
                "Earshot/",
                env!("CARGO_PKG_VERSION"),
                " (podcast player)"
            ))
            .gzip(true)
            .build()
            .expect("HTTP client configuration is valid");
        Self { client, timeout }
    }

    /// GETs `url` (following redirects), with `validators` for a conditional request.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::BadUrl(url.to_string()));
        }
        let mut current = url.clone();
        let mut seen = vec![url.clone()];
        let mut all_permanent = true;
        for _ in 0..=MAX_REDIRECTS {
            let mut headers = HeaderMap::new();
            if let Some(v) = validators
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_NONE_MATCH, v);
            }
            if let Some(v) = validators
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_MODIFIED_SINCE, v);
            }
            let response = self
                .client
                .get(current.clone())
                .headers(headers)
                .timeout(self.timeout)
                .send()
                .await
                .map_err(|e| self.describe(e))?;
            let status = response.status();
            let permanent = (all_permanent && current != *url).then(|| current.clone());
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| FetchError::Status(format!("{status} without a Location")))?;
                let next = current
                    .join(location)
                    .map_err(|_| FetchError::BadUrl(location.to_string()))?;
                if seen.contains(&next) {
                    return Err(FetchError::RedirectLoop(next.to_string()));
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                seen.push(next.clone());
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified {
                    permanent_url: permanent,
                });
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.to_string()));
            }
            let header = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .map(str::to_string)
            };
            let validators = Validators {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
            };
            let content_type = header(reqwest::header::CONTENT_TYPE);
            if response
                .content_length()
                .is_some_and(|n| n as usize > max_bytes)
            {
                return Err(FetchError::TooLarge(max_bytes));
            }
            let bytes = self.read_capped(response, max_bytes).await?;
            return Ok(Fetched::Body(Body {
                bytes,
                final_url: current,
                permanent_url: permanent,
                validators,
                content_type,
            }));
        }
        Err(FetchError::TooManyRedirects)
    }

    async fn read_capped(
        &self,
        mut response: reqwest::Response,
        max_bytes: usize,
    ) -> Result<Vec<u8>, FetchError> {
        let mut out = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.describe(e))? {
            if out.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge(max_bytes));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    fn describe(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout.as_secs().max(1))
        } else if e.is_connect() {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            FetchError::Connect(msg)
        } else if e.is_body() || e.is_decode() {
            FetchError::Body(e.to_string())
        } else {
            FetchError::Connect(e.to_string())
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
