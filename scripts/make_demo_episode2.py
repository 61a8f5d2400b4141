#!/usr/bin/env python3
"""Build demo episode 2 (an untimed transcript) from assets/demo/script2.txt.

Python 3.11 standard library only; shells out to espeak-ng, sox and ffmpeg. Run through
scripts/make-demo-podcast.sh, after make_demo_podcast.py (whose helpers it reuses).

Each paragraph is synthesized whole (espeak-ng puts its own pauses between sentences),
trimmed, and joined with uneven pauses (a fixed, repeatable sequence; longer before a new
chapter). Outputs in assets/demo/:
  episode2.mp3         VBR MP3 (libmp3lame -q:a 5), mono 44.1 kHz, Xing/LAME gapless tag
  episode2.txt         the untimed transcript: `Name: paragraph`, a speaker's further
                       paragraphs unlabelled, blank lines between, one inline `[note HH:MM:SS]`
  episode2.chapters.json  Podcasting 2.0 chapters (used by the aligner as anchors)
  episode2.truth.json  the true start and end of every paragraph (for tests; not shipped)
and adds/replaces episode 2 in podcast.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_demo_podcast as demo  # noqa: E402

GUID = "earshot-demo-2"
TITLE = "Reading along without timings"
DESCRIPTION = (
    "A transcript with no times in it, just speaker-labelled paragraphs as many shows publish "
    "them. Earshot lines it up with the audio on your computer, so the paragraph being spoken "
    "is highlighted as you listen. Voices synthesized with eSpeak NG."
)
# Dated before the tour (episode 1), which stays at the top of the newest-first list.
PUBLISHED = "2026-10-25T09:00:00Z"
# Pauses between paragraphs (ms), used in turn: uneven on purpose.
PAUSES_MS = [450, 1200, 650, 1650, 520, 900, 1400, 380, 1050, 760]
PAUSE_CHAPTER_MS = 1800
TAIL_MS = 800

LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(\+?):\s+(.+?)\s*$")
NOTE_RE = re.compile(r"^\{([a-z ]+)\}\s*(.+)$")


@dataclass
class Para:
    speaker: str
    labelled: bool
    text: str
    note: str | None
    chapter: str | None
    start: int = 0
    end: int = 0


def parse(path: Path) -> tuple[dict[str, demo.Voice], list[Para]]:
    voices: dict[str, demo.Voice] = {}
    paras: list[Para] = []
    chapter = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if m := demo.VOICE_RE.match(line):
                name, ev, speed, pitch = m.groups()
                voices[name] = demo.Voice(name, ev, int(speed), int(pitch) if pitch else None)
            elif m := demo.CHAPTER_RE.match(line):
                chapter = m.group(1)
            continue
        m = LINE_RE.match(line)
        if not m or m.group(1) not in voices:
            sys.exit(f"{path}:{lineno}: cannot parse paragraph: {raw!r}")
        speaker, plus, text = m.groups()
        note = None
        if n := NOTE_RE.match(text):
            note, text = n.groups()
        if plus and (not paras or paras[-1].speaker != speaker):
            sys.exit(f"{path}:{lineno}: '{speaker}+' must follow a paragraph of {speaker}")
        if not paras and chapter is None:
            sys.exit(f"{path}:{lineno}: the first paragraph must follow a '# chapter:' marker")
        paras.append(Para(speaker, not plus, text, note, chapter))
        chapter = None
    return voices, paras


def hms(samples: int) -> str:
    s = samples // demo.RATE
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", type=Path, default=repo / "assets/demo/script2.txt")
    ap.add_argument("--out", type=Path, default=repo / "assets/demo")
    args = ap.parse_args()
    voices, paras = parse(args.script)
    out: Path = args.out

    episode = demo.array.array("h")
    with tempfile.TemporaryDirectory(prefix="earshot-demo2-") as tmp:
        work = Path(tmp)
        for i, p in enumerate(paras):
            line = demo.Line(p.speaker, p.text)
            pcm = demo.synthesize(line, voices[p.speaker], work, i)
            if i > 0:
                pause = PAUSE_CHAPTER_MS if p.chapter else PAUSES_MS[(i - 1) % len(PAUSES_MS)]
                episode.extend(demo.silence(pause))
            p.start = len(episode)
            episode.extend(pcm)
            p.end = len(episode)
            print(f"  [{demo.vtt_time(p.start)} - {demo.vtt_time(p.end)}] {p.speaker}: {p.text[:60]}")
        episode.extend(demo.silence(TAIL_MS))
        total = len(episode)
        wav = work / "episode2.wav"
        demo.write_pcm16_mono(wav, episode)
        mp3 = work / "episode2.mp3"
        demo.run([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(wav),
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-c:a", "libmp3lame", "-q:a", "5", "-ac", "1", "-ar", str(demo.RATE),
            "-write_xing", "1", "-id3v2_version", "3",
            "-metadata", f"title={TITLE}", "-metadata", f"artist={demo.PODCAST_AUTHOR}",
            "-metadata", f"album={demo.PODCAST_TITLE}", str(mp3),
        ])
        decoded = work / "decoded.wav"
        demo.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(mp3),
                  "-c:a", "pcm_s16le", "-ac", "1", "-ar", str(demo.RATE), str(decoded)])
        if len(demo.read_pcm16_mono(decoded)) != total:
            sys.exit("episode2: the decoded MP3's length differs from the WAV's (gapless tag?)")
        shutil.copyfile(mp3, out / "episode2.mp3")

    # The untimed transcript, in the style of a show's web page.
    blocks = []
    for p in paras:
        text = f"[{p.note} {hms(p.start)}] {p.text}" if p.note else p.text
        blocks.append(f"{p.speaker}: {text}" if p.labelled else text)
    (out / "episode2.txt").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")

    starts = [(p.start, p.chapter) for p in paras if p.chapter]
    chapters = [{"startTime": demo.secs(s if k else 0),
                 "endTime": demo.secs(starts[k + 1][0] if k + 1 < len(starts) else total),
                 "title": t} for k, (s, t) in enumerate(starts)]
    (out / "episode2.chapters.json").write_text(
        json.dumps({"version": "1.2.0", "chapters": chapters}, indent=2) + "\n", encoding="utf-8")
    truth = {"duration": round(total / demo.RATE, 6),
             "paragraphs": [{"start": demo.secs(p.start), "end": demo.secs(p.end),
                             "speaker": p.speaker, "text": p.text} for p in paras]}
    (out / "episode2.truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")

    meta_path = out / "podcast.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["episodes"] = [e for e in meta["episodes"] if e["guid"] != GUID] + [{
        "guid": GUID, "title": TITLE, "description": DESCRIPTION, "published": PUBLISHED,
        "audio": "episode2.mp3", "durationSecs": truth["duration"], "transcript": "episode2.txt",
        "chapters": "episode2.chapters.json",
    }]
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"episode2: {total} samples = {truth['duration']} s, {len(paras)} paragraphs, "
          f"{len(chapters)} chapters, mp3 {(out / 'episode2.mp3').stat().st_size} bytes")


if __name__ == "__main__":
    main()
