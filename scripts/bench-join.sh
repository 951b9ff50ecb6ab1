#!/usr/bin/env bash
# Join-to-first-remote-frame benchmark against a release build, with a same-run baseline of two
# RTCPeerConnections in one page. Prints a table and writes bench-results/join.json.
# Set SKIP_BUILD=1 to reuse a build. Extra arguments go to loadtest/join-bench.mjs.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
fi
node loadtest/join-bench.mjs "$@"
