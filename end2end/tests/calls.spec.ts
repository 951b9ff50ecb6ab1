// Calls between real browsers: fake camera and microphone, real WebRTC, real signaling server.
import { test, expect } from './test';
import { gotoHydrated, uniqueEmail, PASSWORD } from './fixtures';
import {
  audioDiagnostics, cameraEncodingsActive, connections, createMeeting, expectAudioFlowing, expectVideoPlaying, join, myTile, openPreJoin, person,
  liveDeviceTracks, reportVideoLoss, tileOf, trackDeviceTracks, trackPeerConnections, videoBytesGrowth,
  type Person,
} from './call-fixtures';

test.describe.configure({ timeout: 120_000 });

test('two people see and hear each other; mute (and push to talk) and screen share (full screen) show on the other side', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  const code = await createMeeting(alice, { title: 'Pair call' });
  await trackPeerConnections(alice);
  await trackPeerConnections(bob);
  await trackDeviceTracks(bob);

  await join(alice, code);
  await join(bob, code);

  const bobOnAlice = tileOf(alice.page, 'Bob');
  const aliceOnBob = tileOf(bob.page, 'Alice');
  await expectVideoPlaying(bobOnAlice);
  await expectVideoPlaying(aliceOnBob);
  await expectAudioFlowing(bobOnAlice);
  await expectAudioFlowing(aliceOnBob);
  await expect(aliceOnBob.getByTestId('quality')).toBeVisible();

  // The fake microphone beeps for 20 ms every 500 ms, and a level reading sees all the
  // audio since the last one: Bob sees Alice's speaking ring within a few beeps.
  await expect
    .poll(() => aliceOnBob.getAttribute('data-speaking'), { intervals: [50], timeout: 10_000 })
    .toBe('true')
    .catch(async (err) => {
      console.log(`Bob's audio:\n${await audioDiagnostics(bob.page)}\nAlice's audio:\n${await audioDiagnostics(alice.page)}`);
      throw err;
    });
  // Alice's own tile shows her ring too.
  await expect
    .poll(() => myTile(alice.page).getAttribute('data-speaking'), { intervals: [50], timeout: 10_000 })
    .toBe('true');

  // Pinning puts a tile on the stage; unpinning returns to the grid.
  await bob.page.getByRole('button', { name: 'Pin Alice', exact: true }).click();
  await expect(aliceOnBob.locator('xpath=..')).toHaveClass(/col-span-full/);
  await bob.page.getByRole('button', { name: 'Unpin Alice', exact: true }).click();
  await expect(aliceOnBob.locator('xpath=..')).not.toHaveClass(/col-span-full/);

  // Mute with the keyboard shortcut; Bob sees it.
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'false');
  // Beeping away with the microphone on for seconds now: no "are you talking?" prompt.
  const mutedTalk = alice.page.getByTestId('muted-talk');
  await expect(mutedTalk).toHaveCount(0);
  await alice.page.keyboard.press('m');
  await expect(alice.page.getByRole('button', { name: 'Unmute microphone' })).toBeVisible();
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'true');
  await expect(aliceOnBob.getByTestId('muted-icon')).toBeVisible();
  // A page that keeps sending while it says it is muted (a modified client; peer to peer
  // nothing sits between them) is not heard: Bob's page plays Alice's microphone only while
  // the server says it is on. Her beeps do arrive (the audio energy grows).
  const volume = () => aliceOnBob.locator('video').evaluate((v: HTMLVideoElement) => v.volume);
  await alice.page.evaluate(() => {
    for (const pc of window.pcs) for (const s of pc.getSenders()) if (s.track?.kind === 'audio') s.track.enabled = true;
  });
  const energy = async () => Number(await aliceOnBob.getAttribute('data-audio-energy'));
  const before = await energy();
  await expect.poll(energy, { timeout: 20_000 }).toBeGreaterThan(before);
  expect(await volume()).toBe(0);
  // Her page hears her beeping while muted (on its own copy of the track) and asks; its
  // "Unmute" turns the microphone on.
  await expect(mutedTalk).toBeVisible({ timeout: 10_000 });
  await expect(mutedTalk).toHaveText(/Are you talking\? Your microphone is off/);
  await mutedTalk.getByTestId('muted-talk-accept').click();
  await expect(mutedTalk).toHaveCount(0);
  await expect(alice.page.getByRole('button', { name: 'Mute microphone' })).toBeVisible();
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'false');
  await expect.poll(volume).toBe(1);
  // Muted again, "Dismiss" sets the prompt aside while she keeps beeping.
  await alice.page.keyboard.press('m');
  await expect(mutedTalk).toBeVisible({ timeout: 10_000 });
  await mutedTalk.getByTestId('muted-talk-dismiss').click();
  await alice.page.waitForTimeout(3_000);
  await expect(mutedTalk).toHaveCount(0);
  // Push to talk: holding Space while muted talks (Bob hears her); letting go mutes again.
  await alice.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await alice.page.keyboard.down('Space');
  await expect(alice.page.getByRole('button', { name: 'Mute microphone' })).toBeVisible();
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'false');
  await expect.poll(volume).toBe(1);
  await alice.page.keyboard.up('Space');
  await expect(alice.page.getByRole('button', { name: 'Unmute microphone' })).toBeVisible();
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'true');
  await expect.poll(volume).toBe(0);
  await alice.page.getByRole('button', { name: 'Unmute microphone' }).click();
  await expect(aliceOnBob).toHaveAttribute('data-muted', 'false');

  // Camera off shows the avatar on the other side.
  await bob.page.getByRole('button', { name: 'Stop video' }).click();
  await expect(bobOnAlice).toHaveAttribute('data-camera-off', 'true');
  await bob.page.getByRole('button', { name: 'Start video' }).click();
  await expect(bobOnAlice).toHaveAttribute('data-camera-off', 'false');
  await expectVideoPlaying(bobOnAlice);

  // On a slow connection Bob turns the others' cameras off. Peer to peer, Alice's page then
  // stops sending her camera on their link (its encoding made inactive), so no video bytes
  // reach Bob; he still hears her and she still sees him. Back on, her picture returns.
  await bob.page.getByTestId('toggle-devices').click();
  await bob.page.getByTestId('incoming-video').uncheck();
  await expect(aliceOnBob.getByTestId('video-paused')).toBeVisible();
  await expect.poll(() => cameraEncodingsActive(alice.page), { timeout: 10_000 }).toEqual([false]);
  await expect.poll(() => videoBytesGrowth(bob.page), { timeout: 15_000 }).toBeLessThan(2_000);
  await expectAudioFlowing(aliceOnBob);
  await expectVideoPlaying(bobOnAlice);
  await bob.page.getByTestId('incoming-video').check();
  await expect.poll(() => cameraEncodingsActive(alice.page), { timeout: 10_000 }).toEqual([true]);
  await expect(aliceOnBob.getByTestId('video-paused')).toHaveCount(0);
  await expectVideoPlaying(aliceOnBob);
  await bob.page.getByTestId('toggle-devices').click();

  // Screen share arrives as its own tile on the stage.
  await alice.page.getByRole('button', { name: 'Share screen' }).click();
  await expect(alice.page.getByRole('button', { name: 'Stop sharing screen' })).toBeVisible();
  const screenOnBob = tileOf(bob.page, 'Alice', true);
  await expectVideoPlaying(screenOnBob);
  await expect(bob.page.locator('[data-staged="true"] [data-testid="tile"][data-name="Alice"][data-screen="true"]')).toHaveCount(1);
  // Alice, presenting, sees her share as a tile, not full-size on the stage.
  await expect(alice.page.locator('[data-staged="true"]')).toHaveCount(0);
  // Bob reads it full screen, and comes back with the same button. (Esc, the browser's own way
  // out, is not delivered by Playwright's keyboard; the page follows any exit the same way.)
  const fullScreenTile = () => bob.page.evaluate(() => document.fullscreenElement?.getAttribute('data-tile') ?? null);
  await screenOnBob.hover();
  await screenOnBob.getByRole('button', { name: 'Show Alice full screen' }).click();
  await expect.poll(fullScreenTile).toBe(await screenOnBob.getAttribute('data-tile'));
  await expect(screenOnBob.getByTestId('full-screen')).toHaveAttribute('aria-pressed', 'true');
  await expectVideoPlaying(screenOnBob);
  await screenOnBob.getByRole('button', { name: 'Exit full screen' }).click();
  await expect.poll(fullScreenTile).toBeNull();
  await expect(screenOnBob.getByTestId('full-screen')).toHaveAttribute('aria-pressed', 'false');
  await alice.page.getByRole('button', { name: 'Stop sharing screen' }).click();
  await expect(screenOnBob).toHaveCount(0);

  // Leaving removes the tile on the other side.
  await bob.page.getByTestId('leave').click();
  await expect(bob.page.getByText('You left the meeting')).toBeVisible();
  await expect(bobOnAlice).toHaveCount(0);
  // ... and releases his camera and microphone, the meter's copy of the microphone included.
  expect(await bob.page.evaluate(() => window.deviceTracks.length)).toBeGreaterThanOrEqual(3);
  await expect.poll(() => liveDeviceTracks(bob.page)).toEqual([]);

  await alice.context.close();
  await bob.context.close();
});

test('three people all see each other (past --p2p-max, through the SFU)', async ({ browser }) => {
  const people = [await person(browser, 'Ann'), await person(browser, 'Ben'), await person(browser, 'Cat')];
  for (const p of people) await trackPeerConnections(p);
  const code = await createMeeting(people[0], { title: 'Three' });
  for (const p of people) await join(p, code);
  // The switch to the SFU is over (it hands tiles new streams) before frames are counted.
  for (const p of people) {
    await expect.poll(() => connections(p.page), { timeout: 20_000 }).toEqual({ sfu: 1, p2p: 0 });
  }
  for (const viewer of people) {
    await expect(viewer.page.locator('[data-testid="tile"][data-screen="false"]')).toHaveCount(3);
    for (const other of people.filter((o) => o !== viewer)) {
      await expectVideoPlaying(tileOf(viewer.page, other.name));
    }
  }
  await expect(people[2].page.getByTestId('toggle-people')).toContainText('3');

  // Closing a tab says goodbye: the others drop the tile within the few seconds a reload
  // would have to take the seat back (8 s), not after the 30 s resume window.
  await people[2].page.close();
  await expect(tileOf(people[0].page, 'Cat')).toHaveCount(0, { timeout: 12_000 });
  await expect(tileOf(people[1].page, 'Cat')).toHaveCount(0, { timeout: 12_000 });
  for (const p of people) await p.context.close();
});

test('a guest joins a guest-friendly meeting; a closed meeting asks guests to sign in', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const open = await createMeeting(host, { title: 'Open house', allow_guests: true });
  const closed = await createMeeting(host, { title: 'Members only' });
  const guest = await person(browser, 'Gus', { guest: true });

  await openPreJoin(guest, closed);
  await expect(guest.page.getByTestId('guests-not-allowed')).toContainText('signed-in users');
  await expect(guest.page.getByRole('button', { name: 'Join meeting' })).toHaveCount(0);

  // The pre-join screen says whether anyone is there, and keeps looking.
  await openPreJoin(guest, open);
  await expect(guest.page.getByTestId('in-call')).toHaveText('No one else is here yet.');
  await join(host, open);
  await expect(guest.page.getByTestId('in-call')).toHaveText('1 person is in the call.', { timeout: 15_000 });
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.locator('#display_name-error')).not.toBeEmpty();
  // A lone invisible joiner is refused; an emoji built with joiners (👩‍💻: woman, ZWJ,
  // laptop) is part of a name, as people write them.
  await guest.page.getByLabel('Your name').fill('Gus\u200Dthe Guest');
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.locator('#display_name-error')).toContainText('invisible');
  await guest.page.getByLabel('Your name').fill('Gus 👩‍💻');
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.getByTestId('room')).toBeVisible();
  await expectVideoPlaying(tileOf(host.page, 'Gus 👩‍💻'));
  await expectVideoPlaying(tileOf(guest.page, 'Hana'));
  await host.context.close();
  await guest.context.close();
});

test('a wrong meeting password shows an error; the right one lets you in; the host needs none', async ({ browser }) => {
  const host = await person(browser, 'Pia');
  const code = await createMeeting(host, { title: 'Locked', password: 'open-sesame' });
  const bob = await person(browser, 'Per');
  await openPreJoin(bob, code);
  await expect(bob.page.getByTestId('joining-as')).toHaveText('You join as Per');
  await bob.page.getByLabel('Meeting password').fill('wrong-guess');
  await bob.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(bob.page.locator('#password-error')).toContainText(/password/i);
  await expect(bob.page.getByTestId('room')).toHaveCount(0);
  await bob.page.getByLabel('Meeting password').fill('open-sesame');
  await bob.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(bob.page.getByTestId('room')).toBeVisible();
  // The host is never asked for their own meeting's password (the dashboard never shows it).
  await openPreJoin(host, code);
  await expect(host.page.getByLabel('Meeting password')).toHaveCount(0);
  await host.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(host.page.getByTestId('room')).toBeVisible();
  await expectVideoPlaying(tileOf(bob.page, 'Pia'));
  await host.context.close();
  await bob.context.close();
});

test('a dropped signaling socket resumes without leaving the meeting', async ({ browser }) => {
  const alice = await person(browser, 'Ada');
  const bob = await person(browser, 'Bo');
  const code = await createMeeting(alice, { title: 'Flaky network' });

  // Bob's signaling goes through a proxy the test can cut.
  const routes: { close: () => Promise<void> }[] = [];
  await bob.page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    routes.push({
      close: async () => {
        await server.close();
        await ws.close({ code: 4000, reason: 'test cut' });
      },
    });
  });

  await join(alice, code);
  await join(bob, code);
  await expectVideoPlaying(tileOf(alice.page, 'Bo'));

  // Watch both sides: Alice must see Bob "reconnecting" and never lose his tile (a leave +
  // join would remove it); Bob must be told he is reconnecting.
  await alice.page.evaluate(() => {
    const w = window as unknown as { removedTiles: number; sawReconnecting: boolean };
    w.removedTiles = 0;
    w.sawReconnecting = false;
    new MutationObserver((records) => {
      for (const r of records) {
        const t = r.target as Element;
        if (r.type === 'attributes' && t.getAttribute('data-name') === 'Bo' && t.getAttribute('data-reconnecting') === 'true') {
          w.sawReconnecting = true;
        }
        for (const n of Array.from(r.removedNodes)) {
          if (n instanceof Element && n.querySelector('[data-name="Bo"]')) w.removedTiles += 1;
        }
      }
    }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-reconnecting'] });
  });
  await bob.page.evaluate(() => {
    const w = window as unknown as { sawBanner: boolean };
    w.sawBanner = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="reconnecting"]')) w.sawBanner = true;
    }).observe(document.body, { childList: true, subtree: true });
  });

  expect(routes.length).toBe(1);
  await routes[0].close();
  await expect.poll(() => routes.length, { timeout: 20_000 }).toBe(2);
  await expect(bob.page.locator('[data-testid="meeting"]')).toHaveAttribute('data-phase', 'incall');
  await expect(bob.page.getByTestId('reconnecting')).toHaveCount(0);
  expect(await bob.page.evaluate(() => (window as unknown as { sawBanner: boolean }).sawBanner)).toBe(true);
  await expect
    .poll(() => alice.page.evaluate(() => (window as unknown as { sawReconnecting: boolean }).sawReconnecting))
    .toBe(true);

  // Still one meeting: signaling works again (mute reaches Alice) and media kept flowing.
  await bob.page.getByRole('button', { name: 'Mute microphone' }).click();
  await expect(tileOf(alice.page, 'Bo')).toHaveAttribute('data-muted', 'true');
  await expect(tileOf(alice.page, 'Bo')).toHaveAttribute('data-reconnecting', 'false');
  await expectVideoPlaying(tileOf(alice.page, 'Bo'));
  expect(await alice.page.evaluate(() => (window as unknown as { removedTiles: number }).removedTiles)).toBe(0);
  await alice.context.close();
  await bob.context.close();
});

test('signaling lost or delayed by a bad connection still gets through', async ({ browser }) => {
  const alice = await person(browser, 'Aya');
  const bob = await person(browser, 'Bas');
  const code = await createMeeting(alice, { title: 'Tunnel' });

  // Bob's signaling goes through a proxy the test can cut (and keep cut for a while), or
  // that can lose the next offer on its way to Bob.
  let blocked = false;
  let loseNextOffer = false;
  let cut = async () => {};
  await bob.page.routeWebSocket(/\/ws$/, (ws) => {
    if (blocked) {
      void ws.close({ code: 4001, reason: 'still cut' });
      return;
    }
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (loseNextOffer && String(m).startsWith('{"type":"offer"')) {
        loseNextOffer = false;
        return;
      }
      ws.send(m);
    });
    cut = async () => {
      blocked = true;
      await server.close();
      await ws.close({ code: 4000, reason: 'test cut' });
    };
  });
  await join(alice, code);
  await join(bob, code);
  await expectVideoPlaying(tileOf(alice.page, 'Bas'));
  const reconnecting = bob.page.getByTestId('reconnecting');
  const share = (p: Person) => p.page.getByRole('button', { name: 'Share screen' }).click();
  const stopSharing = (p: Person) => p.page.getByRole('button', { name: 'Stop sharing screen' }).click();

  // Alice starts sharing while Bob is away: the server keeps her offer for him.
  await cut();
  await expect(reconnecting).toBeVisible();
  await share(alice);
  await expect(alice.page.getByRole('button', { name: 'Stop sharing screen' })).toBeVisible();
  await alice.page.waitForTimeout(1_000);
  blocked = false;
  await expect(reconnecting).toHaveCount(0, { timeout: 20_000 });
  await expectVideoPlaying(tileOf(bob.page, 'Aya', true));
  await stopSharing(alice);
  await expect(tileOf(bob.page, 'Aya', true)).toHaveCount(0);
  // The tile goes on the media update; let the renegotiation behind it finish before the next
  // cut, so this test checks the queued offer alone (colliding offers have their own test).
  await alice.page.waitForTimeout(1_000);

  // Bob starts sharing while he is away: his browser keeps the offer until he is back.
  await cut();
  await expect(reconnecting).toBeVisible();
  await share(bob);
  await expect(bob.page.getByRole('button', { name: 'Stop sharing screen' })).toBeVisible();
  await bob.page.waitForTimeout(1_000);
  blocked = false;
  await expect(reconnecting).toHaveCount(0, { timeout: 20_000 });
  await expectVideoPlaying(tileOf(alice.page, 'Bas', true));
  await expectVideoPlaying(tileOf(alice.page, 'Bas'));
  await stopSharing(bob);
  await expect(tileOf(alice.page, 'Bas', true)).toHaveCount(0);

  // An offer lost on the way (as on a socket that died unnoticed) is sent again.
  loseNextOffer = true;
  await share(alice);
  await expectVideoPlaying(tileOf(bob.page, 'Aya', true));
  expect(loseNextOffer).toBe(false);
  await alice.context.close();
  await bob.context.close();
});

test('switching camera and microphone mid-call keeps media flowing without renegotiating; a camera that cannot be sent is reported', async ({ browser }) => {
  const alice = await person(browser, 'Ann');
  const bob = await person(browser, 'Ben');
  const code = await createMeeting(alice, { title: 'New webcam' });
  // Keep Ben's connections and count his local descriptions (each one is a negotiation).
  await trackPeerConnections(bob);
  await bob.context.addInitScript(() => {
    const w = window as unknown as { negotiations: number };
    w.negotiations = 0;
    const setLocal = RTCPeerConnection.prototype.setLocalDescription as (...args: unknown[]) => Promise<void>;
    RTCPeerConnection.prototype.setLocalDescription = function (this: RTCPeerConnection, ...args: unknown[]) {
      w.negotiations += 1;
      return setLocal.apply(this, args);
    };
  });
  await join(alice, code);
  await join(bob, code);
  const benOnAnn = tileOf(alice.page, 'Ben');
  await expectVideoPlaying(benOnAnn);
  await expectAudioFlowing(benOnAnn);
  const sent = () => bob.page.evaluate(() => {
    return window.pcs.flatMap((pc) => pc.getSenders().map((s) => s.track?.label ?? '')).filter(Boolean).sort();
  });
  expect(await sent()).toContain('fake_device_0');
  const negotiations = await bob.page.evaluate(() => (window as unknown as { negotiations: number }).negotiations);
  expect(negotiations).toBeGreaterThan(0); // joining negotiated, so the counter works

  await bob.page.getByRole('button', { name: 'Camera, microphone and speaker settings' }).click();
  // fake_device_1 is Chromium's fake depth camera: its preview plays, but no encoder takes its
  // 16-bit frames, so Ann would see a frozen picture. Ben is told.
  const stalled = bob.page.getByTestId('camera-stalled');
  await expect(stalled).toHaveCount(0);
  await bob.page.getByLabel('Camera', { exact: true }).selectOption({ label: 'fake_device_1' });
  await expect(stalled).toBeVisible({ timeout: 20_000 });
  await expect(stalled).toHaveAttribute('role', 'alert');
  // fake_device_2 is a normal one: the warning goes.
  await bob.page.getByLabel('Camera', { exact: true }).selectOption({ label: 'fake_device_2' });
  await expect(stalled).toHaveCount(0, { timeout: 20_000 });
  await bob.page.getByLabel('Microphone', { exact: true }).selectOption({ label: 'Fake Audio Input 2' });

  // The connection now sends the new devices; Ann keeps seeing and hearing Ben.
  await expect.poll(sent).toEqual(['Fake Audio Input 2', 'fake_device_2']);
  await expectVideoPlaying(benOnAnn);
  await expectAudioFlowing(benOnAnn);
  expect(await bob.page.evaluate(() => (window as unknown as { negotiations: number }).negotiations)).toBe(negotiations);
  await alice.context.close();
  await bob.context.close();
});

test('a failed ICE connection restarts ICE and the call carries on', async ({ browser }) => {
  const alice = await person(browser, 'Iva');
  const bob = await person(browser, 'Ivo');
  const code = await createMeeting(alice, { title: 'Shaky path' });
  await trackPeerConnections(alice);
  await trackPeerConnections(bob);
  await join(alice, code);
  await join(bob, code);
  const ivaOnIvo = tileOf(bob.page, 'Iva');
  await expectVideoPlaying(ivaOnIvo);
  await expectVideoPlaying(tileOf(alice.page, 'Ivo'));
  const ufrag = () => bob.page.evaluate(() => {
    const pc = window.pcs[0];
    return /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1] ?? '';
  });
  const before = await ufrag();
  expect(before).not.toBe('');

  // Loopback never fails by itself: both connections report "failed" for one event, as both
  // ends of a broken path would. The impolite end restarts (the polite one only as a fallback).
  for (const p of [alice, bob]) {
    await p.page.evaluate(() => {
      const pc = window.pcs[0];
      Object.defineProperty(pc, 'iceConnectionState', { configurable: true, get: () => 'failed' });
      pc.dispatchEvent(new Event('iceconnectionstatechange'));
      delete (pc as unknown as { iceConnectionState?: string }).iceConnectionState;
    });
  }
  await expect(ivaOnIvo).toHaveAttribute('data-reconnecting', 'true');
  await expect(ivaOnIvo.getByText('Reconnecting')).toBeVisible();

  // The engine restarted ICE: a new offer with new ICE credentials, answered by Iva.
  await expect.poll(ufrag).not.toBe(before);
  await expect
    .poll(() => bob.page.evaluate(() => window.pcs[0].signalingState))
    .toBe('stable');
  // The path never broke, so the browser reports no new state; report the real one again.
  for (const p of [alice, bob]) {
    await p.page.evaluate(() => {
      window.pcs[0].dispatchEvent(new Event('iceconnectionstatechange'));
    });
  }
  await expect(ivaOnIvo).toHaveAttribute('data-reconnecting', 'false');
  await expectVideoPlaying(ivaOnIvo);
  await expectVideoPlaying(tileOf(alice.page, 'Ivo'));
  await alice.context.close();
  await bob.context.close();
});

test('when both ends renegotiate at once, media keeps flowing both ways', async ({ browser }) => {
  const alice = await person(browser, 'Uma');
  const bob = await person(browser, 'Udo');
  const code = await createMeeting(alice, { title: 'Crossed wires' });
  await trackPeerConnections(alice);
  await trackPeerConnections(bob);
  // Bob's signaling goes through a proxy that can hold messages, so two offers surely cross.
  let holding = false;
  const held: (() => void)[] = [];
  await bob.page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    const pass = (deliver: () => void) => (holding ? held.push(deliver) : deliver());
    ws.onMessage((m) => pass(() => server.send(m)));
    server.onMessage((m) => pass(() => ws.send(m)));
  });
  await join(alice, code);
  await join(bob, code);
  const udoOnUma = tileOf(alice.page, 'Udo');
  const umaOnUdo = tileOf(bob.page, 'Uma');
  await expectVideoPlaying(udoOnUma);
  await expectVideoPlaying(umaOnUdo);

  // Both restart ICE at once: each offer reaches the other while its own is out.
  holding = true;
  for (const p of [alice, bob]) {
    await p.page.evaluate(() => window.pcs.at(-1)!.restartIce());
  }
  await bob.page.waitForTimeout(500);
  holding = false;
  for (const deliver of held.splice(0)) deliver();

  // Perfect negotiation's polite rollback would leave one direction frozen in Chromium; the
  // link starts a fresh connection instead (one more on each side), and both directions play.
  await alice.page.waitForTimeout(2_000);
  await expectVideoPlaying(udoOnUma);
  await expectVideoPlaying(umaOnUdo);
  await expectAudioFlowing(udoOnUma);
  await expectAudioFlowing(umaOnUdo);
  const connections = (p: Person) => p.page.evaluate(() => window.pcs.length);
  expect([await connections(alice), await connections(bob)]).toEqual([2, 2]);
  await alice.context.close();
  await bob.context.close();
});

for (const blocked of ['camera', 'microphone'] as const) {
  test(`joining without a ${blocked} still works and says why`, async ({ browser }) => {
    const alice = await person(browser, 'Cam');
    const code = await createMeeting(alice, { title: `No ${blocked}` });
    const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
    // The browser denies that device (as a user clicking "Block" would).
    await context.addInitScript((kind) => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
        (kind === 'camera' ? c?.video : c?.audio)
          ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
          : original(c);
    }, blocked);
    const guest = { context, page: await context.newPage(), name: 'Without' };
    const res = await context.request.post('/api/v1/auth/register', {
      data: { email: uniqueEmail('without'), password: PASSWORD, display_name: 'Without' },
    });
    expect(res.status()).toBe(201);
    await join(alice, code);
    await gotoHydrated(guest.page, `/meeting/${code}`);
    await expect(guest.page.getByTestId(blocked === 'camera' ? 'camera-problem' : 'mic-problem')).toContainText('blocked');
    await guest.page.getByRole('button', { name: 'Join meeting' }).click();
    await expect(guest.page.getByTestId('room')).toBeVisible();
    const onAlice = tileOf(alice.page, 'Without');
    if (blocked === 'camera') {
      await expect(onAlice).toHaveAttribute('data-camera-off', 'true');
      await expectAudioFlowing(onAlice);
    } else {
      await expect(onAlice).toHaveAttribute('data-muted', 'true');
      await expectVideoPlaying(onAlice);
    }
    await expectVideoPlaying(tileOf(guest.page, 'Cam'));
    await alice.context.close();
    await context.close();
  });
}


test('on a connection that keeps losing video the data saver is suggested, and taking it stops the video', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  const code = await createMeeting(alice, { title: 'Weak link' });
  await trackPeerConnections(alice);
  await trackPeerConnections(bob);
  await reportVideoLoss(bob);
  await join(alice, code);
  await join(bob, code);
  const aliceOnBob = tileOf(bob.page, 'Alice');
  await expectVideoPlaying(aliceOnBob);

  // A good connection is never nagged: well past the 8 s the suggestion waits for.
  await bob.page.waitForTimeout(12_000);
  await expect(bob.page.getByTestId('saver-hint')).toHaveCount(0);

  // Bob's connection starts losing a quarter of the video: after a while he is asked.
  await bob.page.evaluate(() => { window.videoLoss = true; });
  await expect(aliceOnBob.getByTestId('quality')).toHaveAttribute('aria-label', /Poor connection/, { timeout: 15_000 });
  await expect(bob.page.getByTestId('saver-hint')).toBeVisible({ timeout: 30_000 });
  await bob.page.getByTestId('saver-hint-accept').click();
  await expect(bob.page.getByTestId('saver-hint')).toHaveCount(0);
  await expect(aliceOnBob.getByTestId('video-paused')).toBeVisible();
  await expect.poll(() => cameraEncodingsActive(alice.page), { timeout: 10_000 }).toEqual([false]);
  await bob.page.getByTestId('toggle-devices').click();
  await expect(bob.page.getByTestId('incoming-video')).not.toBeChecked();
  await expectAudioFlowing(aliceOnBob);

  await alice.context.close();
  await bob.context.close();
});
