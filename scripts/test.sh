#!/usr/bin/env bash
# Sets up what is missing and runs every test: unit, integration (real SurrealDB in memory,
# real HTTP) and the Playwright end-to-end suite in Chromium against a real server.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
started=$SECONDS
stage() { say "$1 ($((SECONDS - started)) s so far)"; }

"$ROOT/scripts/setup.sh"

# Chromium and coturn come from Debian, never from a browser or binary download.
# need_debian_tool VAR PACKAGE "what it is for" CANDIDATE...: keeps $VAR when set, else takes
# the first candidate that exists, else installs PACKAGE when this machine can (root and
# apt-get), else says how to point the tests at one.
need_debian_tool() {
  local var=$1 package=$2 purpose=$3 candidate
  shift 3
  if [ -z "${!var:-}" ]; then
    for candidate in "$@"; do
      if [ -x "$candidate" ]; then printf -v "$var" '%s' "$candidate"; break; fi
    done
  fi
  if [ -z "${!var:-}" ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      stage "Installing $package from Debian"
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -qq "$package" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$package" >/dev/null; }
      printf -v "$var" '%s' "$1"
    else
      echo "$package is needed for $purpose and was not found."
      echo "Install it (Debian/Ubuntu: sudo apt-get install $package), or point the tests at"
      echo "a binary: $var=/path/to/${1##*/} ./scripts/test.sh"
      exit 1
    fi
  fi
  export "${var?}"
}
need_debian_tool CHROMIUM_PATH chromium "the end-to-end tests" /usr/bin/chromium /usr/bin/chromium-browser
need_debian_tool TURNSERVER_PATH coturn "the TURN end-to-end test" /usr/bin/turnserver "$(command -v turnserver || true)"
need_debian_tool FIREFOX_PATH firefox-esr "the Firefox end-to-end test" /usr/bin/firefox-esr
need_debian_tool XVFB_PATH xvfb "the Firefox screen-share test (headless Firefox has no screen)" /usr/bin/Xvfb
# The mail scenarios and the invitation e2e test talk to a real SMTP server on loopback:
# Debian's python3-aiosmtpd (a module, not a binary, so it is checked by importing it).
export AIOSMTPD_PYTHON="${AIOSMTPD_PYTHON:-/usr/bin/python3}"
if ! "$AIOSMTPD_PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    stage "Installing python3-aiosmtpd from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq python3-aiosmtpd >/dev/null || { apt-get update -qq && apt-get install -y -qq python3-aiosmtpd >/dev/null; }
  else
    echo "python3-aiosmtpd is needed for the mail tests and was not found."
    echo "Install it (Debian/Ubuntu: sudo apt-get install python3-aiosmtpd), or point the tests at"
    echo "a Python that has it: AIOSMTPD_PYTHON=/path/to/python3 ./scripts/test.sh"
    exit 1
  fi
fi

# One server build serves both steps: `cargo test` builds the video-meet binary with the
# test feature set, and the end-to-end suite runs that binary.
stage "Unit and integration tests"
cargo test -p protocol -p app -p video-meet

stage "API fuzzing (Schemathesis against the OpenAPI document, live server)"
SERVER_BIN="$ROOT/target/debug/video-meet" "$ROOT/scripts/api-fuzz.sh"

stage "Building the browser bundle (WASM + CSS)"
# The `wasm-e2e` profile (Cargo.toml): lightly optimised, debug assertions on. The debug
# bundle was twice the size and kept three browsers' pages too busy on two cores.
build_frontend --cargo-profile wasm-e2e
# As run.sh does, so the suite runs against precompressed files (a lower quality: the test
# bundle is not size-optimised and large).
PRECOMPRESS_QUALITY=5 node "$ROOT/scripts/precompress.mjs"

stage "Type-checking the end-to-end tests"
# Playwright strips types without checking them.
tsc -p end2end/tsconfig.json

stage "End-to-end tests (Playwright + Chromium)"
E2E_SERVER_BIN="$ROOT/target/debug/video-meet" npx playwright test --config end2end/playwright.config.ts

stage "All tests passed"
