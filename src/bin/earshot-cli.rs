//! `earshot-cli`: Earshot's core without a window. Every subcommand prints JSON on stdout;
//! errors go to stderr with a non-zero exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

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

fn run(cli: Cli) -> Result<String, Error> {
    let json = match cli.command {
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
