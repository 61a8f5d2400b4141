#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: core unit and integration tests, the
# web UI in a real browser, and the real app end to end under Xvfb with PulseAudio.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started=$SECONDS
ensure_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_rust
ensure_node
ensure_npm_dir "$repo/ui"
ensure_npm_dir "$repo/tests/e2e"
ensure_tauri_driver
cd "$repo"

say "checking formatting"
cargo fmt --all -- --check

build_ui
build_app

say "core tests (cargo test)"
cargo test --workspace

say "web UI tests (chromium)"
(cd ui && npm test --silent)

say "end-to-end tests (real window, tauri-driver, PulseAudio null sink)"
tests/e2e/run.sh "$APP_BIN"

say "all tests passed in $((SECONDS - started)) s"
