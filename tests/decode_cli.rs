//! `earshot-cli decode`: the player's decoder from the command line, seek included; JSON on
//! stdout, the PCM as a float WAV when asked, clear errors on stderr.

mod common;

use std::path::Path;

use common::{cli, cli_json};
use earshot::player::decode::Decoder;

fn fixture(name: &str) -> String {
    common::fixture("formats", name)
}

/// Reads a WAV written by `decode`: (format tag, channels, rate, samples).
fn read_float_wav(path: &Path) -> (u16, u16, u32, Vec<f32>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    assert_eq!(
        u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize,
        b.len() - 8,
        "RIFF size"
    );
    let (mut fmt, mut data) = (None, None);
    let mut at = 12;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &b[at + 8..at + 8 + len];
        match id {
            b"fmt " => fmt = Some(body.to_vec()),
            b"data" => data = Some(body.to_vec()),
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    let fmt = fmt.expect("a fmt chunk");
    let data = data.expect("a data chunk");
    let tag = u16::from_le_bytes([fmt[0], fmt[1]]);
    let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
    let rate = u32::from_le_bytes(fmt[4..8].try_into().unwrap());
    assert_eq!(
        u16::from_le_bytes([fmt[14], fmt[15]]),
        32,
        "bits per sample"
    );
    let samples = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (tag, channels, rate, samples)
}

#[test]
fn decode_from_a_start_writes_exactly_what_the_player_decodes_there() {
    let file = fixture("vbr-noxing.mp3");
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let v = cli_json(&[
        "decode",
        &file,
        "--start",
        "2.5",
        "--duration",
        "1",
        "--out",
        wav.to_str().unwrap(),
    ]);
    assert_eq!(v["sampleRate"], 44_100);
    assert_eq!(v["channels"], 1);
    assert_eq!(v["frames"], 44_100);
    assert_eq!(v["seconds"], 1.0);
    assert_eq!(v["start"], 2.5);
    assert_eq!(v["startFrame"], 110_250);

    let (tag, channels, rate, samples) = read_float_wav(&wav);
    assert_eq!((tag, channels, rate), (3, 1, 44_100), "IEEE float, mono");
    assert_eq!(samples.len(), 44_100);
    // The same samples a continuous decode has from 2.5 s on, bit for bit.
    let mut d = Decoder::open(Path::new(&file)).unwrap();
    let mut all = Vec::new();
    while let Some(p) = d.next_pcm().unwrap() {
        all.extend(p.samples);
    }
    assert!(samples == all[110_250..110_250 + 44_100], "WAV content");
    assert!(samples.iter().any(|s| s.abs() > 0.1), "not silence");
}

#[test]
fn decode_of_a_whole_file_reports_its_length() {
    let v = cli_json(&["decode", &fixture("opus.opus")]);
    assert_eq!(v["sampleRate"], 48_000);
    assert_eq!(v["channels"], 2);
    assert_eq!(v["frames"], 192_000);
    assert_eq!(v["seconds"], 4.0);
    assert_eq!(v["start"], 0.0);
    assert!(v["out"].is_null());
}

#[test]
fn decode_errors_go_to_stderr_with_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("garbage.mp3");
    std::fs::write(&bad, vec![0x42u8; 5000]).unwrap();
    for path in [bad.to_str().unwrap(), "/nonexistent/episode.mp3"] {
        let out = cli(&["decode", path]);
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("earshot-cli: ") && err.contains(path),
            "{err}"
        );
    }
}
