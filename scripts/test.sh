#!/usr/bin/env bash
# Sets up what is missing and runs every test: unit, integration (real SurrealDB in memory,
# real HTTP) and the Playwright end-to-end suite in Chromium against a real server.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
started=$SECONDS
stage() { say "$1 ($((SECONDS - started)) s so far)"; }

"$ROOT/scripts/setup.sh"

# Chromium comes from Debian, never from a browser download.
if [ -z "${CHROMIUM_PATH:-}" ]; then
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$candidate" ]; then CHROMIUM_PATH="$candidate"; break; fi
  done
fi
if [ -z "${CHROMIUM_PATH:-}" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    stage "Installing Chromium from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
    CHROMIUM_PATH=/usr/bin/chromium
  else
    echo "Chromium is needed for the end-to-end tests and was not found."
    echo "Install it (Debian/Ubuntu: sudo apt-get install chromium), or point the tests at a"
    echo "Chromium or Chrome binary: CHROMIUM_PATH=/path/to/chromium ./scripts/test.sh"
    exit 1
  fi
fi
export CHROMIUM_PATH

# coturn (Debian) relays the TURN-only end-to-end call.
if [ -z "${TURNSERVER_PATH:-}" ]; then
  TURNSERVER_PATH="$(command -v turnserver || true)"
fi
if [ -z "$TURNSERVER_PATH" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    stage "Installing coturn from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq coturn >/dev/null || { apt-get update -qq && apt-get install -y -qq coturn >/dev/null; }
    TURNSERVER_PATH=/usr/bin/turnserver
  else
    echo "coturn is needed for the TURN end-to-end test and was not found."
    echo "Install it (Debian/Ubuntu: sudo apt-get install coturn), or point the tests at a"
    echo "turnserver binary: TURNSERVER_PATH=/path/to/turnserver ./scripts/test.sh"
    exit 1
  fi
fi
export TURNSERVER_PATH

# One server build serves both steps: `cargo test` builds the video-meet binary with the
# test feature set, and the end-to-end suite runs that binary.
stage "Unit and integration tests"
cargo test -p protocol -p app -p video-meet

stage "Building the browser bundle (WASM + CSS)"
cargo leptos build --frontend-only

stage "End-to-end tests (Playwright + Chromium)"
E2E_SERVER_BIN="$ROOT/target/debug/video-meet" npx playwright test --config end2end/playwright.config.ts

stage "All tests passed"
