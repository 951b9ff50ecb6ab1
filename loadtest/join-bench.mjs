// Join-to-first-remote-frame: from clicking "Join meeting" to the first decoded frame of a
// participant who is already publishing (requestVideoFrameCallback), peer-to-peer and through
// the SFU (a second server with --p2p-max 0), next to a baseline of two RTCPeerConnections in
// one page with the same fake camera. Prints a table, writes JSON.
// Usage (repo root, after a release build):
//   node loadtest/join-bench.mjs [--joins 20] [--out bench-results/join.json] [--chromium /usr/bin/chromium]
//     [--profile DIR]   also record the last join of each path with the CPU profiler (click to
//                       first frame): DIR/join-<path>.cpuprofile (opens in DevTools) and the
//                       functions with the most time printed. Names need a bundle built with
//                       wasm-opt -g; the profiler's own cost makes that join slower.
import { chromium } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs, percentile, printTable, startServer, writeJson } from './lib.mjs';

const args = parseArgs();
const joins = Number(args.joins ?? 20);
const out = args.out ?? 'bench-results/join.json';
const port = Number(args.port ?? 3220);
const executablePath = args.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const profileDir = args.profile;

const browserArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x) => Number(x.toFixed(1));
  return {
    n: sorted.length,
    p50_ms: r(percentile(sorted, 50)),
    p95_ms: r(percentile(sorted, 95)),
    max_ms: r(sorted[sorted.length - 1]),
    over_1s: sorted.filter((x) => x > 1000).length,
  };
}

/** One join: pre-join screen with the camera already open, then click and wait for a frame. */
async function timeJoin(browser, base, code, i, profileAs = null) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const cdp = profileAs ? await context.newCDPSession(page) : null;
  await page.goto(`/meeting/${code}`);
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
  await page.locator('[data-tile="tile-me"][data-camera-off="false"]').waitFor();
  await page.getByLabel('Your name').fill(`Joiner ${i}`);
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  await page.evaluate(() => {
    const w = window;
    w.firstFrameAt = null;
    const hook = () => {
      for (const v of document.querySelectorAll('video[data-remote-media]')) {
        if (v.hooked) continue;
        v.hooked = true;
        v.requestVideoFrameCallback(() => { w.firstFrameAt ??= performance.now(); });
      }
    };
    new MutationObserver(hook).observe(document.body, { childList: true, subtree: true });
    // Phases: the first time each thing happens after the click (requests, socket messages
    // by type, peer-connection states), to see where the time goes.
    w.marks = {};
    const mark = (k) => { w.marks[k] ??= performance.now(); };
    const fetch0 = window.fetch;
    window.fetch = function (...a) {
      mark('http_request_sent');
      return fetch0.apply(this, a).then((r) => { mark('http_response'); return r; });
    };
    const WS = window.WebSocket;
    const type = (d) => { try { return JSON.parse(d).type; } catch { return 'other'; } };
    window.WebSocket = Object.assign(function (url, protocols) {
      mark('ws_created');
      const ws = protocols === undefined ? new WS(url) : new WS(url, protocols);
      ws.addEventListener('open', () => mark('ws_open'));
      ws.addEventListener('message', (e) => mark(`ws_in_${type(e.data)}`));
      const send = ws.send.bind(ws);
      ws.send = (d) => { mark(`ws_out_${type(d)}`); send(d); };
      return ws;
    }, { prototype: WS.prototype, CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    const PC = window.RTCPeerConnection;
    window.RTCPeerConnection = Object.assign(function (config) {
      mark('pc_created');
      const pc = new PC(config);
      pc.addEventListener('iceconnectionstatechange', () => mark(`ice_${pc.iceConnectionState}`));
      pc.addEventListener('connectionstatechange', () => mark(`pc_${pc.connectionState}`));
      pc.addEventListener('track', () => mark('track'));
      return pc;
    }, { prototype: PC.prototype, generateCertificate: PC.generateCertificate });
    for (const name of ['setLocalDescription', 'setRemoteDescription']) {
      const f = PC.prototype[name];
      PC.prototype[name] = function (d, ...rest) {
        mark(`${name}_${d?.type ?? 'implicit'}`);
        return f.call(this, d, ...rest).then((r) => { mark(`${name}_done`); return r; });
      };
    }
    // Main-thread tasks over 50 ms after the click: time the page could not react to the
    // network (socket messages and peer-connection events wait behind them).
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push([e.startTime - w.clickedAt, e.duration]);
    }).observe({ type: 'longtask' });
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent.includes('Join meeting'));
    w.clickedAt = performance.now();
    button.click();
  });
  await page.waitForFunction(() => window.firstFrameAt !== null, null, { timeout: 10_000 });
  if (cdp) writeProfile(profileAs, (await cdp.send('Profiler.stop')).profile);
  const { ms, phases } = await page.evaluate(() => {
    const phases = {};
    for (const [k, t] of Object.entries(window.marks)) phases[k] = t - window.clickedAt;
    const early = window.longTasks.filter(([start]) => start >= 0 && start < window.firstFrameAt - window.clickedAt);
    phases.long_tasks_ms_before_first_frame = early.reduce((sum, [, d]) => sum + d, 0);
    phases.long_tasks_before_first_frame = early.length;
    if (early.length) phases.long_task_first_starts = early[0][0];
    return { ms: window.firstFrameAt - window.clickedAt, phases };
  });
  await page.getByTestId('leave').click();
  await context.close();
  phaseLog.push({ base, phases });
  return ms;
}

/** Saves a CPU profile and prints where its time went: self time per function, and time
 *  including callees for functions of our WASM (a function counted once per sample). */
function writeProfile(name, profile) {
  mkdirSync(profileDir, { recursive: true });
  const file = path.join(profileDir, `join-${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.url.endsWith('.wasm') ? ' [wasm]' : ''}`;
  const self = new Map();
  const total = new Map();
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    self.set(label(node), (self.get(label(node)) ?? 0) + us);
    const seen = new Set();
    for (let n = node; n; n = byId.get(parent.get(n.id))) {
      if (!n.callFrame.url.endsWith('.wasm') || seen.has(label(n))) continue;
      seen.add(label(n));
      total.set(label(n), (total.get(label(n)) ?? 0) + us);
    }
  });
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([f, us]) => [f.slice(0, 110), (us / 1000).toFixed(1)]);
  console.log(`\n${name}: CPU profile of one join (${file}), self time`);
  printTable([['function', 'ms'], ...top(self)]);
  console.log(`\n${name}: our WASM functions, time including callees`);
  printTable([['function', 'ms'], ...top(total)]);
}

/** Each phase's p50 (ms after the click) over the joins against `base`, in time order. */
function phaseTable(base) {
  const byPhase = {};
  for (const { phases } of phaseLog.filter((p) => p.base === base)) {
    for (const [k, v] of Object.entries(phases)) (byPhase[k] ??= []).push(v);
  }
  return Object.entries(byPhase)
    .map(([phase, v]) => [phase, Number(percentile([...v].sort((a, b) => a - b), 50).toFixed(1)), v.length])
    .sort((a, b) => a[1] - b[1]);
}
const phaseLog = [];

/** Two RTCPeerConnections in one page: the floor any signaling path adds to. */
async function timeBaseline(browser, base) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto('/');
  const ms = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    const t0 = performance.now();
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const frame = new Promise((resolve) => {
      b.ontrack = (e) => {
        if (e.track.kind !== 'video') return;
        const v = document.createElement('video');
        v.muted = true;
        v.autoplay = true;
        document.body.append(v);
        v.requestVideoFrameCallback(() => resolve(performance.now()));
        v.srcObject = e.streams[0];
      };
    });
    for (const t of stream.getTracks()) a.addTrack(t, stream);
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    const t1 = await frame;
    a.close();
    b.close();
    stream.getTracks().forEach((t) => t.stop());
    return t1 - t0;
  });
  await context.close();
  return ms;
}

/** A server with a meeting and a publisher already in it; `extra` are server flags. */
async function setUp(browser, port, extra) {
  const server = await startServer({ port, db: 'mem', extra });
  const host = await browser.newContext({ baseURL: server.base });
  const reg = await host.request.post('/api/v1/auth/register', {
    data: { email: 'publisher@example.com', password: 'bench-password-1', display_name: 'Publisher' },
  });
  if (reg.status() !== 201) throw new Error(`register failed: ${reg.status()}`);
  const meeting = await host.request.post('/api/v1/meetings', { data: { title: 'Join bench', allow_guests: true } });
  const { code } = await meeting.json();
  const publisher = await host.newPage();
  await publisher.goto(`/meeting/${code}`);
  await publisher.locator('[data-tile="tile-me"][data-camera-off="false"]').waitFor();
  await publisher.getByRole('button', { name: 'Join meeting' }).click();
  await publisher.getByTestId('room').waitFor();
  return { server, code };
}

const browser = await chromium.launch({ executablePath, args: browserArgs });
const servers = [];
try {
  const p2p = await setUp(browser, port, []);
  servers.push(p2p.server);
  const sfu = await setUp(browser, port + 1, ['--p2p-max', '0']);
  servers.push(sfu.server);

  // One warm-up of each (first WASM compile, first codec init), not counted.
  await timeJoin(browser, p2p.server.base, p2p.code, 0);
  await timeJoin(browser, sfu.server.base, sfu.code, 0);
  await timeBaseline(browser, p2p.server.base);
  const joinMs = [];
  const sfuMs = [];
  const baselineMs = [];
  for (let i = 1; i <= joins; i++) {
    joinMs.push(await timeJoin(browser, p2p.server.base, p2p.code, i));
    sfuMs.push(await timeJoin(browser, sfu.server.base, sfu.code, i));
    baselineMs.push(await timeBaseline(browser, p2p.server.base));
  }
  if (profileDir) {
    // Outside the figures: the profiler slows the page it watches.
    await timeJoin(browser, p2p.server.base, p2p.code, joins + 1, 'p2p');
    await timeJoin(browser, sfu.server.base, sfu.code, joins + 1, 'sfu');
  }
  const result = {
    measured_at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    browser: `Chromium ${browser.version()} headless, fake camera and microphone`,
    join_to_first_frame: summary(joinMs),
    join_to_first_frame_sfu: summary(sfuMs),
    baseline_two_peer_connections: summary(baselineMs),
    samples: {
      join_ms: joinMs.map((x) => Number(x.toFixed(1))),
      sfu_join_ms: sfuMs.map((x) => Number(x.toFixed(1))),
      baseline_ms: baselineMs.map((x) => Number(x.toFixed(1))),
    },
  };
  const row = (label, s) => [label, `p50 ${s.p50_ms} ms, p95 ${s.p95_ms} ms, max ${s.max_ms} ms, >1 s: ${s.over_1s} of ${s.n}`];
  printTable([
    ['measure', 'result'],
    row('join to first remote frame (P2P)', result.join_to_first_frame),
    row('join to first remote frame (SFU)', result.join_to_first_frame_sfu),
    row('baseline (2 PCs, one page)', result.baseline_two_peer_connections),
  ]);
  for (const [label, base] of [['P2P', p2p.server.base], ['SFU', sfu.server.base]]) {
    const table = phaseTable(base);
    result[`phases_${label.toLowerCase()}_p50_ms`] = Object.fromEntries(table.map(([k, v]) => [k, v]));
    console.log(`\n${label}: first time each thing happened after the click (p50 over the joins)`);
    printTable([['phase', 'ms after click', 'joins'], ...table.map(([k, v, n]) => [k, String(v), String(n)])]);
  }
  writeJson(out, result);
} finally {
  await browser.close();
  for (const s of servers) await s.stop();
}
