// Foundation benchmarks: browser bundle size, server idle memory, login throughput.
// Prints a table and writes JSON. Usage (from the repo root, after a release build):
//   node loadtest/foundation-bench.mjs [--seconds 10] [--concurrency 4] [--out bench-results/foundation.json]
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs, percentile, printTable, sleep, startServer, writeJson } from './lib.mjs';

const args = parseArgs();
const seconds = Number(args.seconds ?? 10);
const concurrency = Number(args.concurrency ?? 4);
// One address may have two password checks in flight (more are refused with 503 before any
// work), so logins come from two clients: both cores hashing.
const loginConcurrency = Number(args['login-concurrency'] ?? 2);
const out = args.out ?? 'bench-results/foundation.json';
const bin = args.bin ?? 'target/release/video-meet';
const pkg = args.pkg ?? 'target/site/pkg';
const port = Number(args.port ?? 3210);
let base = '';

function bundle() {
  const files = readdirSync(pkg).filter((f) => /\.(wasm|js|css)$/.test(f));
  const rows = files.map((f) => {
    const data = readFileSync(path.join(pkg, f));
    return {
      file: f,
      raw: data.length,
      gzip: zlib.gzipSync(data, { level: 9 }).length,
      brotli: zlib.brotliCompressSync(data).length,
    };
  });
  const total = (k) => rows.reduce((s, r) => s + r[k], 0);
  return { files: rows, raw: total('raw'), gzip: total('gzip'), brotli: total('brotli') };
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

// `clients` loops of `request` (true when it succeeded) for `seconds`: rate and latency.
async function hammer(clients, request) {
  const latencies = [];
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (await request()) latencies.push(performance.now() - t0);
      else failures += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency: clients,
    seconds: Number(elapsed.toFixed(2)),
    count: latencies.length,
    failures,
    per_second: Number((latencies.length / elapsed).toFixed(1)),
    p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    p95_ms: Number(percentile(latencies, 95).toFixed(2)),
  };
}

async function loginThroughput() {
  const body = JSON.stringify({ email: 'bench@example.com', password: 'bench-password-1', display_name: 'Bench' });
  const reg = await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status}`);
  const login = JSON.stringify({ email: 'bench@example.com', password: 'bench-password-1' });
  const { count, ...rest } = await hammer(loginConcurrency, async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login });
    await res.arrayBuffer();
    return res.status === 200;
  });
  return { logins: count, ...rest };
}

// The dashboard's meeting list: one signed-in host with `count` meetings, listed by
// `concurrency` clients for `seconds` (each list reads every meeting from SurrealDB).
async function meetingList(count = 100) {
  const body = JSON.stringify({ email: 'lister@example.com', password: 'bench-password-1', display_name: 'Lister' });
  const json = { 'content-type': 'application/json', origin: base };
  const reg = await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: json, body });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status}`);
  const cookie = reg.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  for (let i = 0; i < count; i += 1) {
    const res = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST', headers: { ...json, cookie }, body: JSON.stringify({ title: `Meeting ${i}` }),
    });
    if (res.status !== 201) throw new Error(`create meeting failed: ${res.status} ${await res.text()}`);
  }
  let listed = 0;
  const { count: lists, ...rest } = await hammer(concurrency, async () => {
    const res = await fetch(`${base}/api/v1/meetings`, { headers: { cookie } });
    const rows = await res.json();
    if (res.status !== 200) return false;
    listed = rows.upcoming.length + rows.past.length;
    return true;
  });
  return { meetings: count, listed, lists, ...rest };
}

const server = await startServer({ bin, port, extra: ['--auth-failures-max', '1000000'] });
base = server.base;

try {
  await sleep(2000);
  const idleRss = rssKiB(server.pid);
  const login = await loginThroughput();
  const loadedRss = rssKiB(server.pid);
  const list = await meetingList();
  const result = {
    measured_at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    bundle: bundle(),
    server: { idle_rss_kib: idleRss, rss_after_login_load_kib: loadedRss, db: 'surrealkv (embedded)' },
    login: { ...login, argon2: 'argon2id m=19456 KiB, t=2, p=1 (server defaults)' },
    meeting_list: list,
  };

  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const rows = [
    ['metric', 'value'],
    ...result.bundle.files.map((f) => [`bundle ${f.file}`, `${kb(f.raw)} raw, ${kb(f.gzip)} gzip, ${kb(f.brotli)} br`]),
    ['bundle total (first load)', `${kb(result.bundle.raw)} raw, ${kb(result.bundle.gzip)} gzip, ${kb(result.bundle.brotli)} br`],
    ['server idle RSS', `${(idleRss / 1024).toFixed(1)} MiB`],
    ['server RSS after login load', `${(loadedRss / 1024).toFixed(1)} MiB`],
    ['login throughput', `${login.per_second} /s (concurrency ${login.concurrency}, ${login.logins} logins, ${login.failures} failed)`],
    ['login latency', `p50 ${login.p50_ms} ms, p95 ${login.p95_ms} ms`],
    [`meeting list (${list.listed} of ${list.meetings})`, `${list.per_second} /s, p50 ${list.p50_ms} ms, p95 ${list.p95_ms} ms (${list.failures} failed)`],
  ];
  printTable(rows);
  writeJson(out, result);
} finally {
  await server.stop();
}
