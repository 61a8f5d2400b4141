//! The decoder the player uses: exact seeks, gapless MP3 timing, clear errors.

mod common;

use earshot::player::decode::Decoder;
use earshot::player::AudioError;
use earshot::transcript::parse_vtt;

fn ramp(i: u32) -> i16 {
    ((i % 20_000) as i32 - 10_000) as i16
}

#[test]
fn seeks_land_on_the_exact_frame() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("ramp.wav");
    common::write_wav(&wav, 8_000, 8_000 * 20, ramp);
    let mut d = Decoder::open(&wav).unwrap();
    assert_eq!(d.duration(), Some(20.0));
    for target in [12.3456, 0.5, 19.0, 3.0] {
        let frame = d.seek(target).unwrap();
        assert_eq!(frame, (target * 8_000.0_f64).round() as u64);
        let pcm = d.next_pcm().unwrap().unwrap();
        assert_eq!(
            pcm.start, frame,
            "audio after a seek to {target}s starts at that frame"
        );
        let expected = ramp(frame as u32) as f32 / 32768.0;
        assert!(
            (pcm.samples[0] - expected).abs() < 1e-4,
            "first sample is the one at {target}s"
        );
    }
}

#[test]
fn the_demo_mp3_decodes_to_its_stated_length_and_speech_starts_at_each_cue() {
    let mut d = Decoder::open(&common::demo_mp3()).unwrap();
    let rate = d.sample_rate as f64;
    let mut pcm = Vec::new();
    let mut expected_start = 0;
    while let Some(p) = d.next_pcm().unwrap() {
        assert_eq!(
            p.start, expected_start,
            "packets are contiguous on the timeline"
        );
        expected_start += p.samples.len() as u64;
        pcm.extend(p.samples);
    }
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::demo_mp3().with_file_name("podcast.json")).unwrap(),
    )
    .unwrap();
    let stated = meta["episodes"][0]["durationSecs"].as_f64().unwrap();
    let decoded = pcm.len() as f64 / rate;
    assert!(
        (decoded - stated).abs() < 0.001,
        "decoded {decoded}s, podcast.json says {stated}s"
    );

    // Encoder delay trimmed: speech begins at every cue start, not 25 ms later.
    let rms = |from: f64, to: f64| {
        let (a, b) = ((from * rate) as usize, (to * rate) as usize);
        (pcm[a..b].iter().map(|s| s * s).sum::<f32>() / (b - a) as f32).sqrt()
    };
    let vtt = std::fs::read_to_string(common::demo_mp3().with_file_name("episode1.vtt")).unwrap();
    for cue in parse_vtt(&vtt).unwrap().iter().skip(1) {
        let before = rms(cue.start - 0.2, cue.start - 0.01);
        let after = rms(cue.start + 0.01, cue.start + 0.3);
        assert!(
            after > 10.0 * before.max(1e-5),
            "speech should start at {}: {before} vs {after}",
            cue.start
        );
    }
}

#[test]
fn garbage_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.mp3");
    std::fs::write(&bad, vec![0x42u8; 10_000]).unwrap();
    let err = Decoder::open(&bad).err().expect("garbage must not open");
    assert!(matches!(err, AudioError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("not in a format Earshot can play"));
    let err = Decoder::open(&dir.path().join("missing.mp3"))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("Cannot open the audio file"),
        "{err}"
    );
}

#[test]
fn an_mp3_seek_gives_the_same_audio_as_playing_through() {
    // Decode continuously, then seek into the middle: the audio after the seek must match the
    // continuous decode at that point (no decoder warm-up garbage, no offset).
    let mut d = Decoder::open(&common::demo_mp3()).unwrap();
    let rate = d.sample_rate as u64;
    let mut all = Vec::new();
    while let Some(p) = d.next_pcm().unwrap() {
        all.extend(p.samples);
    }
    for target in [30.0, 52.145, 100.5] {
        let frame = d.seek(target).unwrap();
        let mut got = Vec::new();
        while got.len() < rate as usize / 2 {
            let p = d.next_pcm().unwrap().unwrap();
            if got.is_empty() {
                assert_eq!(p.start, frame);
            }
            got.extend(p.samples);
        }
        let want = &all[frame as usize..frame as usize + got.len()];
        let err = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            err < 1e-3,
            "after a seek to {target}s the audio differs by up to {err}"
        );
    }
}
