#!/usr/bin/env bash
# Regenerates the audio-format fixtures in tests/fixtures/formats/ (committed, so the tests never
# need ffmpeg). Every file is the same signal: a quiet two-tone bed with a click (one sample at
# 0.8 full scale) at 0.25 s, 1.25 s, 2.25 s, … — sample k·rate + rate/4 of the source.
#
#   pcm16.wav           16-bit PCM, 16 kHz mono, 1.5 s
#   flac.flac           FLAC, 22.05 kHz stereo, 2 s
#   cbr.mp3             MP3 CBR 64 kb/s, 44.1 kHz mono, 6 s, Info/LAME header (gapless)
#   vbr-xing.mp3        MP3 VBR (-q:a 6), 44.1 kHz mono, 6 s, Xing/LAME header (gapless)
#   vbr-noxing.mp3      the same VBR stream without a Xing header (no seek table, no length)
#   vbr-mpeg2.mp3       MP3 VBR, 22.05 kHz stereo (MPEG-2: 576-sample frames), 6 s, no Xing
#   aac.m4a             AAC-LC 48 kb/s in MP4, 44.1 kHz mono, 4 s
#   vorbis.ogg          Ogg Vorbis (-q:a 1), 44.1 kHz stereo, 4 s
#   opus.opus           Ogg Opus 32 kb/s, 48 kHz stereo, 4 s
#   unsupported.mka     Matroska with FLAC inside (symphonia 0.5 has no Matroska reader)
#
# Usage: bash scripts/make-format-fixtures.sh   (from anywhere; needs ffmpeg with libmp3lame,
# libvorbis and libopus)
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/formats"
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
# The signal at sample rate $1, $2 seconds long.
src() {
  local r=$1 d=$2
  echo "aevalsrc=exprs='0.2*sin(2*PI*330*t)+0.1*sin(2*PI*1234*t)+0.6*eq(mod(n\,$r)\,$((r / 4)))':s=$r:d=$d"
}

ff -f lavfi -i "$(src 16000 1.5)" -ac 1 -c:a pcm_s16le "$out/pcm16.wav"
ff -f lavfi -i "$(src 22050 2)" -ac 2 -c:a flac "$out/flac.flac"
ff -f lavfi -i "$(src 44100 6)" -ac 1 -c:a libmp3lame -b:a 64k "$out/cbr.mp3"
ff -f lavfi -i "$(src 44100 6)" -ac 1 -c:a libmp3lame -q:a 6 "$out/vbr-xing.mp3"
ff -f lavfi -i "$(src 44100 6)" -ac 1 -c:a libmp3lame -q:a 6 -write_xing 0 -id3v2_version 0 \
  "$out/vbr-noxing.mp3"
ff -f lavfi -i "$(src 22050 6)" -ac 2 -c:a libmp3lame -q:a 7 -write_xing 0 "$out/vbr-mpeg2.mp3"
ff -f lavfi -i "$(src 44100 4)" -ac 1 -c:a aac -b:a 48k "$out/aac.m4a"
ff -f lavfi -i "$(src 44100 4)" -ac 2 -c:a libvorbis -q:a 1 "$out/vorbis.ogg"
ff -f lavfi -i "$(src 48000 4)" -ac 2 -c:a libopus -b:a 32k "$out/opus.opus"
ff -f lavfi -i "$(src 8000 1)" -ac 1 -c:a flac "$out/unsupported.mka"
ls -l "$out"
