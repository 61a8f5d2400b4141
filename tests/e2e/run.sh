#!/usr/bin/env bash
# Runs the end-to-end tests against the real built app: starts its own Xvfb, PulseAudio (null
# sink) and tauri-driver, runs the tests, and stops everything it started, pass or fail.
# Usage: tests/e2e/run.sh /abs/path/to/earshot-binary
# (E2E_ONLY="tests/e2e/align.test.mjs" runs just the files named.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
app="${1:?usage: run.sh /abs/path/to/earshot}"
driver="${TAURI_DRIVER:-tauri-driver}"
command -v "$driver" >/dev/null || { echo "tauri-driver not found (set TAURI_DRIVER or run scripts/test.sh)" >&2; exit 1; }
artifacts="${EARSHOT_ARTIFACTS:-$repo/test-artifacts}"
mkdir -p "$artifacts"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  XDG_RUNTIME_DIR="$work/run" pulseaudio --kill 2>/dev/null || true
  sleep 0.3
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A display nobody else uses.
disp=90
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$disp"

# PulseAudio with a null sink, private to this run.
mkdir -p "$work/run" && chmod 700 "$work/run"
export XDG_RUNTIME_DIR="$work/run"
export PULSE_SERVER="unix:$work/run/pulse/native"
pulseaudio -D --exit-idle-time=-1 -n --use-pid-file=yes \
  --load="module-null-sink sink_name=null" --load=module-native-protocol-unix \
  --log-target=file:"$work/pulse.log" 2>>"$work/pulse.err" || { cat "$work/pulse.err"; exit 1; }
for _ in $(seq 50); do [ -S "$work/run/pulse/native" ] && break; sleep 0.1; done

for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || true

# A fresh library for this run; the app inherits it through tauri-driver.
export EARSHOT_DATA_DIR="$work/data"

port=$((4444 + RANDOM % 1000))
"$driver" --port "$port" --native-port $((port + 1000)) --native-driver /usr/bin/WebKitWebDriver \
  >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

status=0
# One file at a time. A file that fails only because WebKit's web process crashed or hung
# ("session deleted because of page crash or hang": the browser engine, not an assertion) is
# run once more, and the run says so; any other failure fails the run.
for file in ${E2E_ONLY:-"$here"/*.test.mjs}; do
  out="$work/$(basename "$file").out"
  if EARSHOT_APP="$app" WEBDRIVER_URL="http://127.0.0.1:$port" EARSHOT_ARTIFACTS="$artifacts" \
    node --test --test-concurrency=1 "$file" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    continue
  fi
  if grep -q "page crash or hang" "$out" && ! grep -q "AssertionError" "$out"; then
    echo "### RETRY: $(basename "$file") failed because WebKit's page crashed or hung; running it once more"
    grep -n "panicked\|SIGSEGV\|WebProcess" "$work/driver.log" | tail -n 20 || true
    if EARSHOT_APP="$app" WEBDRIVER_URL="http://127.0.0.1:$port" EARSHOT_ARTIFACTS="$artifacts" \
      node --test --test-concurrency=1 "$file"; then
      continue
    fi
  fi
  status=1
done
if [ "$status" -ne 0 ]; then
  echo "--- tauri-driver log (panics) ---"; grep -n "panicked" "$work/driver.log" | tail -n 20 || true
  echo "--- tauri-driver log (tail) ---"; tail -n 40 "$work/driver.log" || true
fi
exit "$status"
