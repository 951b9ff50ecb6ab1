#!/usr/bin/env bash
# Sets up, builds the release app, and serves it on http://127.0.0.1:3000 with the embedded
# database under ./data. Extra arguments go to the server (see `video-meet --help`).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
say "Building (release)"
cargo leptos build --release
# The bundle compressed once (brotli 11, gzip 9); the server sends these files as they are.
node "$ROOT/scripts/precompress.mjs"
say "Starting Video Meet"
exec "$ROOT/target/release/video-meet" "$@"
