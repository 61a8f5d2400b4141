#!/usr/bin/env bash
# Regenerates the chapter fixtures in tests/fixtures/chapters/ (committed, so the tests never
# need ffmpeg). Each file is a few seconds of quiet tone carrying the same three chapters,
# written by ffmpeg from an ffmetadata file:
#
#   chapters.mp3            ID3v2.4 CHAP frames (with TIT2 titles) and a CTOC frame
#   chapters.m4a            AAC; a QuickTime chapter text track AND a Nero `chpl` atom,
#                           `moov` after `mdat` (ffmpeg's default layout)
#   chapters-faststart.m4a  the same with `moov` before `mdat` (-movflags +faststart)
#   chapters-track.m4a      QuickTime chapter track only (-movflags +disable_chpl)
#   chapters.ogg            Ogg Vorbis with CHAPTER000=… / CHAPTER000NAME=… comments
#   chapters.flac           FLAC with the same CHAPTERxxx Vorbis comments
#   no-chapters.mp3         an MP3 without any chapter (and without an ID3 tag)
#
# Chapters: 0 s "Opening", 1.25 s "The middle part", 2.5 s "Closing words"; 4 s of audio.
# Usage: bash scripts/make-chapter-fixtures.sh   (from anywhere; needs ffmpeg)
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/chapters"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/meta.txt" <<'META'
;FFMETADATA1
title=Chapter fixture

[CHAPTER]
TIMEBASE=1/1000
START=0
END=1250
title=Opening

[CHAPTER]
TIMEBASE=1/1000
START=1250
END=2500
title=The middle part

[CHAPTER]
TIMEBASE=1/1000
START=2500
END=4000
title=Closing words
META

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
tone=(-f lavfi -i "sine=frequency=440:sample_rate=8000:duration=4")
meta=(-i "$tmp/meta.txt" -map 0:a -map_metadata 1 -map_chapters 1)

ff "${tone[@]}" "${meta[@]}" -ac 1 -c:a libmp3lame -b:a 16k -id3v2_version 4 "$out/chapters.mp3"
ff "${tone[@]}" -ac 1 -c:a libmp3lame -b:a 16k -write_xing 1 -map_metadata -1 -id3v2_version 0 \
  "$out/no-chapters.mp3"
ff "${tone[@]}" "${meta[@]}" -ac 1 -c:a aac -b:a 16k "$out/chapters.m4a"
ff "${tone[@]}" "${meta[@]}" -ac 1 -c:a aac -b:a 16k -movflags +faststart "$out/chapters-faststart.m4a"
ff "${tone[@]}" "${meta[@]}" -ac 1 -c:a aac -b:a 16k -movflags +disable_chpl "$out/chapters-track.m4a"
# ffmpeg does not turn chapters into Vorbis comments itself: write the comments explicitly.
# Ogg numbers them from 000 (as ffmpeg's own reader does), FLAC from 001 (as most taggers do).
vc() { # vc FIRST_NUMBER -> -metadata arguments for the three chapters
  local n=$1
  printf -- '-metadata\0CHAPTER%03d=00:00:00.000\0-metadata\0CHAPTER%03dNAME=Opening\0' "$n" "$n"
  n=$((n + 1))
  printf -- '-metadata\0CHAPTER%03d=00:00:01.250\0-metadata\0CHAPTER%03dNAME=The middle part\0' "$n" "$n"
  n=$((n + 1))
  printf -- '-metadata\0CHAPTER%03d=00:00:02.500\0-metadata\0CHAPTER%03dNAME=Closing words\0' "$n" "$n"
}
mapfile -d '' ogg_tags < <(vc 0)
mapfile -d '' flac_tags < <(vc 1)
ff "${tone[@]}" -map_metadata -1 -map_chapters -1 -metadata "title=Chapter fixture" "${ogg_tags[@]}" \
  -ac 1 -c:a libvorbis -q:a 0 "$out/chapters.ogg"
ff "${tone[@]}" -map_metadata -1 -map_chapters -1 -metadata "title=Chapter fixture" "${flac_tags[@]}" \
  -ac 1 -c:a flac -compression_level 8 "$out/chapters.flac"

ls -l "$out"
