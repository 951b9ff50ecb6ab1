#!/usr/bin/env bash
# Memory soak of the release server with nothing scraping /metrics (see loadtest/soak-bench.mjs).
# Prints a table and writes bench-results/soak.json. Set SKIP_BUILD=1 to reuse a build.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
fi
node loadtest/soak-bench.mjs "$@"
