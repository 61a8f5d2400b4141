//! The position clock against the audio itself: generated audio with clicks at known media
//! frames is played on the test device; when a click comes out, the position the player
//! reports must be that click's media time (plus what was taken after it, at the speed in
//! force), across seeks, pauses and speed changes.

mod engine_rig;

use earshot::player::{PlayerCommand, PlayerStatus};
use engine_rig::{tone, Rig, RATE};

const CLICK_EVERY: f64 = 0.37;
const SECS: f64 = 40.0;

/// A quiet 150 Hz hum with a one-sample click every 0.37 s (the first at 0.2 s).
fn clicks() -> (Vec<f32>, Vec<usize>) {
    let mut s = tone(SECS, 150.0, 0.05);
    let mut at = Vec::new();
    let mut t = 0.2;
    while t < SECS - 0.5 {
        let i = (t * RATE as f64).round() as usize;
        s[i] = 0.9;
        at.push(i);
        t += CLICK_EVERY;
    }
    (s, at)
}

/// Takes audio in small blocks until a click comes out; then asks for the position and
/// returns (media time of the click as heard + what was taken after it, reported position).
fn next_click(rig: &Rig, clicks: &[usize], speed: f64) -> (f64, f64) {
    for _ in 0..2000 {
        let block = rig.take(64);
        if let Some(i) = block.iter().position(|s| s.abs() > 0.3) {
            let after = (block.len() - i) as f64 / RATE as f64;
            let (reported, s) = rig.position();
            assert!(
                (s as f64 - speed).abs() < 1e-6,
                "position events carry the speed"
            );
            // Which click it was: the one nearest to where the clock puts it.
            let at_click = reported - after * speed;
            let c = clicks
                .iter()
                .map(|&c| c as f64 / RATE as f64)
                .min_by(|a, b| (a - at_click).abs().total_cmp(&(b - at_click).abs()))
                .unwrap();
            // Skip past the click (a slow stretch may repeat it).
            rig.take((0.06 * RATE as f64) as usize);
            return (c + after * speed, reported);
        }
    }
    panic!("no click came out");
}

fn assert_clock(rig: &Rig, clicks: &[usize], speed: f64, tolerance: f64, what: &str) {
    for _ in 0..3 {
        let (truth, reported) = next_click(rig, clicks, speed);
        eprintln!(
            "{what}: click heard at media {truth:.4} s, clock says {reported:.4} s ({:+.1} ms)",
            (reported - truth) * 1000.0
        );
        assert!(
            (reported - truth).abs() <= tolerance,
            "{what}: the clock says {reported:.4} s when the device took media {truth:.4} s"
        );
    }
}

#[test]
fn at_normal_speed_the_clock_is_exact_across_seek_and_pause() {
    let (s, at) = clicks();
    let (rig, _) = Rig::with_audio(&s);
    rig.play_from(0.0);
    // The first click comes out exactly at its media frame.
    let out = rig.take(RATE as usize);
    let first = out.iter().position(|s| *s > 0.3).unwrap();
    assert_eq!(first, at[0]);
    assert_eq!(rig.position().0, 1.0);
    // Exact to the frame after a seek...
    rig.send(PlayerCommand::Seek(10.0));
    assert_eq!(rig.position().0, 10.0);
    let out = rig.take(RATE as usize);
    let first = out.iter().position(|s| *s > 0.3).unwrap();
    let click = at.iter().find(|&&c| c >= 10 * RATE as usize).unwrap();
    assert_eq!(first, click - 10 * RATE as usize, "seek lands on the frame");
    assert_clock(&rig, &at, 1.0, 0.5 / RATE as f64, "1× after a seek");
    // ...and a pause.
    rig.send(PlayerCommand::Pause);
    rig.wait_status(PlayerStatus::Paused);
    assert!(rig
        .out
        .take_audio(4410, std::time::Duration::from_millis(100))
        .is_empty());
    rig.send(PlayerCommand::Play);
    rig.wait_status(PlayerStatus::Playing);
    assert_clock(&rig, &at, 1.0, 0.5 / RATE as f64, "1× after a pause");
}

#[test]
fn the_clock_follows_the_media_through_speed_changes_seeks_and_pauses() {
    let (s, at) = clicks();
    let (rig, _) = Rig::with_audio(&s);
    rig.play_from(0.0);
    rig.take(RATE as usize / 2);
    // The stretch cross-fades segments 15 ms of output long, which at speed s span 15·s ms of
    // media: while two segments overlap, two moments of the media sound at once and the clock
    // follows their blend. Within 20 ms up to 2×; above, within one cross-fade's span of media
    // (45 ms at 3×: a click heard mid-fade was seen 33 ms off, about 1 run in 6).
    let tolerance = |speed: f32| {
        if speed <= 2.0 {
            0.02
        } else {
            0.015 * speed as f64
        }
    };
    for speed in [1.5f32, 0.5, 3.0, 2.0, 1.0] {
        rig.send(PlayerCommand::SetSpeed(speed));
        let t = tolerance(speed);
        assert_clock(&rig, &at, speed as f64, t, &format!("{speed}×"));
    }
    rig.send(PlayerCommand::SetSpeed(2.5));
    rig.send(PlayerCommand::Seek(20.0));
    assert!(
        (rig.position().0 - 20.0).abs() < 1e-9,
        "a seek lands exactly"
    );
    assert_clock(&rig, &at, 2.5, tolerance(2.5), "2.5× after a seek");
    rig.send(PlayerCommand::Pause);
    let paused_at = rig.wait_status(PlayerStatus::Paused);
    rig.send(PlayerCommand::SetSpeed(0.7));
    assert!(rig
        .out
        .take_audio(4410, std::time::Duration::from_millis(100))
        .is_empty());
    rig.send(PlayerCommand::Play);
    rig.wait_status(PlayerStatus::Playing);
    assert!(
        (rig.position().0 - paused_at).abs() < 1e-9,
        "a pause holds the position"
    );
    assert_clock(&rig, &at, 0.7, tolerance(0.7), "0.7× after a pause");
}

#[test]
fn one_second_heard_is_speed_seconds_of_media() {
    let (s, _) = clicks();
    let (rig, _) = Rig::with_audio(&s);
    rig.play_from(5.0);
    for speed in [0.5f32, 1.2, 2.0, 3.0] {
        rig.send(PlayerCommand::SetSpeed(speed));
        // Settle into the new speed (one hop may still be at the old one).
        rig.take(2048);
        let (p0, _) = rig.position();
        rig.take(2 * RATE as usize);
        let (p1, _) = rig.position();
        let moved = p1 - p0;
        assert!(
            (moved - 2.0 * speed as f64).abs() < 0.03,
            "2 s heard at {speed}× moved the clock {moved:.4} s"
        );
    }
}
