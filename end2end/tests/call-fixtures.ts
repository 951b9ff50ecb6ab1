// Helpers for call tests: one browser context per participant, meetings made through the
// REST API (the UI for that is covered by foundation.spec.ts), and checks on real media.
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { gotoHydrated, uniqueEmail, PASSWORD } from './fixtures';

export interface Person {
  context: BrowserContext;
  page: Page;
  name: string;
}

/** A participant in a fresh context; signed in unless `guest`. */
export async function person(browser: Browser, name: string, opts: { guest?: boolean; baseURL?: string } = {}): Promise<Person> {
  const context = await browser.newContext({ baseURL: opts.baseURL ?? test.info().project.use.baseURL });
  const page = await context.newPage();
  if (!opts.guest) {
    const res = await context.request.post('/api/v1/auth/register', {
      data: { email: uniqueEmail(name.toLowerCase().replace(/[^a-z0-9]/g, '')), password: PASSWORD, display_name: name },
    });
    expect(res.status()).toBe(201);
  }
  return { context, page, name };
}

export interface MeetingOptions {
  title?: string;
  password?: string;
  allow_guests?: boolean;
  lobby?: boolean;
}

/** Creates a meeting as `host` and returns its code. */
export async function createMeeting(host: Person, opts: MeetingOptions = {}): Promise<string> {
  const res = await host.context.request.post('/api/v1/meetings', {
    data: {
      title: opts.title ?? 'Call test',
      password: opts.password,
      allow_guests: opts.allow_guests ?? false,
      lobby: opts.lobby ?? false,
    },
  });
  expect(res.status()).toBe(201);
  const body = await res.json();
  return body.code as string;
}

/** Opens the pre-join screen and waits until the camera preview plays. */
export async function openPreJoin(p: Person, code: string) {
  await gotoHydrated(p.page, `/meeting/${code}`);
  await expect(myTile(p.page)).toHaveAttribute('data-camera-off', 'false');
}

/** Pre-join, then join; resolves once the room is shown (or, with `lobby`, the waiting screen). */
export async function join(
  p: Person,
  code: string,
  opts: { guestName?: string; password?: string; lobby?: boolean } = {},
) {
  await openPreJoin(p, code);
  if (opts.guestName) await p.page.getByLabel('Your name').fill(opts.guestName);
  if (opts.password) await p.page.getByLabel('Meeting password').fill(opts.password);
  await p.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(p.page.getByTestId(opts.lobby ? 'waiting' : 'room')).toBeVisible();
  // The room is drawn while the socket connects; a test goes on once the server seated us.
  if (!opts.lobby) await expect(p.page.getByTestId('meeting')).toHaveAttribute('data-phase', 'incall');
}

export function myTile(page: Page): Locator {
  return page.locator('[data-tile="tile-me"]');
}

/** The camera tile of the participant called `name`, as seen on `page`. */
export function tileOf(page: Page, name: string, screen = false): Locator {
  return page.locator(`[data-testid="tile"][data-name="${name}"][data-screen="${screen}"]`);
}

/** Frames the tile's <video> has presented: grows only when remote video is decoded. */
export async function framesShown(tile: Locator): Promise<number> {
  return tile.locator('video').evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
}

/**
 * How long a page may take to show progress once media flows. Three browsers and the server on
 * two cores: pages were measured with main-thread stalls of up to 3.7 s (timers late, a
 * `getStats` answer late) while their media kept flowing, so 10 s windows failed now and then.
 */
const PROGRESS_MS = 20_000;

/** Waits until the tile's video is really playing: frames keep arriving. */
export async function expectVideoPlaying(tile: Locator) {
  await expect(tile).toHaveCount(1);
  let before = 0;
  await expect.poll(async () => (before = await framesShown(tile)), { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(() => framesShown(tile), { timeout: PROGRESS_MS }).toBeGreaterThan(before + 5);
}

/** Waits until audio bytes from the tile's participant keep arriving (from getStats). */
export async function expectAudioFlowing(tile: Locator) {
  const bytes = async () => Number(await tile.getAttribute('data-audio-bytes'));
  await expect.poll(bytes, { timeout: 20_000 }).toBeGreaterThan(0);
  // Each reading is compared with the one before it, not with the first: when the call moves
  // between peer-to-peer and the SFU the tile's counter starts again from the new connection.
  let last = await bytes();
  const grew = async () => {
    const now = await bytes();
    const more = now > last;
    last = now;
    return more;
  };
  await expect.poll(grew, { timeout: PROGRESS_MS, intervals: [500] }).toBe(true);
}

declare global {
  interface Window {
    /** Every RTCPeerConnection the page created, oldest first (see `trackPeerConnections`). */
    pcs: RTCPeerConnection[];
    /** While true, the page's connections report lost video packets (see `reportVideoLoss`). */
    videoLoss?: boolean;
    /** Every camera, microphone and screen track the page opened or copied (see `trackDeviceTracks`). */
    deviceTracks: MediaStreamTrack[];
  }
}

/** Records every track the page gets from its devices (and every copy it makes of one), so a
 * test can check that leaving releases them all: the browser's "in use" light goes off. */
export async function trackDeviceTracks(p: Person) {
  await p.context.addInitScript(() => {
    window.deviceTracks = [];
    const devices = navigator.mediaDevices;
    for (const name of ['getUserMedia', 'getDisplayMedia'] as const) {
      const native = devices[name].bind(devices);
      devices[name] = async (constraints?: MediaStreamConstraints) => {
        const stream = await native(constraints);
        window.deviceTracks.push(...stream.getTracks());
        return stream;
      };
    }
    const clone = MediaStreamTrack.prototype.clone;
    MediaStreamTrack.prototype.clone = function () {
      const copy = clone.call(this);
      if (window.deviceTracks.includes(this)) {
        (copy as MediaStreamTrack & { copyOf?: number }).copyOf = window.deviceTracks.indexOf(this);
        window.deviceTracks.push(copy);
      }
      return copy;
    };
  });
}

/** The page's device tracks that are still live, as `kind label` (see `trackDeviceTracks`). */
export async function liveDeviceTracks(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    window.deviceTracks
      .filter((t) => t.readyState === 'live')
      .map((t) => `#${window.deviceTracks.indexOf(t)} ${t.kind} ${t.label}${'copyOf' in t ? ` (copy of #${t.copyOf})` : ''}`),
  );
}

/** Lets a test make the page's connections report heavy video loss: while `window.videoLoss`
 * is true, `getStats` says a quarter of the video packets each connection expected were lost.
 * A weak downlink as the app sees it (it reads loss only from `getStats`); the media itself is
 * untouched. Call before the page loads. */
export async function reportVideoLoss(p: Person) {
  await p.context.addInitScript(() => {
    const native = RTCPeerConnection.prototype.getStats;
    RTCPeerConnection.prototype.getStats = async function (this: RTCPeerConnection, ...args: unknown[]) {
      const report: RTCStatsReport = await (native as (...a: unknown[]) => Promise<RTCStatsReport>).apply(this, args);
      if (!window.videoLoss) return report;
      const lossy = new Map<string, unknown>();
      report.forEach((s, id) => {
        const lost = s.type === 'inbound-rtp' && s.kind === 'video';
        lossy.set(id, lost ? { ...s, packetsLost: Math.round((s.packetsReceived ?? 0) / 3) } : s);
      });
      return lossy as unknown as RTCStatsReport;
    } as typeof native;
  });
}

/** Keeps every RTCPeerConnection the page creates in `window.pcs`, for checks and diagnostics. */
export async function trackPeerConnections(p: Person) {
  await p.context.addInitScript(() => {
    window.pcs = [];
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        window.pcs.push(this);
      }
    };
  });
}

/** The page's open connections (see `trackPeerConnections`), and how many go to the SFU (it is ICE-lite). */
export async function connections(page: Page): Promise<{ sfu: number; p2p: number }> {
  return page.evaluate(() => {
    const open = window.pcs.filter((pc) => pc.connectionState !== 'closed');
    const sfu = open.filter((pc) => (pc.remoteDescription?.sdp ?? '').includes('a=ice-lite')).length;
    return { sfu, p2p: open.length - sfu };
  });
}

/** The first encoding of each open connection's video sender (camera or screen) that carries
 * a track. */
async function firstVideoEncodings(page: Page): Promise<{ maxBitrate: number | null; active: boolean | null }[]> {
  return page.evaluate(() =>
    window.pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) =>
        pc
          .getSenders()
          .filter((s) => s.track?.kind === 'video')
          .map((s) => {
            const e = s.getParameters().encodings[0];
            return { maxBitrate: e?.maxBitrate ?? null, active: e?.active ?? null };
          }),
      ),
  );
}

/** The `maxBitrate` of each of those (`null`: the browser's own limit). See `call::budget`. */
export async function videoMaxBitrates(page: Page): Promise<(number | null)[]> {
  return (await firstVideoEncodings(page)).map((e) => e.maxBitrate);
}

/** Whether each of those is active (false: nothing is sent on that connection, e.g. to a peer
 * with the data saver on). */
export async function cameraEncodingsActive(page: Page): Promise<(boolean | null)[]> {
  return (await firstVideoEncodings(page)).map((e) => e.active);
}

/** Video bytes the page received over `ms` milliseconds (inbound-rtp, open connections). */
export async function videoBytesGrowth(page: Page, ms = 2000): Promise<number> {
  const before = await videoBytesIn(page);
  await page.waitForTimeout(ms);
  return (await videoBytesIn(page)) - before;
}

/** Video bytes received so far on the page's open connections (inbound-rtp). */
export async function videoBytesIn(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    for (const pc of window.pcs.filter((pc) => pc.connectionState !== 'closed')) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') total += s.bytesReceived ?? 0;
      });
    }
    return total;
  });
}

/** What the page's connections say about audio (for a failure message). */
export async function audioDiagnostics(page: Page): Promise<string> {
  return page.evaluate(async () => {
    // Undefined when the test did not call trackPeerConnections.
    const pcs: RTCPeerConnection[] = window.pcs ?? [];
    const out: string[] = [];
    for (const pc of pcs) {
      out.push(`pc ${pc.connectionState}/${pc.signalingState}`);
      let max = 0;
      let n = 0;
      for (let i = 0; i < 50; i++) {
        for (const r of pc.getReceivers()) {
          for (const src of r.getSynchronizationSources()) {
            n += 1;
            max = Math.max(max, src.audioLevel ?? 0);
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      out.push(`  sync sources over 1 s: ${n} samples, max level ${max}`);
      (await pc.getStats()).forEach((r: Record<string, unknown>) => {
        if (r.kind === 'audio' && (r.type === 'inbound-rtp' || r.type === 'outbound-rtp')) {
          out.push(`  ${r.type}: bytes ${r.bytesReceived ?? r.bytesSent}, energy ${r.totalAudioEnergy}, level ${r.audioLevel}`);
        }
      });
    }
    return out.join('\n');
  });
}
