#!/usr/bin/env bash
# Installs everything missing (system packages, Rust, npm packages), builds Earshot and starts it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${APP_PACKAGES[@]}"
ensure_rust
ensure_node
ensure_npm_dir "$repo/ui"
build_ui
build_app
say "starting Earshot"
exec "$APP_BIN" "$@"
