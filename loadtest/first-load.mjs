// First load per page: the bytes a browser with an empty cache really transfers (Chromium's
// encodedDataLength: compressed bodies plus headers) until the page has hydrated (pages that
// load the app) and the network is idle, against the release server. Prints a table and
// writes bench-results/first-load.json.
//
//   node loadtest/first-load.mjs [--out bench-results/first-load.json] [--chromium /usr/bin/chromium]
import { chromium } from '@playwright/test';
import { parseArgs, printTable, startServer, writeJson } from './lib.mjs';

const args = parseArgs();
const executablePath = args.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const out = args.out ?? 'bench-results/first-load.json';
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const server = await startServer({ port: 3700 + Math.floor(Math.random() * 200), db: 'mem' });
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });

// A signed-in user with a meeting, for the dashboard and meeting pages.
const setup = await browser.newContext({ baseURL: server.base });
await setup.request.post('/api/v1/auth/register', {
  data: { email: 'load@example.com', password: 'load-password-1', display_name: 'Load' },
});
const created = await (await setup.request.post('/api/v1/meetings', { data: { title: 'Load' } })).json();
const cookies = await setup.cookies();

async function measure(path, signedIn) {
  const context = await browser.newContext({ baseURL: server.base });
  if (signedIn) await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const byType = {};
  let total = 0;
  const types = new Map();
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.response.url.split('?')[0].split('.').pop()));
  cdp.on('Network.loadingFinished', (e) => {
    total += e.encodedDataLength;
    const ext = types.get(e.requestId) ?? 'other';
    const kind = ['wasm', 'js', 'css'].includes(ext) ? ext : 'html/other';
    byType[kind] = (byType[kind] ?? 0) + e.encodedDataLength;
  });
  await page.goto(path);
  // Light pages (landing, sign-in, registration) come without the app: nothing to hydrate.
  const app = await page.evaluate(() => !!document.querySelector('script[type="module"], link[rel="modulepreload"]'));
  if (app) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  await context.close();
  return { path, total, byType, app };
}

const pages = [
  ['landing', '/', false],
  ['sign-in', '/login', false],
  ['registration', '/register', false],
  ['dashboard', '/dashboard', true],
  ['meeting (pre-join)', `/meeting/${created.code}`, true],
];
const results = [];
for (const [name, path, signedIn] of pages) {
  const r = await measure(path, signedIn);
  results.push({ name, ...r });
}
await browser.close();
await server.stop();

printTable([
  ['page', 'transferred (wasm / js / css / html+other)'],
  ...results.map((r) => [
    r.name,
    `${kb(r.total)} (${['wasm', 'js', 'css', 'html/other'].map((k) => kb(r.byType[k] ?? 0)).join(' / ')})`,
  ]),
]);
writeJson(out, { measured: new Date().toISOString(), pages: results });
