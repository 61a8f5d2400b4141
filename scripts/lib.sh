# Shared by scripts/run.sh and scripts/test.sh: install what is missing, nothing more.
# shellcheck shell=bash

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
tools="${EARSHOT_TOOLS:-$HOME/.cache/earshot/tools}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian/Ubuntu packages; installed with apt when root, or through sudo.
APP_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev build-essential pkg-config libasound2-dev
  curl ca-certificates libopus-dev)
TEST_PACKAGES=(xvfb x11-utils webkit2gtk-driver pulseaudio pulseaudio-utils imagemagick chromium
  espeak-ng sox ffmpeg dbus playerctl)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get to install them"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing system packages: ${missing[*]}; run as root or install sudo"
    sudo=(sudo)
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] || {
      say "installing the Rust toolchain (rustup)"
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    }
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

ensure_node() {
  command -v npm >/dev/null || ensure_packages nodejs npm
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is needed (found $(node --version))"
}

# npm ci when node_modules is missing or older than the lock file.
ensure_npm_dir() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in ${dir#"$repo"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_tauri_driver() {
  if [ ! -x "$tools/bin/tauri-driver" ]; then
    say "installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked --root "$tools" --quiet
  fi
  export TAURI_DRIVER="$tools/bin/tauri-driver"
}

build_ui() {
  say "building the web UI"
  (cd "$repo/ui" && npm run build --silent)
}

build_app() {
  say "building the Earshot app (debug)"
  (cd "$repo" && cargo build --workspace --bins)
  APP_BIN="$CARGO_TARGET_DIR/debug/earshot"
}
