// Calls through the server's SFU: more than --p2p-max (2) people, or a server with
// --p2p-max 0. Real browsers, fake devices, real str0m SFU over UDP on 127.0.0.1.
import { test, expect, type Page } from './test';
import { basePort } from '../turn';
import {
  connections, createMeeting, expectAudioFlowing, expectVideoPlaying, join, person, tileOf, trackPeerConnections,
  videoBytesGrowth, videoMaxBitrates, type Person,
} from './call-fixtures';

// Four browsers and the server on two cores: the 3-then-4 test took 2.1-2.2 min on a slow
// evening with either forwarding mode, so 150 s left it no margin.
test.describe.configure({ timeout: 240_000 });

/**
 * Longest a tile may go without a new frame across a topology switch. The switch is built
 * to be seamless (a path takes a tile over only once it delivers), so a real gap would be
 * seconds (ICE, DTLS, a keyframe); what remains is scheduling on this 2-core machine running
 * three browsers and the server: freezes of 0.6-1.1 s were seen. 1.5 s keeps the test about
 * the switch, not the machine.
 */
const FREEZE_MS = 1500;

async function everyoneSeesEveryone(people: Person[], audio = true) {
  for (const viewer of people) {
    await expect(viewer.page.locator('[data-testid="tile"][data-screen="false"]')).toHaveCount(people.length);
    for (const other of people.filter((o) => o !== viewer)) {
      await expectVideoPlaying(tileOf(viewer.page, other.name));
      if (audio) await expectAudioFlowing(tileOf(viewer.page, other.name));
    }
  }
}

/**
 * Records, in the page, the longest time `name`'s camera tile went without a new video frame
 * (a new srcObject counts as progress once it presents frames). Read with `longestGap`.
 */
async function watchGaps(page: Page, name: string) {
  await page.evaluate((name) => {
    const w = window as unknown as { gaps: Record<string, { last: number; frames: number; longest: number }> };
    w.gaps = w.gaps ?? {};
    const g = (w.gaps[name] = { last: performance.now(), frames: -1, longest: 0 });
    setInterval(() => {
      const v = document.querySelector(`[data-testid="tile"][data-name="${name}"][data-screen="false"] video`) as HTMLVideoElement | null;
      const frames = v ? v.getVideoPlaybackQuality().totalVideoFrames : -1;
      const now = performance.now();
      if (frames !== g.frames && frames > 0) {
        g.longest = Math.max(g.longest, now - g.last);
        g.last = now;
        g.frames = frames;
      }
    }, 50);
  }, name);
}

async function longestGap(page: Page, name: string): Promise<number> {
  const gap = await page.evaluate((name) => {
    const w = window as unknown as { gaps: Record<string, { last: number; longest: number }> };
    const g = w.gaps[name];
    return Math.max(g.longest, performance.now() - g.last);
  }, name);
  console.log(`longest time without a new frame of ${name}: ${Math.round(gap)} ms`);
  return gap;
}

test('three and then four people through the SFU all see and hear each other', async ({ browser }) => {
  const people = [await person(browser, 'Ada'), await person(browser, 'Bea'), await person(browser, 'Cy')];
  for (const p of people) await trackPeerConnections(p);
  const code = await createMeeting(people[0], { title: 'SFU call' });
  for (const p of people) await join(p, code);
  // Everyone ends with one connection, to the SFU: the peer links of the first two were
  // closed once the SFU delivered. Checked first, so tiles are not mid-switch (a switch
  // gives a tile a new stream, whose frame count starts again).
  for (const p of people) {
    await expect.poll(() => connections(p.page), { timeout: 20_000 }).toEqual({ sfu: 1, p2p: 0 });
  }
  await everyoneSeesEveryone(people);

  const dee = await person(browser, 'Dee');
  await trackPeerConnections(dee);
  people.push(dee);
  await join(dee, code);
  await everyoneSeesEveryone(people);
  await expect.poll(() => connections(dee.page)).toEqual({ sfu: 1, p2p: 0 });
  // Still one connection each: new tracks came as new offers on the same one.
  for (const p of people) expect(await connections(p.page)).toEqual({ sfu: 1, p2p: 0 });

  // A screen share goes through the SFU as its own, labelled track.
  await people[0].page.getByRole('button', { name: 'Share screen' }).click();
  for (const viewer of people.slice(1)) {
    await expectVideoPlaying(tileOf(viewer.page, 'Ada', true));
    await expectVideoPlaying(tileOf(viewer.page, 'Ada'));
  }
  await people[0].page.getByRole('button', { name: 'Stop sharing screen' }).click();
  for (const viewer of people.slice(1)) await expect(tileOf(viewer.page, 'Ada', true)).toHaveCount(0);

  // Someone leaves: their tile goes, the rest keep playing.
  await people[3].page.getByTestId('leave').click();
  for (const viewer of people.slice(0, 3)) {
    await expect(tileOf(viewer.page, 'Dee')).toHaveCount(0);
    await expectVideoPlaying(tileOf(viewer.page, people.find((p) => p !== viewer && p.name !== 'Dee')!.name));
  }
  for (const p of people) await p.context.close();
});

test('two, then three, then two: the switch to the SFU and back keeps every video playing', async ({ browser }) => {
  const ann = await person(browser, 'Ann');
  const bo = await person(browser, 'Bo');
  for (const p of [ann, bo]) await trackPeerConnections(p);
  const code = await createMeeting(ann, { title: 'Switch' });
  await join(ann, code);
  await join(bo, code);
  await expectVideoPlaying(tileOf(ann.page, 'Bo'));
  await expectVideoPlaying(tileOf(bo.page, 'Ann'));
  expect(await connections(ann.page)).toEqual({ sfu: 0, p2p: 1 });
  // Two people: each camera goes at the browser's own rate.
  expect(await videoMaxBitrates(ann.page)).toEqual([null]);
  await watchGaps(ann.page, 'Bo');
  await watchGaps(bo.page, 'Ann');

  // A third person: everyone moves to the SFU.
  const cy = await person(browser, 'Cyd');
  await trackPeerConnections(cy);
  await join(cy, code);
  // Frames are counted once the switch is over: a tile whose stream moves to the SFU path
  // mid-count starts its frame counter again (the gap watcher covers the move itself).
  for (const p of [ann, bo, cy]) await expect.poll(() => connections(p.page), { timeout: 20_000 }).toEqual({ sfu: 1, p2p: 0 });
  await everyoneSeesEveryone([ann, bo, cy], false);
  expect(await longestGap(ann.page, 'Bo'), 'Bo on Ann never frozen for 1.5 s').toBeLessThan(FREEZE_MS);
  expect(await longestGap(bo.page, 'Ann'), 'Ann on Bo never frozen for 1.5 s').toBeLessThan(FREEZE_MS);
  // Everyone now receives everyone: each camera is capped for a call of three (call::budget).
  for (const p of [ann, bo, cy]) await expect.poll(() => videoMaxBitrates(p.page), { timeout: 10_000 }).toEqual([1_200_000]);

  // On a slow connection Cyd turns the others' cameras off: the SFU stops sending them to
  // Cyd (no video bytes arrive), Cyd still hears them, and back on the pictures return.
  await cy.page.getByTestId('toggle-devices').click();
  await cy.page.getByTestId('incoming-video').uncheck();
  await expect(tileOf(cy.page, 'Ann')).toHaveAttribute('data-camera-off', 'true');
  await expect(tileOf(cy.page, 'Ann').getByTestId('video-paused')).toBeVisible();
  await expect.poll(() => videoBytesGrowth(cy.page), { timeout: 15_000 }).toBeLessThan(2_000);
  await expectAudioFlowing(tileOf(cy.page, 'Ann'));
  await cy.page.getByTestId('incoming-video').check();
  await expect(tileOf(cy.page, 'Ann').getByTestId('video-paused')).toHaveCount(0);
  await expectVideoPlaying(tileOf(cy.page, 'Ann'));
  await expectVideoPlaying(tileOf(cy.page, 'Bo'));

  // Back to two: peer-to-peer again, still without a dark tile.
  await cy.page.getByTestId('leave').click();
  for (const p of [ann, bo]) await expect.poll(() => connections(p.page), { timeout: 25_000 }).toEqual({ sfu: 0, p2p: 1 });
  await expectVideoPlaying(tileOf(ann.page, 'Bo'));
  await expectVideoPlaying(tileOf(bo.page, 'Ann'));
  expect(await longestGap(ann.page, 'Bo'), 'Bo on Ann never frozen for 1.5 s').toBeLessThan(FREEZE_MS);
  expect(await longestGap(bo.page, 'Ann'), 'Ann on Bo never frozen for 1.5 s').toBeLessThan(FREEZE_MS);
  for (const p of [ann, bo, cy]) await p.context.close();
});

test('a relay-only participant gets media through the SFU via TURN', async ({ browser }) => {
  const server = `http://127.0.0.1:${basePort + 3}`;
  const ria = await person(browser, 'Ria', { baseURL: server });
  const rex = await person(browser, 'Rex', { baseURL: server });
  for (const p of [ria, rex]) await trackPeerConnections(p);
  const code = await createMeeting(ria, { title: 'SFU via TURN' });
  await join(ria, code);
  await join(rex, code);
  const rexOnRia = tileOf(ria.page, 'Rex');
  await expectVideoPlaying(rexOnRia);
  await expectVideoPlaying(tileOf(rex.page, 'Ria'));
  await expectAudioFlowing(rexOnRia);
  await expect(rexOnRia).toHaveAttribute('data-relayed', 'true');
  // --p2p-max 0: even two people go through the SFU.
  expect(await connections(ria.page)).toEqual({ sfu: 1, p2p: 0 });
  await ria.context.close();
  await rex.context.close();
});
