# Shared by the scripts: repo root, PATH with the npm tools, pinned tool versions.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# cargo-leptos 0.3.10+ needs a newer rustc than this project's 1.95.
CARGO_LEPTOS_VERSION="0.3.9"
# Must equal the wasm-bindgen crate in Cargo.lock (pinned with `=` in Cargo.toml).
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
export LEPTOS_SITE_ROOT="target/site" LEPTOS_SITE_PKG_DIR="pkg" LEPTOS_OUTPUT_NAME="video-meet"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
