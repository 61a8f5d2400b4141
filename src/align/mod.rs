//! Alignment: an untimed transcript made to follow the episode's audio, and (see
//! [`correct_drift`]) a timed one put right when an ad moved the audio under it (and, with
//! [`DriftReport::map_time`] / [`correct_chapters`], the feed's chapters with it).
//!
//! [`align_untimed`] reads the audio with the player's decoder into 10 ms frames of loudness and
//! pitch, finds speech and pauses over an adaptive noise floor (raised where a bed of music
//! fills the pauses), and assigns every paragraph start to a pause by dynamic programming:
//! paragraph durations are expected from their syllables at the pace the speech shows, longer
//! pauses are preferred, chapter starts are likely, and speech the transcript does not contain
//! (a dynamically inserted ad, a pre-roll, an intro or outro) may come before the first
//! paragraph, after the last or between two, at a price per second; since such speech makes
//! the pace look slower than it is, the pace is searched too (a few values, the likeliest
//! kept). Later passes learn from the one before what the speakers sound like (their pitch, as
//! a per-frame likelihood against any voice at all: another voice reading an ad, or music,
//! counts against the paragraph placed over it; and their spectral shape, cepstra of the first
//! seconds of each of their paragraphs, scored per speech frame against the other speakers and
//! the speech no paragraph covers, which tells apart two voices of one pitch) and what offset the inline times the text
//! gives (`[inaudible 00:01:47]`) have in this copy (they are the publisher's; an ad moves
//! them), and use those.

mod drift;
mod features;

use std::path::Path;

use crate::chapters::Chapter;
use crate::transcript::{Segment, UntimedTranscript};
use crate::Result;

pub use drift::{correct_chapters, correct_drift, correct_drift_frames, DriftReport, Shift};
pub use features::{analyse, Frames};
use features::{median_pitch, pauses, refine_onset, vad, Pause, Vad, HOP};

/// Aligns `untimed` to `audio`: one segment per paragraph, its start where the paragraph's
/// speech begins, its end where the next begins (the last ends with the speech). Segments whose
/// start was found in the audio are not `estimated`. `progress(fraction)` is called as the work
/// goes on; returning `false` cancels (an error saying so).
pub fn align_untimed(
    untimed: &UntimedTranscript,
    audio: &Path,
    chapters: &[Chapter],
    mut progress: impl FnMut(f32) -> bool,
) -> Result<Vec<Segment>> {
    let frames = analyse(audio, 0.9, &mut progress)?;
    let out = align_frames(untimed, &frames, chapters);
    if !progress(1.0) {
        return Err(features::cancelled(audio));
    }
    Ok(out)
}

/// A piece of text between two boundaries: a paragraph, or part of one split at an inline time.
#[derive(Debug, Clone)]
struct Piece {
    para: usize,
    units: f64,
    /// The boundary at this piece's start is a paragraph start (else an inline time's).
    starts_para: bool,
    /// A time for this piece's start, from the text (seconds, rounded down as written).
    pin: Option<f64>,
    /// The speaker changes at this piece's start (a labelled paragraph of another speaker).
    change: bool,
    speaker: Option<String>,
}

/// One place a boundary may go.
#[derive(Debug, Clone, Copy)]
struct Cand {
    t: f64,
    /// Seconds of speech before `t`.
    s: f64,
    pause: f64,
    /// Voice change across the pause, in octaves (median pitch after vs before), if known.
    change: Option<f32>,
    after: Option<f32>,
    bonus: f64,
}

/// The alignment proper, on frames already measured (the bench and tests reuse them).
pub fn align_frames(
    untimed: &UntimedTranscript,
    frames: &Frames,
    chapters: &[Chapter],
) -> Vec<Segment> {
    let paras: Vec<usize> = (0..untimed.paragraphs.len())
        .filter(|&i| !untimed.paragraphs[i].text.trim().is_empty())
        .collect();
    if paras.is_empty() || frames.db.is_empty() {
        return untimed.spread(Some(frames.duration).filter(|d| *d > 0.0));
    }
    let v = vad(frames);
    let pieces = pieces(untimed, &paras, frames.duration);
    let cands = candidates(frames, &v, chapters);
    let total_speech = *v.cum.last().unwrap_or(&0.0);

    if total_speech < 1.0 || cands.is_empty() {
        return untimed.spread(Some(frames.duration));
    }

    let sol = run_passes(&pieces, &cands, &v, frames, total_speech);
    let chosen = &sol.chosen;

    // Speech ends: the last speech frame.
    let last_speech = v
        .speech
        .iter()
        .rposition(|&s| s)
        .map_or(frames.duration, |i| (i + 1) as f64 * HOP);
    let mut out = Vec::with_capacity(paras.len());
    // Per paragraph: its start, whether it was found, and where its speech ends when speech
    // the transcript lacks follows it (else where the next begins).
    let mut starts: Vec<(usize, f64, bool, Option<f64>)> = Vec::new();
    for (k, (p, c)) in pieces.iter().zip(chosen).enumerate() {
        if p.starts_para {
            starts.push((p.para, c.t, c.pause > 0.0 || c.bonus > 0.0, None));
        }
        if let (Some(own), Some(last)) = (sol.skip_after[k], starts.last_mut()) {
            last.3 = Some(speech_end(&v, own));
        }
    }
    for (k, &(para, start, found, own_end)) in starts.iter().enumerate() {
        let next = starts.get(k + 1).map_or(last_speech.max(start), |n| n.1);
        let end = own_end.map_or(next, |e| e.min(next));
        let p = &untimed.paragraphs[para];
        out.push(Segment {
            start,
            end: end.max(start),
            speaker: p.speaker.clone(),
            text: p.text.clone(),
            estimated: !found,
            words: Vec::new(),
        });
    }
    out
}

/// Pass 1: timing, pauses, chapters and written times; then (twice: a first pass fooled by
/// speech the transcript lacks learns a little wrong) each speaker's voice and the offset of
/// the written times, learnt from the pass before, as well.
fn run_passes(
    pieces: &[Piece],
    cands: &[Cand],
    v: &Vad,
    frames: &Frames,
    total_speech: f64,
) -> Solution {
    // The written times are not trusted before a first solution says what offset they have.
    let mut pins_at: Vec<Vec<f64>> = vec![Vec::new(); pieces.len()];
    let (mut sol, _) = solve_paces(pieces, cands, v, total_speech, None, &pins_at);
    let any_pins = pieces.iter().any(|p| p.pin.is_some());
    for _ in 0..VOICE_PASSES {
        let model = learn_voices(pieces, &sol, frames, v);
        if model.is_none() && !any_pins {
            break;
        }
        pins_at = pin_hypotheses(pieces, &sol);
        sol = solve_paces(pieces, cands, v, total_speech, model.as_ref(), &pins_at).0;
    }
    sol
}

/// Syllables, roughly: vowel groups per word (at least one), written marks (`[laugh]`,
/// `[inaudible 00:01:47]`) not counted; a sentence end adds the pause it usually has.
pub fn speech_units(text: &str) -> f64 {
    // Marks out first.
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            _ => plain.push(c),
        }
        if c == '[' {
            plain.push(' ');
        }
    }
    let mut units = 0.0;
    for w in plain.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            units += 1.5 * w.len() as f64;
            continue;
        }
        let lower = w.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        let mut groups = 0usize;
        let mut prev = false;
        for &c in &chars {
            let v = vowel(c);
            if v && !prev {
                groups += 1;
            }
            prev = v;
        }
        // A silent final e ("made", "there").
        let n = chars.len();
        if groups > 1 && n > 2 && chars[n - 1] == 'e' && !vowel(chars[n - 2]) && chars[n - 2] != 'l'
        {
            groups -= 1;
        }
        units += groups.max(1) as f64;
    }
    units
}

/// The paragraphs as pieces, split where an inline time is written inside one.
fn pieces(untimed: &UntimedTranscript, paras: &[usize], duration: f64) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut prev_speaker: Option<&str> = None;
    let mut last_pin = f64::NEG_INFINITY;
    for (k, &i) in paras.iter().enumerate() {
        let p = &untimed.paragraphs[i];
        let chars: Vec<char> = p.text.chars().collect();
        // Keep anchors that move forward in time and lie in the audio.
        let mut cuts: Vec<(usize, f64)> = Vec::new();
        for a in &p.anchors {
            let ok = a.seconds.is_finite() && a.seconds >= 0.0 && a.seconds <= duration + 1.0;
            if ok && a.seconds > last_pin {
                // The offset is the time's own: the cut goes where its mark opens
                // (`[inaudible 00:01:47]`), and to the start when only marks come before it.
                let mut off = a.offset.min(chars.len());
                if let Some(open) = chars[..off].iter().rposition(|&c| c == '[' || c == '(') {
                    if !chars[open..off].iter().any(|&c| c == ']' || c == ')') {
                        off = open;
                    }
                }
                let before: String = chars[..off].iter().collect();
                if speech_units(&before) == 0.0 {
                    off = 0;
                }
                cuts.push((off, a.seconds));
                last_pin = a.seconds;
            }
        }
        let mut from = 0usize;
        let mut pin_here: Option<f64> = None;
        let mut first = true;
        let mut bounds: Vec<(usize, Option<f64>)> = Vec::new();
        for (off, secs) in cuts {
            if off <= from && first {
                pin_here = Some(secs);
                continue;
            }
            bounds.push((off, Some(secs)));
            first = false;
        }
        let speaker = p.speaker.as_deref();
        let change = k > 0 && p.labelled && speaker.is_some() && speaker != prev_speaker;
        let mut starts = vec![(0usize, pin_here)];
        for (off, s) in bounds {
            if off > starts.last().map_or(0, |l| l.0) && off < chars.len() {
                starts.push((off, s));
            }
        }
        for (j, &(off, pin)) in starts.iter().enumerate() {
            let end = starts.get(j + 1).map_or(chars.len(), |n| n.0);
            let text: String = chars[off..end].iter().collect();
            out.push(Piece {
                para: i,
                units: speech_units(&text).max(0.5),
                starts_para: j == 0,
                pin,
                change: j == 0 && change,
                speaker: p.speaker.clone(),
            });
            from = end;
        }
        let _ = from;
        prev_speaker = speaker;
    }
    out
}

/// Pauses long enough to end a sentence, as candidate boundaries.
fn candidates(frames: &Frames, v: &Vad, chapters: &[Chapter]) -> Vec<Cand> {
    let ps: Vec<Pause> = pauses(v, 12);
    let win = 150; // 1.5 s of frames either side for the voice
    let mut out: Vec<Cand> = Vec::with_capacity(ps.len());
    for p in &ps {
        let t = refine_onset(frames, v, p);
        let before = median_pitch(frames, p.from.saturating_sub(win), p.from, 15);
        let after = median_pitch(frames, p.to, p.to + win, 15);
        let change = match (before, after) {
            (Some(b), Some(a)) => Some((a / b).log2().abs()),
            _ => None,
        };
        let bonus = if chapters
            .iter()
            .any(|c| c.start.is_finite() && t >= c.start - 0.5 && t <= c.start + 3.0)
        {
            3.0
        } else {
            0.0
        };
        out.push(Cand {
            t,
            s: v.cum[p.to.min(v.cum.len() - 1)],
            pause: if p.from == 0 && p.to == 0 {
                0.5
            } else {
                p.secs()
            },
            change,
            after,
            bonus,
        });
    }
    out
}

/// What the speakers sound like, learnt from a solution: the pitch just after each paragraph
/// start (only used when the voices differ), and each speaker's pitch over all their speech,
/// as a log-likelihood ratio per frame against any voice at all, summed from the start.
struct VoiceModel {
    starts: Option<Vec<(String, f32)>>,
    /// Per piece, its speaker's entry in `prefix` (none for a speaker not learnt).
    piece_voice: Vec<Option<usize>>,
    /// `prefix[k][i]`: the ratio summed over frames `0..i`, for voice `k`.
    prefix: Vec<Vec<f64>>,
    /// The same from the spectral shape of the speech frames (scaled to [`VOICE_WEIGHT`]), when
    /// the speakers' spectra are told apart.
    spec: Option<Vec<Vec<f64>>>,
}

impl VoiceModel {
    /// How well voice `k` explains frames `from..to` (nats, before [`VOICE_WEIGHT`]).
    fn fit(&self, k: usize, from: usize, to: usize) -> f64 {
        let diff = |p: &Vec<f64>| {
            let (a, b) = (from.min(p.len() - 1), to.min(p.len() - 1));
            if b > a {
                p[b] - p[a]
            } else {
                0.0
            }
        };
        diff(&self.prefix[k]) + self.spec.as_ref().map_or(0.0, |s| diff(&s[k]))
    }
}

/// Nats per frame of log-likelihood ratio a paragraph's voice is worth.
const VOICE_WEIGHT: f64 = 0.01;
/// Passes that learn the voices from the pass before.
const VOICE_PASSES: usize = 2;

fn frame_of(t: f64) -> usize {
    (t / HOP).round().max(0.0) as usize
}

/// Each speaker's voice, from the spans a solution gave their paragraphs (none when no
/// speaker has enough speech to learn from).
fn learn_voices(pieces: &[Piece], sol: &Solution, frames: &Frames, v: &Vad) -> Option<VoiceModel> {
    let chosen = &sol.chosen;
    let n = pieces.len();
    let end_all = v
        .speech
        .iter()
        .rposition(|&s| s)
        .map_or(frames.pitch.len(), |i| i + 1);
    let mut starts: std::collections::HashMap<&str, Vec<f32>> = Default::default();
    let mut spans: std::collections::HashMap<&str, (Vec<f32>, usize)> = Default::default();
    let mut spec_frames: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    let mut covered = vec![false; v.speech.len()];
    for (i, p) in pieces.iter().enumerate() {
        // Paragraphs without a speaker are heard as one more voice.
        let s = p.speaker.as_deref().unwrap_or("");
        if let (Some(a), true, false) = (chosen[i].after, p.starts_para, s.is_empty()) {
            starts.entry(s).or_default().push(a);
        }
        let from = frame_of(chosen[i].t);
        let mut to = if i + 1 < n {
            frame_of(chosen[i + 1].t)
        } else {
            end_all
        };
        if let Some(own) = sol.skip_after[i] {
            to = to.min(frame_of(time_of_speech(v, own)));
        }
        // The spectrum from the first seconds of each paragraph (robust, like the pitch where
        // they start, to a paragraph placed over speech that is not theirs).
        let sf = spec_frames.entry(s).or_default();
        let head = to.min(from + SPEC_HEAD).min(v.speech.len());
        sf.extend((from..head).filter(|&f| v.speech[f]));
        for f in &mut covered[from.min(v.speech.len())..to.min(v.speech.len())] {
            *f = true;
        }
        let e = spans.entry(s).or_default();
        e.1 += usize::from(p.starts_para);
        for &f in frames
            .pitch
            .get(from..to.min(frames.pitch.len()))
            .unwrap_or(&[])
        {
            if f > 0.0 {
                e.0.push(f.log2());
            }
        }
    }
    let mut voices: Vec<(String, f32)> = starts
        .into_iter()
        .filter(|(_, v)| v.len() >= 2)
        .map(|(s, mut v)| {
            v.sort_by(f32::total_cmp);
            (s.to_string(), v[v.len() / 2])
        })
        .collect();
    voices.sort_by(|a, b| a.1.total_cmp(&b.1));
    // Only worth it when the voices are told apart: every pair 0.25 octave or more apart.
    let distinct = voices.len() >= 2 && voices.windows(2).all(|w| (w[1].1 / w[0].1).log2() >= 0.25);

    // Each voice's pitch, in octaves: where the speaker's paragraphs start (robust to a
    // paragraph placed over speech that is not theirs) when the voices differ, else the median
    // of all the transcript's speech; the spread around it from all of it (median absolute
    // deviation: robust to a few paragraphs placed wrong, and to octave errors). A frame is
    // scored against "any voice at all": speech in no speaker's voice (another voice reading
    // an ad, music) counts against the paragraph placed over it.
    let mut keys: Vec<&str> = spans.keys().copied().collect();
    keys.sort();
    let all: Vec<f32> = keys
        .iter()
        .flat_map(|k| spans[k].0.iter().copied())
        .collect();
    if all.len() < 300 {
        return None;
    }
    let median = |v: &mut Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let pooled = median(&mut all.iter().map(|&x| x as f64).collect());
    let centre = |name: &str| -> f64 {
        match (&voices, distinct) {
            (vs, true) => vs
                .iter()
                .find(|v| v.0 == name)
                .map_or(pooled, |v| (v.1 as f64).log2()),
            _ => pooled,
        }
    };
    let mut dev: Vec<f64> = keys
        .iter()
        .flat_map(|k| {
            let c = centre(k);
            spans[k].0.iter().map(move |&x| (x as f64 - c).abs())
        })
        .collect();
    let sd = (1.4826 * median(&mut dev)).clamp(0.06, 0.4);
    let any = 1.0 / (400.0f64 / 70.0).log2();
    let norm = 1.0 / (sd * (2.0 * std::f64::consts::PI).sqrt());
    // One model per distinct centre (one in all when the voices are not told apart).
    let names: Vec<&str> = keys.clone();
    let mut centres: Vec<f64> = names.iter().map(|k| centre(k)).collect();
    if !distinct {
        centres = vec![pooled; names.len()];
    }
    let mut prefix: Vec<Vec<f64>> = Vec::new();
    for (k, &c) in centres.iter().enumerate() {
        if k > 0 && !distinct {
            prefix.push(prefix[0].clone());
            continue;
        }
        let mut pre = Vec::with_capacity(frames.pitch.len() + 1);
        let mut acc = 0.0;
        pre.push(0.0);
        for &f in &frames.pitch {
            if f > 0.0 {
                let z = (f.log2() as f64 - c) / sd;
                let g = norm * (-0.5 * z * z).exp();
                acc += ((0.8 * g + 0.2 * any) / any).ln();
            }
            pre.push(acc);
        }
        prefix.push(pre);
    }
    if prefix.is_empty() && !distinct {
        return None;
    }
    // Speech no paragraph covers (an ad, a pre-roll, music): a voice of its own.
    let foreign: Vec<usize> = (0..v.speech.len())
        .filter(|&f| v.speech[f] && !covered[f])
        .collect();
    let spec = spectral_voices(&names, &spec_frames, &foreign, frames, v);
    let piece_voice = pieces
        .iter()
        .map(|p| {
            let s = p.speaker.as_deref().unwrap_or("");
            names.iter().position(|n| *n == s)
        })
        .collect();
    Some(VoiceModel {
        starts: distinct.then_some(voices),
        piece_voice,
        prefix,
        spec,
    })
}

/// Nats per speech frame of spectral log-likelihood ratio a paragraph's voice is worth, and the
/// most one frame may count either way.
const SPEC_WEIGHT: f64 = 0.03;
const SPEC_CLAMP: f64 = 3.0;
/// Frames from each paragraph's start its speaker's spectrum is learnt from.
const SPEC_HEAD: usize = 300;
/// How far apart (squared distance of the means over the pooled variance, per coefficient) two
/// speakers' spectra must be to be used: frame to frame the spectrum varies far more than
/// between two voices, so this is small even for voices a listener tells apart.
const SPEC_APART: f64 = 0.003;

/// Each voice's spectral shape (a diagonal Gaussian over the cepstra of its speech frames in a
/// solution), scored per speech frame against all the speech of the episode (any voice, music):
/// prefix sums per name in `names`, or none when the voices are not told apart.
fn spectral_voices(
    names: &[&str],
    spans: &std::collections::HashMap<&str, Vec<usize>>,
    foreign: &[usize],
    frames: &Frames,
    v: &Vad,
) -> Option<Vec<Vec<f64>>> {
    use features::NCEP;
    let n = frames.ceps.len() / NCEP;
    if n == 0 || names.len() < 2 {
        return None;
    }
    let cep = |f: usize| &frames.ceps[f * NCEP..(f + 1) * NCEP];
    let gauss = |fs: &mut dyn Iterator<Item = usize>| -> Option<([f64; NCEP], [f64; NCEP])> {
        let (mut m, mut q, mut c) = ([0.0f64; NCEP], [0.0f64; NCEP], 0usize);
        for f in fs {
            for (j, &x) in cep(f).iter().enumerate() {
                m[j] += x as f64;
                q[j] += (x as f64) * (x as f64);
            }
            c += 1;
        }
        if c < 200 {
            return None;
        }
        for j in 0..NCEP {
            m[j] /= c as f64;
            q[j] = (q[j] / c as f64 - m[j] * m[j]).max(1e-4);
        }
        Some((m, q))
    };
    let speech_n = v.speech.len().min(n);
    let models: Vec<Option<([f64; NCEP], [f64; NCEP])>> = names
        .iter()
        .map(|k| {
            spans
                .get(k)
                .and_then(|fs| gauss(&mut fs.iter().copied().filter(|&f| f < n)))
        })
        .collect();
    // Told apart: every pair of learnt voices far enough apart.
    let learnt: Vec<&([f64; NCEP], [f64; NCEP])> = models.iter().flatten().collect();
    if learnt.len() < 2 {
        return None;
    }
    let mut closest = f64::INFINITY;
    for a in 0..learnt.len() {
        for b in a + 1..learnt.len() {
            let d: f64 = (0..NCEP)
                .map(|j| {
                    let dm = learnt[a].0[j] - learnt[b].0[j];
                    dm * dm / (0.5 * (learnt[a].1[j] + learnt[b].1[j]))
                })
                .sum::<f64>()
                / NCEP as f64;
            closest = closest.min(d);
        }
    }
    if closest < SPEC_APART {
        return None;
    }
    let logpdf = |g: &([f64; NCEP], [f64; NCEP]), x: &[f32]| -> f64 {
        x.iter()
            .zip(g.0.iter().zip(&g.1))
            .map(|(&x, (&m, &var))| {
                let d = x as f64 - m;
                -0.5 * d * d / var - 0.5 * var.ln()
            })
            .sum::<f64>()
    };
    let scale = SPEC_WEIGHT / VOICE_WEIGHT;
    let other = gauss(&mut foreign.iter().copied().filter(|&f| f < n));
    let n_all = learnt.len() + usize::from(other.is_some());
    // Per speech frame, each voice against the mean likelihood of the transcript's voices and of
    // the speech no paragraph covered in the solution (an ad, music), so that a paragraph
    // placed over such speech does not gain by it.
    let mut out: Vec<Vec<f64>> = vec![Vec::with_capacity(frames.pitch.len() + 1); models.len()];
    let mut acc = vec![0.0f64; models.len()];
    let mut ls = vec![0.0f64; models.len()];
    for o in out.iter_mut() {
        o.push(0.0);
    }
    for f in 0..frames.pitch.len() {
        if f < speech_n && v.speech[f] {
            let x = cep(f);
            let lo = other.as_ref().map(|g| logpdf(g, x));
            let mut mx = lo.unwrap_or(f64::NEG_INFINITY);
            for (l, g) in ls.iter_mut().zip(&models) {
                *l = g.as_ref().map_or(f64::NAN, |g| logpdf(g, x));
                if l.is_finite() {
                    mx = mx.max(*l);
                }
            }
            let mean = mx
                + (ls
                    .iter()
                    .filter(|l| l.is_finite())
                    .chain(&lo)
                    .map(|l| (l - mx).exp())
                    .sum::<f64>()
                    / n_all as f64)
                    .ln();
            for (a, &l) in acc.iter_mut().zip(&ls) {
                if l.is_finite() {
                    *a += scale * (l - mean).clamp(-SPEC_CLAMP, SPEC_CLAMP);
                }
            }
        }
        for (o, a) in out.iter_mut().zip(&acc) {
            o.push(*a);
        }
    }
    Some(out)
}

/// How far from a solution a written time no other agrees with is still taken as written (s).
const LONE_PIN_REACH: f64 = 12.0;

/// What a start where a written time puts it is worth (nats).
const PIN_BONUS: f64 = 6.0;

/// Where each piece's written time (if any) puts it, judged by the solution of the pass
/// before: the written times are the publisher's, and an ad this copy has (or lacks) moves
/// those after it, so each is taken with the offset the written times around it agree on in
/// `sol` (none when they do not agree, or it has no neighbour to agree with).
fn pin_hypotheses(pieces: &[Piece], sol: &Solution) -> Vec<Vec<f64>> {
    let pinned: Vec<(usize, f64)> = pieces
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.pin.map(|t| (i, sol.chosen[i].t - t)))
        .collect();
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); pieces.len()];
    for (k, &(i, _)) in pinned.iter().enumerate() {
        let near = &pinned[k.saturating_sub(2)..(k + 3).min(pinned.len())];
        let mut d: Vec<f64> = near.iter().map(|x| x.1).collect();
        d.sort_by(f64::total_cmp);
        let off = d[d.len() / 2];
        // Times are written rounded down: a start up to a second after its time is exact.
        let agreeing = d.iter().filter(|x| (*x - off).abs() < 1.0).count();
        if agreeing < 2 || agreeing * 2 <= d.len() {
            // No offset the times around agree on: when the solution is off from the time by
            // less than an ad lasts, the time is taken as written (no ad before it in either
            // copy), for the other evidence to weigh.
            if (sol.chosen[i].t - pieces[i].pin.unwrap_or(0.0)).abs() < LONE_PIN_REACH {
                out[i].push(pieces[i].pin.unwrap_or(0.0));
            }
            continue;
        }
        let written = pieces[i].pin.unwrap_or(0.0);
        let shift = if (-0.6..=1.6).contains(&off) {
            0.0
        } else {
            off - 0.5
        };
        if written + shift >= 0.0 {
            out[i].push(written + shift);
        }
    }
    out
}

/// Nats per halving of a pause's length (paragraph breaks are mostly longer pauses).
const PAUSE_WEIGHT: f64 = 1.6;

/// Relative spread of a paragraph's duration around its expectation, and its floor (s).
const REL_SD: f64 = 0.13;
const ABS_SD: f64 = 0.5;

/// Speech the transcript does not contain (a dynamically inserted ad, a promo, music) between
/// two paragraphs: what opening such a stretch costs (nats), and what each second of it costs.
const SKIP_OPEN: f64 = 6.0;
const SKIP_PER_S: f64 = 0.3;
/// Before the first paragraph (a pre-roll, an intro) and after the last (an outro), per second.
const LEAD_PER_S: f64 = 0.15;
const TAIL_OPEN: f64 = 2.0;
/// The most unexplained speech assumed in all (s), and as a share of the speech.
const MAX_UNEXPLAINED: f64 = 420.0;
const MAX_UNEXPLAINED_SHARE: f64 = 0.45;

/// One solution of the dynamic programme.
struct Solution {
    chosen: Vec<Cand>,
    /// Per piece: where its own speech ends (speech seconds) when unexplained speech follows it.
    skip_after: Vec<Option<f64>>,
    /// Total cost, a negative log-likelihood comparable between paces.
    cost: f64,
}

/// The transition from a piece that began `d` seconds of speech before the next one, expected
/// to last `e` (spread `sd`): its cost and, when unexplained speech between them fits better,
/// how much of `d` is the piece's own.
fn transition(d: f64, e: f64, sd: f64, may_skip: bool) -> (f64, Option<f64>) {
    let z = (d - e) / sd;
    let plain = 0.5 * z * z;
    if !may_skip || d <= e {
        return (plain, None);
    }
    let own = d.min(e + SKIP_PER_S * sd * sd);
    let zo = (own - e) / sd;
    let skip = SKIP_OPEN + 0.5 * zo * zo + SKIP_PER_S * (d - own);
    if skip < plain {
        (skip, Some(own))
    } else {
        (plain, None)
    }
}

/// The pace (speech seconds per unit) is not known when speech the transcript lacks is mixed
/// in: each of a few paces from "all the speech is the transcript's" down is tried, and the
/// likeliest solution kept.
fn solve_paces(
    pieces: &[Piece],
    cands: &[Cand],
    v: &Vad,
    total_speech: f64,
    voices: Option<&VoiceModel>,
    pins_at: &[Vec<f64>],
) -> (Solution, f64) {
    let max_u = MAX_UNEXPLAINED.min(MAX_UNEXPLAINED_SHARE * total_speech);
    let m_min = (1.0 - max_u / total_speech.max(1.0)).clamp(0.3, 1.0);
    const STEPS: usize = 12;
    let mut best: Option<(Solution, f64)> = None;
    for k in 0..=STEPS {
        let m = 1.0 - (1.0 - m_min) * k as f64 / STEPS as f64;
        let sol = solve(pieces, cands, v, total_speech, voices, pins_at, m);
        if best.as_ref().is_none_or(|b| sol.cost < b.0.cost) {
            best = Some((sol, m));
        }
        if m_min >= 1.0 {
            break;
        }
    }
    best.expect("one pace at least")
}

/// The dynamic programme: for every piece start, a candidate, in order. `m` scales the pace
/// the whole speech suggests (below 1: some of the speech is not the transcript's).
fn solve(
    pieces: &[Piece],
    cands: &[Cand],
    v: &Vad,
    total_speech: f64,
    model: Option<&VoiceModel>,
    pins_at: &[Vec<f64>],
    m: f64,
) -> Solution {
    let voices = model.and_then(|m| m.starts.as_ref());
    let n = pieces.len();
    let total_units: f64 = pieces.iter().map(|p| p.units).sum();
    let cum_units: Vec<f64> = std::iter::once(0.0)
        .chain(pieces.iter().scan(0.0, |a, p| {
            *a += p.units;
            Some(*a)
        }))
        .collect();
    let s_at = |t: f64| -> f64 {
        let i = ((t / HOP).round().max(0.0) as usize).min(v.cum.len() - 1);
        v.cum[i]
    };
    // The ends on the (units → speech seconds) axis. (Written times are not pins here: they
    // are the publisher's, and an ad in this copy moves what follows it.)
    let pins: Vec<(f64, f64)> = vec![(0.0, 0.0), (total_units.max(1e-9), total_speech)];
    let global_rate = m * total_speech / total_units.max(1.0);
    // Where the speech at a units position may be (lowest and highest: the speech the
    // transcript lacks may come anywhere between two pins), the local pace there, and the
    // distance to the nearest pin.
    let expect = |u: f64| -> (f64, f64, f64, f64) {
        let k = pins.partition_point(|p| p.0 <= u);
        let (a, b) = match (k.checked_sub(1).map(|j| pins[j]), pins.get(k)) {
            (Some(a), Some(&b)) => (a, b),
            (Some(a), None) => (a, (a.0 + 1.0, a.1 + global_rate)),
            (None, Some(&b)) => ((0.0, 0.0), b),
            (None, None) => ((0.0, 0.0), (1.0, global_rate)),
        };
        let du = (b.0 - a.0).max(1e-9);
        // The pace between the pins, within reason of the whole's (more speech between them
        // than that is taken for speech the transcript lacks).
        let local = ((b.1 - a.1) / du).clamp(0.85 * global_rate, 1.15 * global_rate);
        // A short stretch between two pins says little about the pace.
        let w = du / (du + 150.0);
        let rate = (w * local + (1.0 - w) * global_rate).max(global_rate * 0.3);
        let lo = a.1 + (u - a.0) * rate;
        let hi = b.1 - (b.0 - u) * rate;
        let (lo, hi) = if lo <= hi {
            (lo, hi)
        } else {
            let s = a.1 + (b.1 - a.1) * (u - a.0) / du;
            (s, s)
        };
        let dist = (lo - a.1).min(b.1 - hi).max(0.0);
        (lo, hi, rate, dist)
    };

    // Candidates per boundary.
    let mut lists: Vec<Vec<Cand>> = Vec::with_capacity(n);
    for i in 0..n {
        let (lo, hi, _, dist) = expect(cum_units[i]);
        let band = 25.0 + 0.12 * dist;
        let mut list: Vec<Cand> = cands
            .iter()
            .filter(|c| c.s >= lo - band && c.s <= hi + band)
            .copied()
            .collect();
        // Fallbacks that always exist: the expected place itself, and where a written time
        // says.
        let expected = time_of_speech(v, lo);
        for t in std::iter::once(expected).chain(pins_at[i].iter().map(|t| t + 0.5)) {
            list.push(Cand {
                t,
                s: s_at(t),
                pause: 0.0,
                change: None,
                after: None,
                bonus: 0.0,
            });
        }
        list.sort_by(|a, b| a.t.total_cmp(&b.t));
        lists.push(list);
    }

    let node_cost = |p: &Piece, c: &Cand, i: usize| -> f64 {
        let mut cost = 0.0;
        // Longer pauses are likelier paragraph breaks; no pause at all is a last resort.
        cost += if c.pause <= 0.0 {
            6.0
        } else {
            let l = c.pause.clamp(0.05, 2.0);
            let w = if p.starts_para { PAUSE_WEIGHT } else { 0.4 };
            w * (2.0f64.ln() - l.ln())
        };
        cost -= c.bonus * if p.starts_para { 1.0 } else { 0.3 };
        if pins_at[i].iter().any(|&h| c.t >= h - 0.6 && c.t <= h + 1.6) {
            cost -= PIN_BONUS;
        }
        if p.starts_para && i > 0 {
            match voices {
                // Pitch alone is weak evidence (two voices of one pitch are common): it is only
                // used once the speakers are known to differ.
                None => {}
                Some(vs) => {
                    let own = p
                        .speaker
                        .as_deref()
                        .and_then(|s| vs.iter().find(|v| v.0 == s));
                    if let (Some(own), Some(a)) = (own, c.after) {
                        let d = (a / own.1).log2().abs();
                        let nearest = vs
                            .iter()
                            .map(|v| (a / v.1).log2().abs())
                            .fold(f32::INFINITY, f32::min);
                        cost += 2.5 * ((d - nearest) / 0.2).min(2.0) as f64;
                    }
                    if p.change {
                        if let Some(d) = c.change {
                            cost += 1.0 * ((0.2 - d).max(0.0) / 0.2) as f64;
                        }
                    }
                }
            }
        }
        cost
    };

    // dp over boundaries; back pointers (and whether unexplained speech came between).
    let mut norm = 0.0;
    let mut dp: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut back: Vec<Vec<(usize, Option<f64>)>> = Vec::with_capacity(n);
    for i in 0..n {
        let list = &lists[i];
        let mut row = vec![f64::INFINITY; list.len()];
        let mut br = vec![(0usize, None); list.len()];
        if i == 0 {
            for (ci, c) in list.iter().enumerate() {
                // Speech before the first paragraph (music, an intro, a pre-roll) is allowed,
                // at a price.
                row[ci] = node_cost(&pieces[0], c, 0) + LEAD_PER_S * c.s;
            }
        } else {
            let (_, _, rate, _) = expect(cum_units[i - 1] + pieces[i - 1].units * 0.5);
            let e = pieces[i - 1].units * rate;
            let sd = REL_SD * e + ABS_SD;
            norm += sd.ln();
            let may_skip = pieces[i].starts_para;
            let voice = model.and_then(|m| m.piece_voice[i - 1].map(|k| (m, k)));
            let prev = &lists[i - 1];
            for (ci, c) in list.iter().enumerate() {
                let node = node_cost(&pieces[i], c, i);
                let mut best = (f64::INFINITY, 0usize, None);
                for (pj, pc) in prev.iter().enumerate() {
                    if pc.t >= c.t || !dp[i - 1][pj].is_finite() {
                        continue;
                    }
                    let (mut tc, own) = transition(c.s - pc.s, e, sd, may_skip);
                    if let Some((m, k)) = voice {
                        let to = match own {
                            Some(o) => frame_of(time_of_speech(v, pc.s + o)),
                            None => frame_of(c.t),
                        };
                        tc -= VOICE_WEIGHT * m.fit(k, frame_of(pc.t), to);
                    }
                    let total = dp[i - 1][pj] + tc;
                    if total < best.0 {
                        best = (total, pj, own);
                    }
                }
                row[ci] = best.0 + node;
                br[ci] = (best.1, best.2);
            }
        }
        dp.push(row);
        back.push(br);
    }
    // The last piece runs to the end of the speech (music or an outro after it is allowed).
    let (_, _, rate, _) = expect(total_units - pieces[n - 1].units * 0.5);
    let e = pieces[n - 1].units * rate;
    let sd = REL_SD * e + ABS_SD;
    norm += sd.ln();
    let mut best = (f64::INFINITY, 0usize, None);
    for (ci, c) in lists[n - 1].iter().enumerate() {
        let d = total_speech - c.s;
        let z = (d - e) / sd;
        let plain = 0.5 * z * z;
        let own = d.min(e + LEAD_PER_S * sd * sd);
        let zo = (own - e) / sd;
        let tail = TAIL_OPEN + 0.5 * zo * zo + LEAD_PER_S * (d - own);
        let (mut tc, skip) = if d > e && tail < plain {
            (tail, Some(own))
        } else {
            (plain, None)
        };
        if let Some((m, k)) = model.and_then(|m| m.piece_voice[n - 1].map(|k| (m, k))) {
            let to = match skip {
                Some(o) => frame_of(time_of_speech(v, c.s + o)),
                None => v.speech.len(),
            };
            tc -= VOICE_WEIGHT * m.fit(k, frame_of(c.t), to);
        }
        let t = dp[n - 1][ci] + tc;
        if t < best.0 {
            best = (t, ci, skip);
        }
    }
    let mut chosen = vec![lists[n - 1][best.1]; n];
    let mut skip_after = vec![None; n];
    skip_after[n - 1] = best.2.map(|own| chosen[n - 1].s + own);
    let mut ci = best.1;
    for i in (0..n).rev() {
        chosen[i] = lists[i][ci];
        if i > 0 {
            let (pj, own) = back[i][ci];
            skip_after[i - 1] = own.map(|o| lists[i - 1][pj].s + o);
            ci = pj;
        }
    }
    Solution {
        chosen,
        skip_after,
        cost: best.0 + norm,
    }
}

/// Where the speech that has gone on for about `s` seconds stops: the start of the longest
/// pause that begins within 3 s of speech either side of that point.
fn speech_end(v: &Vad, s: f64) -> f64 {
    let from = (time_of_speech(v, (s - 3.0).max(0.0)) / HOP) as usize;
    let to = ((time_of_speech(v, s + 3.0) / HOP) as usize).min(v.speech.len());
    let mut best = (0usize, to);
    let mut i = from.min(to);
    while i < to {
        if v.speech[i] {
            i += 1;
            continue;
        }
        let run = v.speech[i..].iter().take_while(|&&x| !x).count();
        if run > best.0 {
            best = (run, i);
        }
        i += run;
    }
    best.1 as f64 * HOP
}

/// The time at which `s` seconds of speech have gone by.
fn time_of_speech(v: &Vad, s: f64) -> f64 {
    let i = v.cum.partition_point(|&c| c < s);
    i.saturating_sub(1) as f64 * HOP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_count_syllables_not_marks() {
        assert_eq!(speech_units("Hello there, made it."), 5.0);
        assert_eq!(speech_units("[inaudible 00:01:47] Yes"), 1.0);
        assert_eq!(speech_units(""), 0.0);
    }
}
