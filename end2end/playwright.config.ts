// Playwright drives Debian's Chromium (no browser download) against a real video-meet
// server that this config starts with an in-memory database.
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { basePort, coturnArgs, turnPorts, turnSecret, turnserver } from './turn';
import { maildir, smtpPort, smtpPython } from './smtp';

const root = path.resolve(__dirname, '..');
const port = basePort;
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = process.env.E2E_SERVER_BIN ?? path.join(root, 'target/debug/video-meet');

/**
 * A video-meet server on `listen` with an in-memory database. `defaultMedia`: the SFU on the
 * media settings a user gets from `./scripts/run.sh` (no media flags: port 3002 on every
 * interface, each address advertised), so Firefox and Chromium are tested as users run it;
 * the other servers put media on a free loopback port (several run at once, and they reach
 * it through coturn on loopback).
 */
function appServer(listen: number, extra: string[], defaultMedia = false) {
  const media = defaultMedia ? '' : '--media-addr 127.0.0.1:0';
  return {
    command: `"${server}" --addr 127.0.0.1:${listen} ${media} --db mem:// --data-dir target/e2e-data-${listen} ${extra.join(' ')}`,
    cwd: root,
    url: `http://127.0.0.1:${listen}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    env: {
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_OUTPUT_NAME: 'video-meet',
      VIDEO_MEET_LOG: process.env.VIDEO_MEET_LOG ?? 'warn',
    },
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Two cores: one browser at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  outputDir: path.join(root, 'target/e2e-results'),
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // Three fake cameras (and Chromium's three fake microphones) for device switching.
        '--use-fake-device-for-media-stream=device-count=3',
        '--use-fake-ui-for-media-stream',
      ],
    },
  },
  webServer: [
    // The SMTP server first: the main app server mails invitations through it.
    {
      command: `rm -rf "${maildir}" && "${smtpPython}" -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox "${maildir}"`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 20_000,
      stdout: 'ignore',
    },
    appServer(port, [`--smtp-url smtp://127.0.0.1:${smtpPort}`, `--smtp-from 'Video Meet <meet@example.com>'`], true),
    // The relay-only servers for relay.spec.ts: TURN credentials for the coturn below, and
    // for one the test starts and kills itself.
    ...[turnPorts.shared, turnPorts.killable].map((turnPort, i) =>
      appServer(port + 1 + i, [
        `--turn-urls 'turn:127.0.0.1:${turnPort}?transport=udp'`,
        `--turn-secret ${turnSecret}`,
        '--turn-only',
      ]),
    ),
    // Always the SFU, reached only through the shared coturn (sfu.spec.ts).
    appServer(port + 3, [
      `--turn-urls 'turn:127.0.0.1:${turnPorts.shared}?transport=udp'`,
      `--turn-secret ${turnSecret}`,
      '--turn-only',
      '--p2p-max 0',
    ]),
    {
      command: [turnserver, ...coturnArgs(turnPorts.shared, [49160, 49400])].join(' '),
      port: turnPorts.shared,
      reuseExistingServer: false,
      timeout: 20_000,
      stdout: 'ignore',
    },
  ],
});
