#!/usr/bin/env bash
# Installs what is missing, and only that: wasm32 target, Trunk, wasm-bindgen CLI, npm packages
# (wasm-opt, Tailwind, Playwright). Safe to run repeatedly.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first (https://rustup.rs)"; exit 1; }
command -v npm >/dev/null || { echo "npm not found: install Node.js and npm first"; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Trunk only orchestrates (cargo, wasm-bindgen, wasm-opt and Tailwind do the work), so it is
# compiled unoptimised: ~4 min on 2 cores instead of ~10.5 with its own release profile (fat LTO).
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "Installing Trunk $TRUNK_VERSION (one time, ~4 min on 2 cores)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    CARGO_PROFILE_RELEASE_DEBUG=false cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (one time, ~2 min)"
  # Not --locked: that release's lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing npm packages (wasm-opt, Tailwind CLI, Playwright)"
  npm ci --no-audit --no-fund
fi
