#!/usr/bin/env bash
# Foundation benchmarks: release build time, bundle size, idle RSS, login throughput.
# Prints a table and writes bench-results/foundation.json. Set SKIP_BUILD=1 to reuse a build.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
fi
node loadtest/foundation-bench.mjs "$@"
# Where the WASM's bytes go, per crate (reads the name section of the pre-wasm-opt build).
node loadtest/wasm-size.mjs
