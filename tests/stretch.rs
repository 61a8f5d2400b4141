//! Speed with the pitch kept: a tone played faster or slower through the player (time-stretch
//! path, test device) keeps its frequency, lasts 1/speed as long, and a speed change is heard at
//! once and without a click.

mod engine_rig;

use earshot::player::dsp::Stretcher;
use earshot::player::PlayerCommand;
use engine_rig::{dominant_hz, tone, Rig, RATE};

fn pitch_and_length_at(speed: f32) {
    let secs = 4.0;
    let (rig, _) = Rig::with_audio(&tone(secs, 440.0, 0.5));
    rig.send(PlayerCommand::SetSpeed(speed));
    rig.play_from(0.0);
    let out = rig.take_to_end();
    let lasted = out.len() as f64 / RATE as f64;
    let expected = secs / speed as f64;
    assert!(
        (lasted - expected).abs() / expected < 0.03,
        "at {speed}× the 4 s tone lasted {lasted:.3} s, expected {expected:.3} s"
    );
    // The middle, away from the start and the end.
    let mid = &out[out.len() / 5..out.len() * 4 / 5];
    let hz = dominant_hz(mid, RATE as f64, 300.0, 600.0);
    assert!(
        (hz - 440.0).abs() / 440.0 < 0.02,
        "at {speed}× a 440 Hz tone measures {hz:.2} Hz"
    );
    eprintln!("{speed}×: {hz:.2} Hz, lasted {lasted:.3} s (expected {expected:.3} s)");
    // Clean: no sample-to-sample jump bigger than the tone itself makes (a click would be
    // ten times that).
    let steepest = 0.5 * std::f32::consts::TAU * 440.0 / RATE as f32;
    let worst = mid
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < steepest * 1.6,
        "at {speed}×: a jump of {worst} in a tone whose steepest step is {steepest}"
    );
}

#[test]
fn a_440_hz_tone_stays_440_hz_at_1_5x_and_lasts_1_over_1_5() {
    pitch_and_length_at(1.5);
}

#[test]
fn a_440_hz_tone_stays_440_hz_at_half_speed() {
    pitch_and_length_at(0.5);
}

#[test]
fn a_440_hz_tone_stays_440_hz_at_3x() {
    pitch_and_length_at(3.0);
}

#[test]
fn a_440_hz_tone_stays_440_hz_at_1_3x() {
    pitch_and_length_at(1.3);
}

#[test]
fn normal_speed_is_bit_exact() {
    let (rig, decoded) = Rig::with_audio(&tone(2.0, 440.0, 0.5));
    rig.play_from(0.0);
    let out = rig.take_to_end();
    assert_eq!(out.len(), decoded.len());
    assert!(
        out == decoded,
        "1× hands the decoded samples over untouched"
    );
}

#[test]
fn a_speed_change_is_heard_at_once_and_without_a_click() {
    let (rig, decoded) = Rig::with_audio(&tone(20.0, 440.0, 0.5));
    rig.play_from(0.0);
    let before = rig.take(RATE as usize);
    rig.send(PlayerCommand::SetSpeed(2.0));
    // The player has the new speed once a position event says so.
    while rig.position().1 != 2.0 {}
    let (p0, _) = rig.position();
    let after = rig.take(RATE as usize);
    let (p1, speed) = rig.position();
    assert_eq!(speed, 2.0);
    // One second heard at 2× is two seconds of the episode (give or take one 15 ms hop
    // at the old speed).
    assert!(
        (p1 - p0 - 2.0).abs() < 0.03,
        "1 s heard at 2× moved the position by {:.3} s",
        p1 - p0
    );
    let steepest = 0.5 * std::f32::consts::TAU * 440.0 / RATE as f32;
    let joined: Vec<f32> = before.iter().chain(&after).copied().collect();
    let worst = joined
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < steepest * 1.6, "a jump of {worst}: a click");

    // Back to 1×: bit-exact again, from exactly where the clock says.
    rig.send(PlayerCommand::SetSpeed(1.0));
    while rig.position().1 != 1.0 {}
    let tail = rig.take(4096);
    let (p, _) = rig.position();
    let end = (p * RATE as f64).round() as usize;
    // (The first few ms may still be the last stretched hop.)
    assert_eq!(
        &tail[2048..],
        &decoded[end - 2048..end],
        "after 2× and back, 1× plays the decoded samples where the clock says"
    );
}

#[test]
fn stretch_real_time_factor_is_small() {
    // Not a timing assertion: prints how much faster than real time the stretch runs.
    let input = tone(10.0, 220.0, 0.5);
    for speed in [1.5f32, 2.0] {
        let mut s = Stretcher::new(1, RATE);
        s.push(0, &input);
        s.finish();
        let mut out = vec![0.0; input.len()];
        let t = std::time::Instant::now();
        let n = s.fill(speed, &mut out);
        let took = t.elapsed().as_secs_f64();
        eprintln!(
            "stretch at {speed}×: {:.1} s of audio in {:.1} ms (real-time factor {:.4})",
            n as f64 / RATE as f64,
            took * 1000.0,
            took / (n as f64 / RATE as f64)
        );
        assert!(n > 0);
    }
}
