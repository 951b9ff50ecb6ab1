// Memory soak: a bounded loop of ordinary requests against the release server with nothing
// scraping /metrics; RSS must stay flat (within 5 %) after warm-up.
// Prints a table and writes JSON. Usage (from the repo root, after a release build):
//   node loadtest/soak-bench.mjs [--requests 400000] [--concurrency 8] [--out bench-results/soak.json]
import { readFileSync } from 'node:fs';
import { parseArgs, printTable, startServer, writeJson } from './lib.mjs';

const args = parseArgs();
const total = Number(args.requests ?? 400000);
const concurrency = Number(args.concurrency ?? 8);
const out = args.out ?? 'bench-results/soak.json';
const bin = args.bin ?? 'target/release/video-meet';
const port = Number(args.port ?? 3211);
// Every path kind: health, an API miss, a page, a random method.
const paths = ['/healthz', '/readyz', '/api/v1/nope', '/', '/healthz'];

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const server = await startServer({ bin, port, db: 'mem' });
const samples = [];
let sent = 0;
const started = performance.now();
try {
  const worker = async () => {
    while (sent < total) {
      const i = sent++;
      const method = i % 97 === 0 ? `X${i}` : 'GET';
      const res = await fetch(`${server.base}${paths[i % paths.length]}`, { method });
      await res.arrayBuffer();
      if (i % Math.floor(total / 20) === 0) samples.push({ requests: i, rss_kib: rssKiB(server.pid) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  samples.push({ requests: total, rss_kib: rssKiB(server.pid) });
} finally {
  await server.stop();
}
const seconds = (performance.now() - started) / 1000;
// Warm-up: the first quarter of the run (allocator arenas, caches, SurrealDB).
const steady = samples.filter((s) => s.requests >= total / 4);
const first = steady[0].rss_kib;
const last = steady[steady.length - 1].rss_kib;
const max = Math.max(...steady.map((s) => s.rss_kib));
const growth = (last - first) / first;
const result = {
  requests: total, concurrency, seconds: Number(seconds.toFixed(1)),
  rss_start_kib: samples[0].rss_kib, rss_after_warmup_kib: first, rss_end_kib: last, rss_max_kib: max,
  growth_after_warmup: Number(growth.toFixed(4)), flat: Math.abs(growth) <= 0.05, samples,
};
printTable([
  ['requests', String(total)],
  ['requests/s', (total / seconds).toFixed(0)],
  ['RSS at start', `${(samples[0].rss_kib / 1024).toFixed(1)} MiB`],
  ['RSS after warm-up', `${(first / 1024).toFixed(1)} MiB`],
  ['RSS at end', `${(last / 1024).toFixed(1)} MiB`],
  ['growth after warm-up', `${(growth * 100).toFixed(2)} % (goal within 5 %)`],
]);
writeJson(out, result);
if (!result.flat) process.exitCode = 1;
