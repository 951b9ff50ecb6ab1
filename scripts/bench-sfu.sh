#!/usr/bin/env bash
# SFU benchmarks: the release server pinned to CPU 0, str0m bots (loadtest/src/bin/sfu-bench.rs)
# pinned to CPU 1. For each room size in BOTS (default "10 15 20 25") and each forwarding mode in
# FORWARDING (default "frames rtp", the server's --sfu-forwarding), one after the other so the
# modes see the same machine: a fresh server, one room, a table, and
# bench-results/sfu-<mode>-<n>.json. Set SKIP_BUILD=1 to reuse a build.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${SKIP_BUILD:-}" ]; then
  build_app release
  cargo build --release -p loadtest --bin sfu-bench
fi
port=3230
data=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for n in ${BOTS:-10 15 20 25}; do
  for mode in ${FORWARDING:-frames rtp}; do
    say "A room of $n bots, forwarding $mode"
    taskset -c 0 target/release/video-meet --addr 127.0.0.1:$port --media-addr 127.0.0.1:0 \
      --db mem:// --data-dir "$data" --log warn --p2p-max 0 --sfu-forwarding "$mode" &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    taskset -c 1 target/release/sfu-bench --server "http://127.0.0.1:$port" --pid "$server" \
      --bots "$n" --seconds "${SECONDS_PER_ROOM:-20}" --forwarding "$mode" \
      --out "bench-results/sfu-$mode-$n.json"
    kill "$server"
    wait "$server" 2>/dev/null || true
    sleep 2
  done
done
