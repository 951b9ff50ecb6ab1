// The meeting room as hosts run it: the lobby, chat (to everyone, privately, history for
// late joiners), raised hands, muting and removing someone, locking, muting everyone,
// reactions, searching the participants. Host and two others, so the calls run through the SFU.
import { expect, test, type Page } from './test';
import { gotoHydrated } from './fixtures';
import { connections, createMeeting, expectAudioFlowing, expectVideoPlaying, join, openPreJoin, person, tileOf, trackPeerConnections } from './call-fixtures';

declare global {
  interface Window {
    /** Tones the page started (see the lobby test). */
    tones: number;
    /** The speaker the page's AudioContext plays on, once routed there (see the lobby test). */
    soundSink: string;
  }
}

async function openChat(page: Page) {
  const toggle = page.getByTestId('toggle-chat');
  if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
  await expect(page.getByTestId('chat-log')).toBeVisible();
}

async function say(page: Page, text: string, to?: string) {
  await openChat(page);
  // The chosen recipient stays chosen, as in other meeting apps: choose every time here.
  await page.getByTestId('chat-to').selectOption({ label: to ? `${to} (private)` : 'Everyone' });
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-input').press('Enter');
  // Acknowledged by the server once stored: no longer "Sending…".
  const mine = page.getByTestId('chat-message').filter({ hasText: text });
  await expect(mine).toHaveCount(1);
  await expect(mine.getByTestId('chat-status')).toHaveCount(0);
}

// Three or four browsers and the SFU on two cores: the host-controls test took 58 s in a full
// run on a loaded machine, against the default of 60 s.
test.describe.configure({ timeout: 120_000 });

function message(page: Page, text: string) {
  return page.getByTestId('chat-message').filter({ hasText: text });
}

async function openPeople(page: Page) {
  const toggle = page.getByTestId('toggle-people');
  if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
}

async function menuFor(page: Page, name: string) {
  await openPeople(page);
  const row = page.locator(`[data-testid="participant"][data-name="${name}"]`);
  await row.getByTestId('participant-menu').click();
  return row;
}

test('the lobby admits people (a knock heard on the chosen speaker); chat reaches everyone, private messages only their target, late joiners get the history; a raised hand shows for all', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Lobby and chat', allow_guests: true, lobby: true });
  // Counts the tones the page starts: a knock at the door chimes.
  await host.context.addInitScript(() => {
    window.tones = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args: Parameters<OscillatorNode['start']>) {
      window.tones += 1;
      return start.apply(this, args);
    };
  });
  // ...and where the call's sounds go (AudioContext.setSinkId).
  await host.context.addInitScript(() => {
    // Not in TypeScript's DOM types yet (Chromium 110+).
    type Routable = AudioContext & { setSinkId(id: string): Promise<void>; sinkId: string };
    const proto = AudioContext.prototype as Routable;
    window.soundSink = '';
    const setSinkId = proto.setSinkId;
    proto.setSinkId = async function (this: Routable, id: string) {
      await setSinkId.call(this, id);
      window.soundSink = String(this.sinkId);
    };
  });
  await join(host, code);
  await expect(host.page).toHaveTitle(/^Lobby and chat/);
  // The host picks a speaker: the knock is heard there, not only on the default output.
  await host.page.getByRole('button', { name: 'Camera, microphone and speaker settings' }).click();
  await host.page.getByLabel('Speaker', { exact: true }).selectOption({ label: 'Fake Audio Output 1' });
  const speaker = await host.page.evaluate(async () =>
    (await navigator.mediaDevices.enumerateDevices()).find((d) => d.label === 'Fake Audio Output 1')?.deviceId,
  );
  await expect.poll(() => host.page.evaluate(() => window.soundSink)).toBe(speaker);
  await host.page.getByRole('button', { name: 'Camera, microphone and speaker settings' }).click();

  const gil = await person(browser, 'Gil', { guest: true });
  await join(gil, code, { guestName: 'Gil', lobby: true });
  const waiter = host.page.locator('[data-testid="waiter"][data-name="Gil"]');
  await expect(waiter).toBeVisible();
  await expect(waiter).toContainText('guest');
  // The host hears it and sees it in the tab's title, for a host looking elsewhere.
  await expect(host.page).toHaveTitle(/^\(1 waiting\) Lobby and chat/);
  expect(await host.page.evaluate(() => window.tones)).toBeGreaterThan(0);
  await waiter.getByTestId('admit').click();
  await expect(gil.page.getByTestId('room')).toBeVisible();
  await expect(host.page.getByTestId('lobby')).toHaveCount(0);
  await expect(host.page).toHaveTitle(/^Lobby and chat/);

  // Chat both ways; the closed panel counts what arrived.
  await say(host.page, 'Hello Gil, see https://example.com/agenda');
  await expect(gil.page.getByTestId('unread')).toContainText('1');
  await expect(gil.page).toHaveTitle(/^\(1 new\) Lobby and chat/);
  await openChat(gil.page);
  await expect(gil.page).toHaveTitle(/^Lobby and chat/);
  await expect(message(gil.page, 'Hello Gil')).toHaveAttribute('data-from', 'Hana');
  await expect(message(gil.page, 'Hello Gil').getByRole('link', { name: 'https://example.com/agenda' })).toHaveAttribute('rel', /noopener/);
  await expect(gil.page.getByTestId('unread')).toHaveCount(0);
  await say(gil.page, '<b>Hi</b> Hana');
  await expect(message(host.page, '<b>Hi</b> Hana')).toHaveAttribute('data-from', 'Gil');
  await expect(host.page.locator('[data-testid="chat-message"] b')).toHaveCount(0);

  // A late joiner, admitted too, gets what was said before.
  const pat = await person(browser, 'Pat');
  await join(pat, code, { lobby: true });
  await host.page.locator('[data-testid="waiter"][data-name="Pat"]').getByTestId('admit').click();
  await expect(pat.page.getByTestId('room')).toBeVisible();
  await openChat(pat.page);
  await expect(message(pat.page, 'Hello Gil')).toBeVisible();
  await expect(message(pat.page, '<b>Hi</b> Hana')).toBeVisible();

  // Private: Pat sees it, marked; the host never does.
  await say(gil.page, 'just between us', 'Pat');
  await expect(message(pat.page, 'just between us')).toHaveAttribute('data-private', 'true');
  // Pat's answer goes back to Gil privately unless Pat chooses otherwise.
  await expect(pat.page.getByTestId('chat-to').locator('option:checked')).toHaveText('Gil (private)');
  await say(gil.page, 'to everyone again');
  await expect(message(host.page, 'to everyone again')).toBeVisible();
  await expect(message(host.page, 'just between us')).toHaveCount(0);

  // The panel closes from its own button (on a phone it covers the video).
  await pat.page.getByTestId('chat-close').click();
  await expect(pat.page.getByTestId('chat-log')).toHaveCount(0);
  await expect(pat.page.getByTestId('toggle-chat')).toHaveAttribute('aria-pressed', 'false');

  // A raised hand shows on the tile for everyone else.
  await pat.page.getByTestId('toggle-hand').click();
  for (const p of [host, gil]) {
    await expect(tileOf(p.page, 'Pat').getByTestId('hand-raised')).toBeVisible();
  }
  for (const p of [host, gil, pat]) await p.context.close();
});

test('someone who tires of waiting leaves the lobby, and the host admits everyone else at once; the dashboard shows who is in and who waits', async ({ browser }) => {
  const host = await person(browser, 'Hugo');
  const code = await createMeeting(host, { title: 'Busy door', allow_guests: true, lobby: true });
  await join(host, code);
  const waiting = [];
  for (const name of ['Ida', 'Jo', 'Kim']) {
    const p = await person(browser, name, { guest: true });
    await join(p, code, { guestName: name, lobby: true });
    waiting.push(p);
  }
  const [ida, jo, kim] = waiting;
  await expect(host.page.getByTestId('waiter')).toHaveCount(3);
  await expect(host.page).toHaveTitle(/^\(3 waiting\) Busy door/);
  // The host's dashboard, in another tab, says who is in and who waits.
  const dashboard = await host.context.newPage();
  await gotoHydrated(dashboard, '/dashboard');
  const card = dashboard.locator(`[data-testid="meeting-card"][data-code="${code}"]`);
  await expect(card.getByTestId('live-in-call')).toHaveText('1 person in the call now');
  await expect(card.getByTestId('live-waiting')).toHaveText('3 people waiting to join');
  await expect(card.getByRole('link', { name: 'Join now' })).toBeVisible();

  // Kim gives up: gone from the host's list and count at once.
  await kim.page.getByTestId('leave-lobby').click();
  await expect(kim.page.getByRole('heading', { name: 'You left the meeting' })).toBeVisible();
  await expect(host.page.locator('[data-testid="waiter"][data-name="Kim"]')).toHaveCount(0);
  await expect(host.page.getByTestId('lobby')).toContainText('2 people are waiting to join');
  await expect(host.page).toHaveTitle(/^\(2 waiting\) Busy door/);

  // One press lets both in; Kim, who left, is not pulled in with them.
  await host.page.getByTestId('admit-all').click();
  for (const p of [ida, jo]) await expect(p.page.getByTestId('room')).toBeVisible();
  await expect(host.page.getByTestId('lobby')).toHaveCount(0);
  await expect(host.page).toHaveTitle(/^Busy door/);
  for (const name of ['Ida', 'Jo']) await expect(tileOf(host.page, name)).toBeVisible();
  await expect(tileOf(host.page, 'Kim')).toHaveCount(0);
  await expect(kim.page.getByTestId('room')).toHaveCount(0);
  // The dashboard catches up by itself (it asks again every 15 s).
  await expect(card.getByTestId('live-in-call')).toHaveText('3 people in the call now', { timeout: 30_000 });
  await expect(card.getByTestId('live-waiting')).toHaveCount(0);
  for (const p of [host, ida, jo, kim]) await p.context.close();
});

test('the host mutes one person (silent on the other side) and removes another, who cannot rejoin', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Host controls', allow_guests: true });
  const pat = await person(browser, 'Pat');
  const rex = await person(browser, 'Rex', { guest: true });
  await trackPeerConnections(host);
  await join(host, code);
  await join(pat, code);
  await join(rex, code, { guestName: 'Rex' });
  // Three people move the call from peer-to-peer to the SFU; measure once it has, or the
  // audio counters start again in the middle of a measurement.
  await expect.poll(() => connections(host.page), { timeout: 25_000 }).toEqual({ sfu: 1, p2p: 0 });

  const patOnHost = tileOf(host.page, 'Pat');
  await expectAudioFlowing(patOnHost);
  const energy = async () => Number(await patOnHost.getAttribute('data-audio-energy'));
  const growth = async (ms: number) => {
    const before = await energy();
    await host.page.waitForTimeout(ms);
    return (await energy()) - before;
  };
  await expect.poll(() => growth(2000), { timeout: 20_000 }).toBeGreaterThan(0);
  const speaking = await growth(3000);

  const row = await menuFor(host.page, 'Pat');
  await row.getByTestId('host-mute').click();
  await expect(pat.page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'true');
  await expect(pat.page.getByTestId('toast')).toContainText('Hana muted your microphone');
  await expect(patOnHost).toHaveAttribute('data-muted', 'true');
  await expect(host.page.getByTestId('chat-log')).toHaveCount(0);
  // The receiver conceals the last packets for a moment after they stop (longer on a busy
  // machine: 1.5 s once left 17 % of the speaking level in the window).
  await host.page.waitForTimeout(3000);
  const muted = await growth(3000);
  expect(speaking).toBeGreaterThan(0);
  expect(muted).toBeLessThan(speaking * 0.05);

  // The host can only ask to unmute; Pat decides, and his answer turns the microphone on.
  await (await menuFor(host.page, 'Pat')).getByTestId('host-ask-unmute').click();
  const asked = pat.page.getByTestId('asked');
  await expect(asked).toHaveText(/Hana asks you to turn on your microphone\./);
  await expect(pat.page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'true');
  await asked.getByTestId('asked-accept').click();
  await expect(asked).toHaveCount(0);
  await expect(pat.page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'false');
  await expect(patOnHost).toHaveAttribute('data-muted', 'false');

  const rexRow = await menuFor(host.page, 'Rex');
  await rexRow.getByTestId('host-remove').click();
  await rexRow.getByTestId('host-remove-confirm').click();
  await expect(rex.page.getByTestId('meeting')).toHaveAttribute('data-phase', /ended/);
  await expect(rex.page.getByTestId('ended-reason')).toHaveText('You were removed from the meeting by Hana.');
  await expect(tileOf(host.page, 'Rex')).toHaveCount(0);
  await openChat(pat.page);
  await expect(pat.page.getByTestId('chat-system').filter({ hasText: 'Rex was removed by Hana' })).toBeVisible();

  // Rex is not offered a "Rejoin" that cannot work; trying anyway from the same browser (a
  // reload) is refused with a clear reason.
  await expect(rex.page.getByRole('button', { name: 'Rejoin' })).toHaveCount(0);
  await rex.page.reload();
  await rex.page.getByLabel('Your name').fill('Rex');
  await rex.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(rex.page.getByText('You were removed from this meeting by the host.')).toBeVisible();
  await expect(rex.page.getByTestId('room')).toHaveCount(0);

  // Another browser (or cleared storage) is a new guest key, which cannot be told from a new
  // guest: since a guest was removed, every new guest waits for the host to decide.
  const rex2 = await person(browser, 'Rex again', { guest: true });
  await join(rex2, code, { guestName: 'Rex', lobby: true });
  const waiter = host.page.locator('[data-testid="waiter"][data-name="Rex"]');
  await expect(waiter).toContainText('guest');
  await waiter.getByTestId('deny').click();
  await expect(rex2.page.getByText('The host did not let you in to this meeting.')).toBeVisible();
  await expect(tileOf(host.page, 'Rex')).toHaveCount(0);
  for (const p of [host, pat, rex, rex2]) await p.context.close();
});

test('the host locks the meeting and mutes everyone; a late joiner pages back through the chat; a reaction shows on the tile; the participant list searches', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Lock and react', allow_guests: true });
  const pat = await person(browser, 'Pat');
  await join(host, code);
  await join(pat, code);

  // 56 messages before a late joiner comes (past the burst, 4 per second each).
  await openChat(host.page);
  await openChat(pat.page);
  for (let i = 1; i <= 56; i++) {
    const page = i % 2 ? host.page : pat.page;
    await page.getByTestId('chat-input').fill(`m${String(i).padStart(2, '0')}`);
    await page.getByTestId('chat-input').press('Enter');
    if (i > 36) await page.waitForTimeout(260);
  }
  for (const p of [host, pat]) await expect(message(p.page, 'm56')).toBeVisible();
  for (const p of [host, pat]) await expect(p.page.getByTestId('chat-status')).toHaveCount(0);
  await host.page.getByTestId('toggle-chat').click();

  // Locked: everyone in the room sees it, and a newcomer is told why they cannot come in.
  await openPeople(host.page);
  await host.page.getByTestId('toggle-lock').click();
  await expect(host.page.getByTestId('toggle-lock')).toHaveAttribute('aria-pressed', 'true');
  await expect(pat.page.getByTestId('locked-badge')).toBeVisible();
  const gus = await person(browser, 'Gus', { guest: true });
  await openPreJoin(gus, code);
  await expect(gus.page.getByTestId('prejoin-locked')).toBeVisible();
  await expect(gus.page.getByTestId('in-call')).toHaveText('2 people are in the call.');
  await gus.page.getByLabel('Your name').fill('Gus');
  await gus.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(gus.page.getByText('This meeting is locked: nobody new can join until the host unlocks it.')).toBeVisible();
  await expect(gus.page.getByTestId('room')).toHaveCount(0);
  // Unlocked, the same page gets in.
  await host.page.getByTestId('toggle-lock').click();
  await expect(pat.page.getByTestId('locked-badge')).toHaveCount(0);
  // The waiting page catches up by itself (it looks again every 10 s): no stale "locked".
  await expect(gus.page.getByTestId('prejoin-locked')).toHaveCount(0, { timeout: 15_000 });
  await expect(gus.page.getByText('This meeting is locked: nobody new can join until the host unlocks it.')).toHaveCount(0);
  await gus.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(gus.page.getByTestId('meeting')).toHaveAttribute('data-phase', 'incall');
  // The history arrives 50 messages at a time; scrolling back to the top loads the earlier
  // ones (as would the "Load earlier messages" button above them, for keyboards).
  await openChat(gus.page);
  await expect(gus.page.getByTestId('chat-message')).toHaveCount(50);
  await expect(message(gus.page, 'm01')).toHaveCount(0);
  await expect(gus.page.getByTestId('chat-older')).toBeVisible();
  await gus.page.getByTestId('chat-log').evaluate((log) => log.scrollTo({ top: 0 }));
  await expect(gus.page.getByTestId('chat-message')).toHaveCount(56);
  await expect(message(gus.page, 'm01')).toBeVisible();
  await expect(gus.page.getByTestId('chat-older')).toHaveCount(0);
  await gus.page.getByTestId('toggle-chat').click();

  // Mute all: every other microphone goes off, the host's stays on.
  await host.page.getByTestId('mute-all').click();
  for (const p of [pat, gus]) await expect(p.page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'true');
  await expect(tileOf(host.page, 'Gus')).toHaveAttribute('data-muted', 'true');
  await expect(host.page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'false');

  // The participant list narrows to the names that match.
  await host.page.getByTestId('participant-search').fill('pa');
  const rows = host.page.getByTestId('participant');
  await expect(rows).toHaveCount(1);
  await expect(rows).toHaveAttribute('data-name', 'Pat');
  await host.page.getByTestId('participant-search').fill('');
  await expect(rows).toHaveCount(2);

  // A reaction shows on the sender's tile for the others (for 4 s: checked on both at once).
  await pat.page.getByTestId('toggle-reactions').click();
  const pick = pat.page.getByTestId('reaction-button').first();
  const reaction = (await pick.getAttribute('data-reaction')) ?? '';
  await pick.click();
  await Promise.all(
    [host, gus].map((p) => expect(tileOf(p.page, 'Pat').getByTestId('reaction')).toHaveAttribute('data-reaction', reaction)),
  );

  for (const p of [host, pat, gus]) await p.context.close();
});

test('Rejoin keeps what you typed; someone who was in comes back without the lobby after a removal', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Come back', allow_guests: true, password: 'pass-1234' });
  await join(host, code);
  const bob = await person(browser, 'Bob', { guest: true });
  await join(bob, code, { guestName: 'Bob', password: 'pass-1234' });
  const rex = await person(browser, 'Rex', { guest: true });
  await join(rex, code, { guestName: 'Rex', password: 'pass-1234' });

  // Bob raises his hand, leaves, and rejoins: his name and the password are filled in (kept
  // in this tab), and the old hand is not on his preview.
  await bob.page.getByTestId('toggle-hand').click();
  await expect(bob.page.getByTestId('hand-raised')).toBeVisible();
  await bob.page.getByTestId('leave').click();
  await bob.page.getByRole('button', { name: 'Rejoin' }).click();
  await expect(bob.page.getByLabel('Your name')).toHaveValue('Bob');
  await expect(bob.page.getByLabel('Meeting password')).toHaveValue('pass-1234');
  await expect(bob.page.getByTestId('hand-raised')).toHaveCount(0);
  await bob.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(bob.page.getByTestId('room')).toBeVisible();

  // The host removes Rex: new guests now wait in the lobby. Bob, already let in, leaves and
  // comes straight back (his name still filled in), not to the lobby.
  const rexRow = await menuFor(host.page, 'Rex');
  await rexRow.getByTestId('host-remove').click();
  await rexRow.getByTestId('host-remove-confirm').click();
  await expect(tileOf(host.page, 'Rex')).toHaveCount(0);
  await bob.page.getByTestId('leave').click();
  await bob.page.getByRole('button', { name: 'Rejoin' }).click();
  await expect(bob.page.getByLabel('Your name')).toHaveValue('Bob');
  await bob.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(bob.page.getByTestId('room')).toBeVisible();
  await expect(bob.page.getByTestId('waiting')).toHaveCount(0);
  await expectVideoPlaying(tileOf(host.page, 'Bob'));
  for (const p of [host, bob, rex]) await p.context.close();
});

test('a reload mid-call resumes the seat: back in the call without the pre-join, and nobody reads that you left', async ({ browser }) => {
  const ann = await person(browser, 'Ann');
  const code = await createMeeting(ann, { title: 'Reload', allow_guests: true });
  await join(ann, code);
  const dave = await person(browser, 'Dave', { guest: true });
  await join(dave, code, { guestName: 'Dave' });
  await expectVideoPlaying(tileOf(ann.page, 'Dave'));
  await expectVideoPlaying(tileOf(dave.page, 'Ann'));

  await dave.page.reload();
  await expect(dave.page.getByTestId('meeting')).toHaveAttribute('data-phase', 'incall', { timeout: 20_000 });
  // Media both ways again, over a new peer-to-peer link.
  await expectVideoPlaying(tileOf(dave.page, 'Ann'));
  await expectVideoPlaying(tileOf(ann.page, 'Dave'));
  await expectAudioFlowing(tileOf(ann.page, 'Dave'));
  await openChat(ann.page);
  await expect(ann.page.getByTestId('chat-system').filter({ hasText: 'Dave joined' })).toHaveCount(1);
  await expect(ann.page.getByTestId('chat-system').filter({ hasText: 'Dave left' })).toHaveCount(0);

  // Leaving forgets the kept seat: a reload after Leave shows the pre-join.
  await dave.page.getByTestId('leave').click();
  await dave.page.reload();
  await expect(dave.page.getByRole('button', { name: 'Join meeting' })).toBeVisible();
  await expect(dave.page.getByLabel('Your name')).toHaveValue('Dave');
  for (const p of [ann, dave]) await p.context.close();
});
