//! Volume, skip silence and loudness levelling, heard at the test device.

mod engine_rig;

use earshot::player::PlayerCommand;
use engine_rig::{tone, Rig, RATE};

fn peak(s: &[f32]) -> f32 {
    s.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

#[test]
fn volume_scales_the_amplitude_smoothly() {
    let (rig, decoded) = Rig::with_audio(&tone(10.0, 300.0, 0.5));
    rig.send(PlayerCommand::SetVolume(0.5));
    rig.play_from(0.0);
    let half = rig.take(RATE as usize);
    assert!((peak(&half) - 0.25).abs() < 0.005, "{}", peak(&half));
    rig.send(PlayerCommand::SetVolume(1.0));
    while rig.position().1 != 1.0 {} // a round trip through the player thread
    let (p, _) = rig.position();
    let glide = rig.take(RATE as usize / 2);
    // Full volume, once the glide is over, is the decoded audio itself.
    let start = (p * RATE as f64).round() as usize;
    assert_eq!(
        &glide[RATE as usize / 4..],
        &decoded[start + RATE as usize / 4..start + RATE as usize / 2]
    );
    // The glide has no step: no jump bigger than the tone's own steepest.
    let steepest = 0.5 * std::f32::consts::TAU * 300.0 / RATE as f32;
    let worst = half
        .iter()
        .chain(&glide)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < steepest * 1.2, "zipper or click: {worst}");
    // Muted is silent.
    rig.send(PlayerCommand::SetVolume(0.0));
    rig.position(); // a round trip through the player thread
    rig.take(RATE as usize / 4);
    assert!(peak(&rig.take(1000)) < 1e-6);
}

#[test]
fn skip_silence_shortens_a_long_pause_and_the_clock_keeps_media_time() {
    // 1 s of tone, 2 s of silence, 2 s of tone.
    let mut s = tone(1.0, 300.0, 0.3);
    s.extend(vec![0.0; 2 * RATE as usize]);
    s.extend(tone(2.0, 300.0, 0.3));
    let (rig, _) = Rig::with_audio(&s);
    rig.send(PlayerCommand::SetSkipSilence(true));
    rig.play_from(0.0);
    // 1 s of tone, then the pause cut to 0.3 s, then the tone again.
    let out = rig.take((1.5 * RATE as f64) as usize);
    let back = out[RATE as usize..]
        .iter()
        .position(|x| x.abs() > 0.05)
        .map(|i| (RATE as usize + i) as f64 / RATE as f64)
        .expect("the tone came back");
    assert!(
        (back - 1.3).abs() < 0.02,
        "the 2 s pause became {:.3} s",
        back - 1.0
    );
    // Heard 1.5 s; the clock says media time: 3.2 s (the cut 1.7 s jumped over).
    let (p, _) = rig.position();
    assert!((p - 3.2).abs() < 0.02, "clock at {p:.3} s");
    let saved = rig.silence_skipped();
    assert!((saved - 1.7).abs() < 0.02, "saved {saved:.3} s");
    let rest = rig.take_to_end();
    let total = (out.len() + rest.len()) as f64 / RATE as f64;
    assert!((total - 3.3).abs() < 0.02, "5 s played in {total:.3} s");
}

#[test]
fn a_short_pause_is_left_alone() {
    let mut s = tone(1.0, 300.0, 0.3);
    s.extend(vec![0.0; RATE as usize / 2]);
    s.extend(tone(1.0, 300.0, 0.3));
    let (rig, decoded) = Rig::with_audio(&s);
    rig.send(PlayerCommand::SetSkipSilence(true));
    rig.play_from(0.0);
    let out = rig.take_to_end();
    assert_eq!(out, decoded);
}

fn lufs(samples: &[f32]) -> f64 {
    let mut m = ebur128::EbuR128::new(1, RATE, ebur128::Mode::S).unwrap();
    m.add_frames_f32(samples).unwrap();
    m.loudness_shortterm().unwrap()
}

#[test]
fn levelling_brings_quiet_and_loud_toward_the_target_and_never_clips() {
    for amp in [0.05f32, 0.9] {
        let input = tone(12.0, 1000.0, amp);
        let before = lufs(&input[input.len() - 3 * RATE as usize..]);
        let (rig, _) = Rig::with_audio(&input);
        rig.send(PlayerCommand::SetLevelling(true));
        rig.play_from(0.0);
        let out = rig.take_to_end();
        let after = lufs(&out[out.len() - 3 * RATE as usize..]);
        eprintln!("tone at {before:.1} LUFS levelled to {after:.1} LUFS");
        assert!(
            (after + 16.0).abs() < 2.0 && (after + 16.0).abs() < (before + 16.0).abs(),
            "{before:.1} LUFS became {after:.1} LUFS"
        );
        assert!(peak(&out) <= 0.945, "clipped: {}", peak(&out));
    }
}

#[test]
fn levelling_limits_a_sudden_loud_passage_after_a_quiet_one() {
    let mut input = tone(8.0, 1000.0, 0.05);
    input.extend(tone(3.0, 1000.0, 0.95));
    let (rig, _) = Rig::with_audio(&input);
    rig.send(PlayerCommand::SetLevelling(true));
    rig.play_from(0.0);
    let out = rig.take_to_end();
    assert_eq!(out.len(), input.len(), "levelling keeps every frame");
    assert!(peak(&out) <= 0.945, "clipped: {}", peak(&out));
}
