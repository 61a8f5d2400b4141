//! `earshot-cli`: Earshot's core without a window. Every subcommand prints JSON on stdout;
//! errors go to stderr with a non-zero exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use earshot::feed::{self, FeedError, ParsedFeed};
use earshot::fetch::{Fetched, Http, Validators, MAX_FEED_BYTES};
use earshot::{chapters, transcript, Error};

#[derive(Parser)]
#[command(
    name = "earshot-cli",
    version,
    about = "Earshot's podcast core, headless"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a transcript (WebVTT) and print its segments.
    Transcript {
        file: PathBuf,
        /// Print JSON (the only output format so far; accepted for forward compatibility).
        #[arg(long)]
        json: bool,
    },
    /// Fetch (http/https) or read (a file) a podcast feed and print what Earshot understands
    /// of it: the podcast, and its episodes with enclosure, duration, chapters and transcripts.
    Feed {
        /// A feed URL (or a web page linking its feed), or a path to a feed file.
        source: String,
        #[arg(long)]
        json: bool,
    },
    /// Parse chapters (Podcasting 2.0 JSON) and print them.
    Chapters {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct TranscriptOut {
    source: String,
    format: &'static str,
    segments: Vec<transcript::Segment>,
}

#[derive(Serialize)]
struct ChaptersOut {
    source: String,
    format: &'static str,
    chapters: Vec<chapters::Chapter>,
}

fn read(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::parse(path.display().to_string(), "it is not UTF-8 text"))
}

#[derive(Serialize)]
struct FeedOut {
    source: String,
    feed: ParsedFeed,
}

/// Reads a feed from a file or the network (following one web page's feed link).
fn load_feed(source: &str) -> Result<FeedOut, Error> {
    let path = Path::new(source);
    if !source.contains("://") && path.exists() {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let feed =
            feed::parse_feed(&bytes, None).map_err(|e| Error::Feed(format!("{source}: {e}")))?;
        return Ok(FeedOut {
            source: source.to_string(),
            feed,
        });
    }
    let mut url = earshot::subscriptions::normalize_url(source)
        .map_err(|e| Error::Feed(format!("{source}: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let http = Http::new();
    for _ in 0..2 {
        let body = match rt.block_on(http.get(&url, &Validators::default(), MAX_FEED_BYTES)) {
            Ok(Fetched::Body(b)) => b,
            Ok(Fetched::NotModified { .. }) => {
                return Err(Error::Feed(format!(
                    "{url}: the server answered 304 Not Modified"
                )))
            }
            Err(e) => return Err(Error::Feed(format!("{url}: {e}"))),
        };
        match feed::parse_feed(&body.bytes, Some(&body.final_url)) {
            Ok(feed) => {
                return Ok(FeedOut {
                    source: body.final_url.to_string(),
                    feed,
                })
            }
            Err(FeedError::HtmlPage { feed_links }) if !feed_links.is_empty() => {
                url = url::Url::parse(&feed_links[0])
                    .map_err(|e| Error::Feed(format!("{url}: bad feed link ({e})")))?;
            }
            Err(e) => return Err(Error::Feed(format!("{url}: {e}"))),
        }
    }
    Err(Error::Feed(format!(
        "{source}: its feed link leads to another web page"
    )))
}

fn run(cli: Cli) -> Result<String, Error> {
    let json = match cli.command {
        Command::Feed { source, json: _ } => serde_json::to_string_pretty(&load_feed(&source)?),
        Command::Transcript { file, json: _ } => {
            let segments = transcript::parse_vtt(&read(&file)?)
                .map_err(|e| Error::parse(file.display().to_string(), e.to_string()))?;
            serde_json::to_string_pretty(&TranscriptOut {
                source: file.display().to_string(),
                format: "webvtt",
                segments,
            })
        }
        Command::Chapters { file, json: _ } => {
            let chapters = chapters::parse_json_chapters(&read(&file)?)
                .map_err(|e| Error::parse(file.display().to_string(), e.to_string()))?;
            serde_json::to_string_pretty(&ChaptersOut {
                source: file.display().to_string(),
                format: "podcasting2.0-json",
                chapters,
            })
        }
    };
    Ok(json.expect("serializing plain data cannot fail"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("earshot-cli: {e}");
            ExitCode::FAILURE
        }
    }
}
