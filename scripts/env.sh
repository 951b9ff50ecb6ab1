# Shared by the scripts: repo root, PATH with the npm tools, pinned tool versions.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Trunk builds the browser bundle (Trunk.toml); 0.22 needs a newer rustc than this project's 1.95.
TRUNK_VERSION="0.21.14"
# Must equal the wasm-bindgen crate in Cargo.lock (pinned with `=` in Cargo.toml).
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
export LEPTOS_SITE_ROOT="target/site" LEPTOS_SITE_PKG_DIR="pkg" LEPTOS_OUTPUT_NAME="video-meet"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# The browser bundle: the WASM, JS and CSS in target/site/pkg, built by Trunk in its own target
# directory (a server build can run beside it without waiting for cargo's lock). Pass --release
# for the optimised bundle (`wasm-release` profile, wasm-opt -Oz, minified CSS), or
# `--cargo-profile wasm-e2e` for the browser tests' bundle (scripts/test.sh).
build_frontend() { CARGO_TARGET_DIR="$ROOT/target/front" trunk build "$@"; }

# The app as run.sh serves it: the tools (scripts/setup.sh, only what is missing), then the
# server's build in cargo profile $1 (`trial`: quick to build, for trying it out; `release`:
# for deployment, ~20 min cold on two cores) in the background beside Trunk's release bundle
# build; then the bundle is compressed once (brotli 11, gzip 9) for the server to send as
# stored. Prints each step with the time since the start. (Installing the tools beside the
# server build was tried: as equals they slowed its serial SurrealDB chain, at the lowest
# priority they starved; both were slower. docs/benchmarks.md, "First run".)
build_app() {
  local profile=$1 started=$SECONDS server
  local log="$ROOT/target/server-$profile-build.log"
  elapsed() { local s=$((SECONDS - started)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
  "$ROOT/scripts/setup.sh"
  mkdir -p "$ROOT/target"
  say "Building the server ($profile profile) in the background [$(elapsed)]; its log: $log"
  cargo build --profile "$profile" -p video-meet >"$log" 2>&1 &
  server=$!
  # Whatever fails below, the background build does not outlive this script.
  trap 'kill $server 2>/dev/null || true' EXIT
  say "Building the browser bundle (release) [$(elapsed)]"
  build_frontend --release
  node "$ROOT/scripts/precompress.mjs"
  say "Bundle ready [$(elapsed)]; waiting for the server build"
  while kill -0 "$server" 2>/dev/null; do
    printf '    %s crates compiled [%s]\n' "$(grep -c '^ *Compiling' "$log" || true)" "$(elapsed)"
    sleep 30 & wait $! || true
  done
  if ! wait "$server"; then
    tail -n 40 "$log"
    echo "The server build failed; full log: $log"
    exit 1
  fi
  trap - EXIT
  say "Server build ($profile) done [$(elapsed)]"
}
