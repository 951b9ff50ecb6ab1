// Shared by the benchmark commands: start a release server, percentiles, table and JSON output.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `--key value` pairs from the command line. */
export function parseArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []));
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Starts `bin` on `port` with a fresh data dir; `stop()` kills it and removes the dir. */
export async function startServer({ bin = 'target/release/video-meet', port, db = 'surrealkv', extra = [] }) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vm-bench-'));
  const dbUrl = db === 'mem' ? 'mem://' : `surrealkv://${path.join(dataDir, 'db')}`;
  const child = spawn(bin, [
    '--addr', `127.0.0.1:${port}`, '--media-addr', '127.0.0.1:0', '--db', dbUrl, '--data-dir', dataDir, '--log', 'warn', ...extra,
  ], { env: { LEPTOS_SITE_ROOT: 'target/site', ...process.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error('server did not become ready');
    await sleep(100);
  }
  return {
    base,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await sleep(500);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Prints `rows` ([label, value]) as a two-column table. */
export function printTable(rows) {
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

export function writeJson(out, result) {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`\nJSON written to ${out}`);
}
