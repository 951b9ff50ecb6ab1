#!/usr/bin/env bash
# Signaling capacity: the release server pinned to CPU 0 with its embedded store (surrealkv in
# a temp dir, as in production), WebSocket clients (loadtest/src/bin/signal-bench.rs) pinned
# to CPU 1. Two runs: 10,000 connected (capacity, memory, join burst, fan-out) and 5,000
# connected (chat delivery latency). Prints a table per run and writes
# bench-results/signal-<n>.json. Set SKIP_BUILD=1 to reuse a build; PARTICIPANTS="10000 5000"
# picks the runs.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
  cargo build --release -p loadtest --bin signal-bench
fi
# One file descriptor per connection in each process, and some spare: as many as allowed.
ulimit -n "$(ulimit -Hn)"
port=3240
for n in ${PARTICIPANTS:-10000 5000}; do
  data=$(mktemp -d)
  # All clients come from 127.0.0.1: the per-address limits are lifted for the run.
  taskset -c 0 target/release/video-meet --addr 127.0.0.1:$port --media-addr 127.0.0.1:0 \
    --db "surrealkv://$data/db" --data-dir "$data" --log warn --p2p-max 100 \
    --ws-per-address 50000 --ws-max 50000 --rate-per-minute 10000000 &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  say "Signaling with $n connected"
  taskset -c 1 target/release/signal-bench --server "http://127.0.0.1:$port" --pid "$server" \
    --participants "$n" --room-size "${ROOM_SIZE:-50}" --join-rate "${JOIN_RATE:-500}" \
    --chat-rate "${CHAT_RATE:-2000}" --seconds "${SECONDS_PER_RUN:-10}" \
    --out "bench-results/signal-$n.json"
  kill $server; wait $server 2>/dev/null || true
  rm -rf "$data"
done
