#!/usr/bin/env bash
# Schemathesis against a live server: every operation of /api/v1/openapi.json, without a
# session and with one, must answer no 5xx, and every answer must match the documented status
# codes, content type and schema. Called by test.sh; runs alone too (after a `cargo build`).
#   SERVER_BIN   the server binary (default: target/debug/video-meet)
#   FUZZ_EXAMPLES  examples per operation (default 60)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SCHEMATHESIS_VERSION="4.32.5"
venv="$ROOT/target/tools/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$venv/bin/st" ]; then
  say "Installing Schemathesis $SCHEMATHESIS_VERSION from PyPI"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 keeps venv in a package of its own.
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      apt-get install -y -qq python3-venv >/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
      rm -rf "$venv" && python3 -m venv "$venv"
    else
      echo "python3 with venv is needed for the API fuzzing step (Debian: sudo apt-get install python3-venv)."
      exit 1
    fi
  fi
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

server="${SERVER_BIN:-$ROOT/target/debug/video-meet}"
port=$((20000 + RANDOM % 20000))
log="$ROOT/target/api-fuzz-server.log"
# One client sends thousands of requests: the per-address limits would answer most of them
# 429 (documented, but it hides the operations behind them), so they are raised here.
"$server" --addr "127.0.0.1:$port" --media-addr 127.0.0.1:0 --db mem:// \
  --data-dir "$ROOT/target/api-fuzz-data" --rate-per-minute 1000000 \
  --auth-failures-max 1000000 --auth-failures-per-target 1000000 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
base="http://127.0.0.1:$port"

# A session for the signed-in pass: the access token as a bearer token.
token=$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"fuzz-password-1","display_name":"Fuzz"}' \
  "$base/api/v1/auth/register" | sed -n 's/^[Ss]et-[Cc]ookie: vm_access=\([^;]*\).*/\1/p')
[ -n "$token" ] || { echo "could not sign in for the fuzz run"; exit 1; }
# Something to find: a meeting of the fuzz user's.
curl -fsS -o /dev/null -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"title":"Fuzzed"}' "$base/api/v1/meetings"

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
examples="${FUZZ_EXAMPLES:-60}"
status=0
for pass in anonymous signed-in; do
  say "Schemathesis, $pass"
  auth=()
  [ "$pass" = signed-in ] && auth=(-H "Authorization: Bearer $token")
  # Run from target/ so Schemathesis's cache of past failures stays out of the repository.
  (cd "$ROOT/target" && "$venv/bin/st" run "$base/api/v1/openapi.json" --checks "$checks" \
    --max-examples "$examples" --seed 1 "${auth[@]}") || status=1
done
if ! kill -0 $pid 2>/dev/null; then
  echo "the server died during the fuzz run; its log: $log"
  status=1
fi
exit $status
