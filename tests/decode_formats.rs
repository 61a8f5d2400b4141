//! Every format the player claims, through the player's own `Decoder`: right rate, channels and
//! length, audio events where they belong, seeks that land on the exact frame a continuous
//! decode has there (VBR MP3 without a Xing header included), and damaged or foreign files that
//! fail with a clear error rather than a panic.
//!
//! The fixtures are made by `scripts/make-format-fixtures.sh`: a quiet two-tone bed with a
//! one-sample click at 0.25 s, 1.25 s, 2.25 s, … (source sample k·rate + rate/4).

use std::path::{Path, PathBuf};

use earshot::player::decode::Decoder;
use earshot::player::AudioError;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name)
}

struct Format {
    file: &'static str,
    rate: u32,
    channels: u16,
    /// Frames of the source signal.
    frames: u64,
    /// Frames of codec priming the container does not tell how to trim (0: trimmed exactly).
    priming: u64,
    /// Up to this many more frames of end padding may remain (0: trimmed exactly).
    padding: u64,
    /// How closely a seek must reproduce the continuous decode (0: bit for bit).
    seek_tolerance: f32,
}

impl Format {
    /// A format decoded exactly: no priming or padding left, seeks bit for bit.
    const fn exact(file: &'static str, rate: u32, channels: u16, frames: u64) -> Self {
        Self {
            file,
            rate,
            channels,
            frames,
            priming: 0,
            padding: 0,
            seek_tolerance: 0.0,
        }
    }
}

const FORMATS: &[Format] = &[
    Format::exact("pcm16.wav", 16_000, 1, 24_000),
    Format::exact("flac.flac", 22_050, 2, 44_100),
    // LAME's Info/Xing tag gives the encoder delay and padding: gapless, exact.
    Format::exact("cbr.mp3", 44_100, 1, 264_600),
    Format::exact("vbr-xing.mp3", 44_100, 1, 264_600),
    // No Xing/LAME header: nothing says how long the encoder delay (576 + 529) and the padding
    // are, so they stay; the length still comes out exact from the frame index.
    Format {
        file: "vbr-noxing.mp3",
        rate: 44_100,
        channels: 1,
        frames: 264_600,
        priming: 1105,
        padding: 1152,
        seek_tolerance: 0.0,
    },
    Format {
        file: "vbr-mpeg2.mp3",
        rate: 22_050,
        channels: 2,
        frames: 132_300,
        priming: 1105,
        padding: 576,
        seek_tolerance: 0.0,
    },
    // symphonia 0.5 does not read the MP4 edit list: AAC's 1024 priming frames stay.
    Format {
        file: "aac.m4a",
        rate: 44_100,
        channels: 1,
        frames: 176_400,
        priming: 1024,
        padding: 1024,
        seek_tolerance: 1e-3,
    },
    Format::exact("vorbis.ogg", 44_100, 2, 176_400),
    // Opus pre-skip trimmed; libopus restarts cold after a seek, so after the pre-roll the
    // audio is close to, not identical with, a continuous decode.
    Format {
        file: "opus.opus",
        rate: 48_000,
        channels: 2,
        frames: 192_000,
        priming: 0,
        padding: 0,
        seek_tolerance: 0.1,
    },
];

/// Decodes everything; asserts the timeline has no gap or overlap.
fn decode_all(d: &mut Decoder) -> Vec<f32> {
    let ch = d.channels as usize;
    let mut all = Vec::new();
    while let Some(p) = d.next_pcm().unwrap() {
        assert_eq!(
            p.start as usize,
            all.len() / ch,
            "packets are contiguous on the timeline"
        );
        all.extend(p.samples);
    }
    all
}

/// The frame of the sharpest jump (a click) within `radius` frames of `around`, channel 0.
fn click_near(all: &[f32], ch: usize, around: u64, radius: u64) -> u64 {
    let frames = (all.len() / ch) as u64;
    let (from, to) = (
        around.saturating_sub(radius).max(1),
        (around + radius).min(frames),
    );
    (from..to)
        .max_by(|&a, &b| {
            let jump = |i: u64| (all[i as usize * ch] - all[(i - 1) as usize * ch]).abs();
            jump(a).total_cmp(&jump(b))
        })
        .unwrap()
}

#[test]
fn every_format_decodes_with_its_rate_channels_length_and_timing() {
    for f in FORMATS {
        let mut d = Decoder::open(&fixture(f.file)).unwrap_or_else(|e| panic!("{}: {e}", f.file));
        assert_eq!(d.sample_rate, f.rate, "{}: sample rate", f.file);
        assert_eq!(d.channels, f.channels, "{}: channels", f.file);
        let all = decode_all(&mut d);
        let ch = f.channels as usize;
        let decoded = (all.len() / ch) as u64;
        let least = f.frames + f.priming;
        assert!(
            (least..=least + f.padding).contains(&decoded),
            "{}: decoded {decoded} frames, expected {least}..={}",
            f.file,
            least + f.padding
        );
        let stated = d.duration().expect("a duration") * f.rate as f64;
        assert!(
            (stated - decoded as f64).abs() <= f.padding as f64,
            "{}: says {stated} frames, decoded {decoded}",
            f.file
        );
        // Each click is heard where the source has it (shifted by untrimmed priming only).
        let seconds = f.frames / f.rate as u64;
        for k in 0..seconds {
            let want = k * f.rate as u64 + f.rate as u64 / 4 + f.priming;
            let got = click_near(&all, ch, want, f.rate as u64 / 8);
            assert!(
                got.abs_diff(want) <= 3,
                "{}: click {k} at frame {got}, expected {want}",
                f.file
            );
        }
    }
}

#[test]
fn seeks_land_on_the_frame_a_continuous_decode_has_there() {
    for f in FORMATS {
        let mut d = Decoder::open(&fixture(f.file)).unwrap();
        let all = decode_all(&mut d);
        let ch = f.channels as usize;
        let rate = f.rate as f64;
        let len = (all.len() / ch) as f64 / rate;
        // Forward and backward, on clicks, between them, and near both ends.
        let click = |k: u64| (k * f.rate as u64 + f.rate as u64 / 4 + f.priming) as f64 / rate;
        let mut targets = vec![click(1), 0.01, len * 0.8, click(0), len * 0.37, 0.5];
        targets.push(len - 0.3);
        if click(2) < len {
            targets.push(click(2) - 0.05);
        }
        for t in targets {
            let frame = d.seek(t).unwrap();
            assert_eq!(frame, (t * rate).round() as u64, "{}: seek to {t}", f.file);
            let mut got = Vec::new();
            while got.len() < f.rate as usize / 4 * ch {
                let Some(p) = d.next_pcm().unwrap() else {
                    break;
                };
                if got.is_empty() {
                    assert_eq!(p.start, frame, "{}: audio after a seek to {t}s", f.file);
                }
                got.extend(p.samples);
            }
            assert!(!got.is_empty(), "{}: audio after a seek to {t}s", f.file);
            let want = &all[frame as usize * ch..];
            let n = got.len().min(want.len());
            let err = got[..n]
                .iter()
                .zip(&want[..n])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                err <= f.seek_tolerance,
                "{}: after a seek to {t}s the audio differs from a continuous decode by {err}",
                f.file
            );
        }
        // A click seeked to is the first thing heard.
        let at = click(1);
        let frame = d.seek(at).unwrap();
        let p = d.next_pcm().unwrap().unwrap();
        assert_eq!(p.start, frame);
        let seeked: Vec<f32> = p.samples.iter().step_by(ch).copied().collect();
        let sharpest = (1..seeked.len().min(64))
            .max_by(|&a, &b| {
                (seeked[a] - seeked[a - 1])
                    .abs()
                    .total_cmp(&(seeked[b] - seeked[b - 1]).abs())
            })
            .unwrap();
        assert!(
            sharpest <= 3,
            "{}: the click is {sharpest} frames after the seek target",
            f.file
        );
    }
}

#[test]
fn a_vbri_header_frame_is_read_as_a_header_not_played() {
    // Fraunhofer's VBRI tag lives in a silent first frame, 32 bytes after the header.
    let plain = std::fs::read(fixture("vbr-noxing.mp3")).unwrap();
    let head = u32::from_be_bytes(plain[..4].try_into().unwrap());
    let frame_len = earshot::player::mp3index::parse_header(head).unwrap().len;
    let mut tag = vec![0u8; frame_len];
    tag[..4].copy_from_slice(&plain[..4]);
    tag[36..40].copy_from_slice(b"VBRI");
    tag[40..42].copy_from_slice(&1u16.to_be_bytes()); // version
    tag[46..50].copy_from_slice(&(plain.len() as u32).to_be_bytes()); // bytes
    let frames = plain.len() / frame_len; // roughly; a header only
    tag[50..54].copy_from_slice(&(frames as u32).to_be_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vbri.mp3");
    std::fs::write(&path, [tag, plain].concat()).unwrap();

    let mut with_tag = Decoder::open(&path).unwrap();
    let mut without = Decoder::open(&fixture("vbr-noxing.mp3")).unwrap();
    assert_eq!(
        with_tag.n_frames, without.n_frames,
        "length from the frames"
    );
    let a = decode_all(&mut with_tag);
    let b = decode_all(&mut without);
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the tag frame adds no audio");
}

fn assert_clear_error(err: &AudioError, name: &str) {
    assert!(
        matches!(
            err,
            AudioError::Unsupported { .. } | AudioError::Decode { .. } | AudioError::Open { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(name), "names the file: {err}");
}

#[test]
fn foreign_and_garbage_files_fail_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Matroska: symphonia 0.5 has no reader for it.
    let err = Decoder::open(&fixture("unsupported.mka")).err().unwrap();
    assert!(matches!(err, AudioError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("not in a format Earshot can play"));

    let mut x: u32 = 12345;
    let noise: Vec<u8> = (0..50_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for ext in ["mp3", "m4a", "ogg", "opus", "flac", "wav"] {
        let path = dir.path().join(format!("noise.{ext}"));
        std::fs::write(&path, &noise).unwrap();
        let err = Decoder::open(&path).err().expect("noise must not open");
        assert_clear_error(&err, "noise");
        let empty = dir.path().join(format!("empty.{ext}"));
        std::fs::write(&empty, b"").unwrap();
        assert_clear_error(&Decoder::open(&empty).err().unwrap(), "empty");
    }
    // Only the first bytes of each format (a header, no audio).
    for f in FORMATS {
        let bytes = std::fs::read(fixture(f.file)).unwrap();
        let path = dir.path().join(format!("stub-{}", f.file));
        std::fs::write(&path, &bytes[..60]).unwrap();
        let err = Decoder::open(&path)
            .err()
            .expect("a header alone must not open");
        assert_clear_error(&err, "stub-");
    }
}

#[test]
fn truncated_and_damaged_files_play_what_they_have() {
    let dir = tempfile::tempdir().unwrap();
    for f in FORMATS {
        let bytes = std::fs::read(fixture(f.file)).unwrap();
        let full = f.frames + f.priming;

        // Cut in the middle (a download that stopped): the first part plays, or — when the
        // index sits at the end, as in MP4 — a clear error.
        let cut = dir.path().join(format!("cut-{}", f.file));
        std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
        match Decoder::open(&cut) {
            Ok(mut d) => {
                let mut frames = 0;
                while let Some(p) = d.next_pcm().unwrap() {
                    frames += (p.samples.len() / f.channels as usize) as u64;
                }
                assert!(
                    // (An Ogg page or MP4 chunk cut short is lost whole.)
                    frames > full / 5 && frames < full * 8 / 10,
                    "{}: cut at 60% decoded {frames} of {full} frames",
                    f.file
                );
            }
            Err(e) => assert_clear_error(&e, "cut-"),
        }

        // A damaged stretch in the middle: skipped, and the audio after it still plays.
        let mut damaged = bytes.clone();
        let at = bytes.len() / 2;
        let mut x: u32 = 777;
        for b in &mut damaged[at..at + 1500] {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        let path = dir.path().join(format!("damaged-{}", f.file));
        std::fs::write(&path, &damaged).unwrap();
        let mut d = Decoder::open(&path).unwrap_or_else(|e| panic!("{}: {e}", f.file));
        let mut frames = 0u64;
        let mut last_end = 0;
        loop {
            match d.next_pcm() {
                Ok(Some(p)) => {
                    frames += (p.samples.len() / f.channels as usize) as u64;
                    last_end = p.start + (p.samples.len() / f.channels as usize) as u64;
                }
                Ok(None) => break,
                // A damaged container may end the track early, with a clear error.
                Err(e) => {
                    assert_clear_error(&e, "damaged-");
                    break;
                }
            }
        }
        assert!(
            frames > full / 2,
            "{}: only {frames} of {full} frames decoded around the damage",
            f.file
        );
        if f.file.ends_with(".mp3") || f.file.ends_with(".wav") {
            // Frames lost to the damage shorten the timeline by about their share of the file.
            let lost = full * 3000 / bytes.len() as u64 + 2304;
            assert!(
                last_end + lost >= full,
                "{}: playback stopped at the damage ({last_end} of {full})",
                f.file
            );
        }
        // Seeking around a damaged file never panics.
        for t in [0.1, 1.4, 2.9, 0.7] {
            if d.seek(t).is_ok() {
                let _ = d.next_pcm();
            }
        }
    }
}

#[test]
fn joined_mp3s_play_to_the_end_whatever_the_first_header_says() {
    // Dynamic ad insertion joins MP3 files: the first file's Xing header then counts only the
    // first part, and the second part brings its own ID3 tag and Xing frame mid-stream.
    let a = std::fs::read(fixture("cbr.mp3")).unwrap();
    let b = std::fs::read(fixture("vbr-xing.mp3")).unwrap();
    assert!(b.starts_with(b"ID3"), "the second part has its own tag");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("joined.mp3");
    std::fs::write(&path, [a, b].concat()).unwrap();
    let mut d = Decoder::open(&path).unwrap();
    let all = decode_all(&mut d);
    let decoded = all.len() as u64;
    // Part two keeps its encoder delay (1105) and both parts' padding (< 1152 each).
    let least = 2 * 264_600 + 1105;
    assert!(
        (least..least + 2 * 1152).contains(&decoded),
        "decoded {decoded} frames of two 6 s parts"
    );
    assert_eq!(d.n_frames, Some(decoded), "the length counts both parts");
    let tail = &all[all.len() - 44_100..all.len() - 4_410];
    let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
    assert!(rms > 0.05, "the second part plays to its end (rms {rms})");
}
