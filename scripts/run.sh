#!/usr/bin/env bash
# Sets up, builds the app, and serves it on http://127.0.0.1:3000 with the embedded database
# under ./data. Extra arguments go to the server (see `video-meet --help`).
#   ./scripts/run.sh             a quick build to try it (cargo profile `trial`)
#   ./scripts/run.sh --release   the optimised build, for deployment (docs/deploy.md)
# First run on a fresh 2-core machine: see docs/benchmarks.md, "First run".
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
profile=trial
if [ "${1:-}" = "--release" ]; then
  profile=release
  shift
fi
build_app "$profile"
say "Starting Video Meet ($profile build)"
exec "$ROOT/target/$profile/video-meet" "$@"
