#!/usr/bin/env python3
"""Build the Earshot demo podcast from assets/demo/script.txt.

Python 3.11 standard library only; shells out to espeak-ng, sox and ffmpeg.
Run through scripts/make-demo-podcast.sh (which checks the tools first).

Pipeline (everything deterministic, all timings from sample counts):
  1. parse script.txt (voices, chapter markers, spoken lines);
  2. synthesize every line on its own with `espeak-ng -w`;
  3. resample each line with sox to 44100 Hz mono 16-bit (2 dB headroom,
     no dither, repeatable mode);
  4. trim leading/trailing silence of each line (sample threshold) and keep
     a few ms of margin;
  5. concatenate with fixed pauses (350 ms between lines, 700 ms before a
     new chapter, 600 ms tail), counting samples as we go;
  6. write episode1.vtt, episode1.chapters.json and podcast.json from those
     sample counts, and encode episode1.mp3 (libmp3lame, 64 kbps CBR, mono,
     44.1 kHz, with the Xing/LAME gapless tag ffmpeg writes by default).

Because the player decodes the MP3 gaplessly (the encoder delay and padding
in the LAME tag are trimmed), positions in the MP3 equal positions in the WAV.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

RATE = 44100
PAUSE_LINE_MS = 350
PAUSE_CHAPTER_MS = 700
TAIL_MS = 600
# A sample counts as speech once |x| exceeds this (16-bit; about -40 dBFS).
SILENCE_THRESHOLD = 330
# Samples of margin kept before the first / after the last speech sample, so
# the cut never lands inside a waveform period (about 5 ms / 20 ms).
LEAD_MARGIN = 220
TRAIL_MARGIN = 880

HEADROOM_DB = 2  # fixed gain reduction, dB

MP3_BITRATE = "64k"

PODCAST_TITLE = "Earshot Demo"
PODCAST_AUTHOR = "The Earshot project"
PODCAST_DESCRIPTION = (
    "A tiny demo show that ships inside Earshot, so there is always something "
    "to play. Two synthetic hosts, Ada and Ben, walk through chapters, "
    "transcripts, resuming and keyboard shortcuts."
)
EPISODE_GUID = "earshot-demo-1"
EPISODE_TITLE = "A quick tour of your podcast player"
EPISODE_DESCRIPTION = (
    "Ada and Ben show what a podcast player can do: jump between chapters, "
    "follow along with a synchronized transcript, pick up where you left off, "
    "and drive playback from the keyboard. Voices synthesized with eSpeak NG."
)
EPISODE_PUBLISHED = "2026-11-01T09:00:00Z"


@dataclass
class Voice:
    name: str
    espeak_voice: str
    speed: int
    pitch: int | None = None


@dataclass
class Line:
    speaker: str
    text: str
    new_chapter: str | None = None  # chapter title if a chapter starts here
    start: int = 0  # sample index in the episode (inclusive)
    end: int = 0  # sample index in the episode (exclusive)


@dataclass
class Script:
    voices: dict[str, Voice] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)


VOICE_RE = re.compile(r"^#\s*voice:\s*(\S+)\s+(\S+)\s+(\d+)(?:\s+(\d+))?\s*$")
CHAPTER_RE = re.compile(r"^#\s*chapter:\s*(.+?)\s*$")
LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):\s+(.+?)\s*$")


def parse_script(path: Path) -> Script:
    script = Script()
    pending_chapter: str | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if m := VOICE_RE.match(line):
                name, ev, speed, pitch = m.groups()
                script.voices[name] = Voice(name, ev, int(speed), int(pitch) if pitch else None)
            elif m := CHAPTER_RE.match(line):
                if pending_chapter is not None:
                    sys.exit(f"{path}:{lineno}: chapter {m.group(1)!r} follows an empty chapter")
                pending_chapter = m.group(1)
            continue
        m = LINE_RE.match(line)
        if not m:
            sys.exit(f"{path}:{lineno}: cannot parse line: {raw!r}")
        speaker, text = m.groups()
        if speaker not in script.voices:
            sys.exit(f"{path}:{lineno}: unknown speaker {speaker!r} (declare it with '# voice:')")
        if not script.lines and pending_chapter is None:
            sys.exit(f"{path}:{lineno}: the first spoken line must follow a '# chapter:' marker")
        script.lines.append(Line(speaker, text, pending_chapter))
        pending_chapter = None
    if pending_chapter is not None:
        sys.exit(f"{path}: chapter {pending_chapter!r} has no lines")
    if not script.lines:
        sys.exit(f"{path}: no spoken lines")
    return script


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)


def read_pcm16_mono(path: Path) -> array.array:
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            sys.exit(f"{path}: expected mono 16-bit {RATE} Hz, got "
                     f"{w.getnchannels()} ch, {8 * w.getsampwidth()} bit, {w.getframerate()} Hz")
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return data


def write_pcm16_mono(path: Path, data: array.array) -> None:
    out = array.array("h", data)
    if sys.byteorder == "big":
        out.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(out.tobytes())


def synthesize(line: Line, voice: Voice, workdir: Path, index: int) -> array.array:
    """Synthesize one line; return trimmed 44.1 kHz mono 16-bit samples."""
    txt = workdir / f"line{index:03d}.txt"
    raw = workdir / f"line{index:03d}.raw.wav"
    res = workdir / f"line{index:03d}.wav"
    txt.write_text(line.text + "\n", encoding="utf-8")
    cmd = ["espeak-ng", "-v", voice.espeak_voice, "-s", str(voice.speed)]
    if voice.pitch is not None:
        cmd += ["-p", str(voice.pitch)]
    cmd += ["-w", str(raw), "-f", str(txt)]
    run(cmd)
    # -R: repeatable mode, -D: no dither -> bit-identical output every run.
    # 'gain' leaves headroom so neither the resampler nor the MP3 round trip clips.
    run(["sox", "-R", "-D", str(raw), "-b", "16", "-c", "1", "-r", str(RATE), str(res),
         "gain", f"-{HEADROOM_DB}", "rate", "-v"])
    pcm = read_pcm16_mono(res)
    loud = [i for i, s in enumerate(pcm) if s > SILENCE_THRESHOLD or s < -SILENCE_THRESHOLD]
    if not loud:
        sys.exit(f"line {index + 1}: espeak-ng produced silence for {line.text!r}")
    first = max(0, loud[0] - LEAD_MARGIN)
    last = min(len(pcm), loud[-1] + 1 + TRAIL_MARGIN)
    return pcm[first:last]


def silence(millis: int) -> array.array:
    return array.array("h", bytes(2 * (RATE * millis // 1000)))


def ms(samples: int) -> int:
    """Sample count -> whole milliseconds, rounded half up (integer math)."""
    return (samples * 1000 * 2 + RATE) // (2 * RATE)


def vtt_time(samples: int) -> str:
    t = ms(samples)
    h, rem = divmod(t, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{milli:03d}"


def secs(samples: int) -> int | float:
    """Seconds with 3 decimals, consistent with the VTT timestamps."""
    t = ms(samples)
    return t // 1000 if t % 1000 == 0 else t / 1000


def first_loud(pcm: array.array, lo: int, hi: int) -> int | None:
    for i in range(max(0, lo), min(len(pcm), hi)):
        if pcm[i] > SILENCE_THRESHOLD or pcm[i] < -SILENCE_THRESHOLD:
            return i
    return None


def check_outputs(script: Script, chapters: list[dict], total: int, wav: Path, mp3: Path,
                  work: Path) -> None:
    """Sanity checks on the timeline, then decode the MP3 back and compare.

    ffmpeg's MP3 decoder honours the Xing/LAME gapless tag the same way
    symphonia does with enable_gapless, so the decoded audio must have the
    WAV's exact length and its speech onsets must sit on the cue starts.
    """
    problems = []
    if not 60 <= total / RATE <= 180:
        problems.append(f"duration {total / RATE:.3f}s is outside 60-180 s")
    if len(chapters) < 4:
        problems.append(f"only {len(chapters)} chapters")
    cue_starts = {secs(line.start) for line in script.lines}
    for ch in chapters:
        if ch["startTime"] not in cue_starts:
            problems.append(f"chapter {ch['title']!r} does not start on a cue")
    if chapters[0]["startTime"] != 0 or script.lines[0].start != 0:
        problems.append("first chapter/cue does not start at 0")
    for a, b in zip(script.lines, script.lines[1:]):
        if not a.start < a.end < b.start:
            problems.append(f"cues overlap or are empty around {a.text!r}")

    decoded = work / "decoded.wav"
    run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(mp3),
         "-c:a", "pcm_s16le", "-ac", "1", "-ar", str(RATE), str(decoded)])
    ref, dec = read_pcm16_mono(wav), read_pcm16_mono(decoded)
    if len(dec) != len(ref):
        problems.append(f"decoded MP3 has {len(dec)} samples, WAV has {len(ref)} "
                        "(gapless info missing or not honoured?)")
    n = min(len(ref), len(dec))
    sig = sum(x * x for x in ref[:n])
    err = sum((x - y) * (x - y) for x, y in zip(ref[:n], dec[:n]))
    snr = 10 * math.log10(sig / max(err, 1))
    if snr < 12:
        problems.append(f"MP3 vs WAV SNR only {snr:.1f} dB: timelines are probably shifted")
    worst = 0.0
    window = RATE * 300 // 1000
    for line in script.lines:
        onset = first_loud(dec, line.start - window, line.start + window)
        if onset is None:
            problems.append(f"no onset found near cue {line.text!r}")
            continue
        worst = max(worst, abs(onset - line.start) * 1000 / RATE)
    if worst > 30:
        problems.append(f"an MP3 speech onset is {worst:.1f} ms away from its cue start")
    print(f"check: decoded MP3 {len(dec)} samples (WAV {len(ref)}), SNR {snr:.1f} dB, "
          f"max |onset - cue start| {worst:.1f} ms")
    if problems:
        sys.exit("check FAILED:\n  " + "\n  ".join(problems))


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", type=Path, default=repo / "assets/demo/script.txt")
    ap.add_argument("--out", type=Path, default=repo / "assets/demo")
    ap.add_argument("--keep-wav", type=Path, help="also write the episode WAV here")
    args = ap.parse_args()

    for tool in ("espeak-ng", "sox", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"missing {tool}: apt-get install -y espeak-ng sox ffmpeg")

    script = parse_script(args.script)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    episode = array.array("h")
    with tempfile.TemporaryDirectory(prefix="earshot-demo-") as tmp:
        work = Path(tmp)
        for i, line in enumerate(script.lines):
            pcm = synthesize(line, script.voices[line.speaker], work, i)
            if i > 0:
                pause_ms = PAUSE_CHAPTER_MS if line.new_chapter else PAUSE_LINE_MS
                episode.extend(silence(pause_ms))
            line.start = len(episode)
            episode.extend(pcm)
            line.end = len(episode)
            print(f"  [{vtt_time(line.start)} - {vtt_time(line.end)}] {line.speaker}: {line.text}")
        episode.extend(silence(TAIL_MS))
        total = len(episode)

        wav = work / "episode1.wav"
        write_pcm16_mono(wav, episode)
        if args.keep_wav:
            shutil.copyfile(wav, args.keep_wav)

        # Podcasting 2.0 chapters: a chapter starts at its first line's cue
        # start (the first one at 0); each ends where the next begins, the last
        # one at the end of the audio.
        starts = [(line.start, line.new_chapter) for line in script.lines if line.new_chapter]
        chapters = []
        for k, (start, title) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else total
            chapters.append({"startTime": secs(start), "endTime": secs(end), "title": title})

        mp3 = work / "episode1.mp3"
        run([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-i", str(wav),
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-ac", "1", "-ar", str(RATE),
            "-write_xing", "1", "-id3v2_version", "3",
            "-metadata", f"title={EPISODE_TITLE}",
            "-metadata", f"artist={PODCAST_AUTHOR}",
            "-metadata", f"album={PODCAST_TITLE}",
            str(mp3),
        ])
        check_outputs(script, chapters, total, wav, mp3, work)
        shutil.copyfile(mp3, out / "episode1.mp3")

    # WebVTT transcript: one cue per spoken line.
    vtt = ["WEBVTT", ""]
    for i, line in enumerate(script.lines, 1):
        vtt += [str(i), f"{vtt_time(line.start)} --> {vtt_time(line.end)}",
                f"<v {line.speaker}>{line.text}", ""]
    (out / "episode1.vtt").write_text("\n".join(vtt), encoding="utf-8")

    (out / "episode1.chapters.json").write_text(
        json.dumps({"version": "1.2.0", "chapters": chapters}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")

    duration = round(total / RATE, 6)
    podcast = {
        "title": PODCAST_TITLE,
        "author": PODCAST_AUTHOR,
        "description": PODCAST_DESCRIPTION,
        "episodes": [{
            "guid": EPISODE_GUID,
            "title": EPISODE_TITLE,
            "description": EPISODE_DESCRIPTION,
            "published": EPISODE_PUBLISHED,
            "audio": "episode1.mp3",
            "durationSecs": duration,
            "transcript": "episode1.vtt",
            "chapters": "episode1.chapters.json",
        }],
    }
    (out / "podcast.json").write_text(json.dumps(podcast, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")

    print(f"episode1: {total} samples = {duration} s, {len(script.lines)} cues, "
          f"{len(chapters)} chapters, mp3 {(out / 'episode1.mp3').stat().st_size} bytes")


if __name__ == "__main__":
    main()
