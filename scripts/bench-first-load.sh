#!/usr/bin/env bash
# First-load bytes per page (landing, sign-in, registration, dashboard, meeting) as Chromium
# transfers them from the release server with an empty cache. Prints a table, writes
# bench-results/first-load.json. SKIP_BUILD=1 reuses a build.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
fi
node loadtest/first-load.mjs "$@"
