#!/usr/bin/env bash
# Sets up, builds the release app, and serves it on http://127.0.0.1:3000 with the embedded
# database under ./data. Extra arguments go to the server (see `video-meet --help`).
# First run on a fresh 2-core machine: see docs/benchmarks.md, "Build times".
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
build_release
say "Starting Video Meet"
exec "$ROOT/target/release/video-meet" "$@"
