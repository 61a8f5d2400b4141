#!/usr/bin/env bash
# Regenerate the embedded demo podcast in assets/demo/ from assets/demo/script.txt and
# assets/demo/script2.txt.
# Needs espeak-ng, sox, ffmpeg (with libmp3lame) and python3 (>= 3.10, stdlib only).
# On Debian/Ubuntu:  apt-get install -y espeak-ng sox ffmpeg python3
# The outputs are committed; this is NOT run at build or test time.
# Usage: bash scripts/make-demo-podcast.sh [--keep-wav /tmp/episode1.wav]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
missing=()
for tool in espeak-ng sox ffmpeg python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "make-demo-podcast: missing tools: ${missing[*]}" >&2
  echo "  install with: apt-get install -y espeak-ng sox ffmpeg python3" >&2
  exit 1
fi
if ! ffmpeg -hide_banner -encoders 2>/dev/null | grep libmp3lame >/dev/null; then
  echo "make-demo-podcast: this ffmpeg has no libmp3lame encoder" >&2
  exit 1
fi
# Fixed locale so nothing locale-dependent creeps into the output.
export LC_ALL=C.UTF-8
python3 "$here/make_demo_podcast.py" "$@"
# Episode 2 (untimed transcript) reuses the helpers above and adds itself to podcast.json.
python3 "$here/make_demo_episode2.py"
