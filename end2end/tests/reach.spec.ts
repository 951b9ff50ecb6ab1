// Reach: every page passes axe-core (no serious or critical violation), the join flow and
// the room's controls work by keyboard alone with a visible focus, live changes are
// announced, and the room fits a phone in portrait and landscape. Screenshots at phone and
// desktop sizes go to the test's output folder (target/e2e-results/…).
import { expect, test, type Page } from './test';
import { createMeeting, join, openPreJoin, person, tileOf } from './call-fixtures';
import { gotoHydrated, gotoLight, seriousViolations } from './fixtures';

const PHONE = { width: 390, height: 844 };
const PHONE_LANDSCAPE = { width: 844, height: 390 };
const DESKTOP = { width: 1280, height: 800 };

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`) });
}

/** The focused element shows a focus indicator (an outline or a ring). */
async function focusVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  });
}

/** Presses Tab until `name` (an accessible name) has focus; fails after `max` presses. */
async function tabTo(page: Page, matches: (el: { label: string; tag: string }) => boolean, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return {
        label: (a?.getAttribute('aria-label') || a?.innerText || a?.getAttribute('name') || '').trim(),
        tag: a?.tagName ?? '',
      };
    });
    if (matches(el)) {
      expect(await focusVisible(page), `focus visible on ${el.tag} "${el.label}"`).toBe(true);
      return;
    }
  }
  throw new Error('never reached by Tab');
}

test('the public pages, the dashboard, pre-join and the room pass axe at phone and desktop sizes', async ({ browser }) => {
  const host = await person(browser, 'Ada');
  const code = await createMeeting(host, { title: 'Axe check', allow_guests: true });
  const page = host.page;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    const tag = size === PHONE ? 'phone' : 'desktop';
    for (const [name, url] of [
      ['landing', '/'],
      ['dashboard', '/dashboard'],
    ] as const) {
      await (url === '/' ? gotoLight : gotoHydrated)(page, url);
      expect(await seriousViolations(page), `${name} (${tag})`).toEqual([]);
      await screenshot(page, `${name}-${tag}`);
    }
    await openPreJoin(host, code);
    expect(await seriousViolations(page), `pre-join (${tag})`).toEqual([]);
    await screenshot(page, `prejoin-${tag}`);
  }
  // Signed out: sign-in and registration.
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  for (const [name, url] of [
    ['sign-in', '/login'],
    ['register', '/register'],
  ] as const) {
    await gotoLight(visitor, url);
    expect(await seriousViolations(visitor), name).toEqual([]);
  }
  await visitorContext.close();

  await join(host, code);
  await page.getByTestId('toggle-people').click();
  await page.getByTestId('toggle-chat').click();
  expect(await seriousViolations(page), 'room with panels (desktop)').toEqual([]);
  await screenshot(page, 'room-desktop');
  await page.setViewportSize(PHONE);
  expect(await seriousViolations(page), 'room with panels (phone)').toEqual([]);
  await host.context.close();
});

test('a busy room (lobby, chat, a remote tile) and the dashboard with every panel open pass axe, light and dark', async ({ browser }) => {
  test.setTimeout(150_000); // three people, then the dashboard twice
  const host = await person(browser, 'Ada');
  const code = await createMeeting(host, { title: 'Busy axe', allow_guests: true, lobby: true });
  const page = host.page;
  await join(host, code);
  const bo = await person(browser, 'Bo');
  await join(bo, code, { lobby: true });
  await page.locator('[data-testid="waiter"][data-name="Bo"]').getByTestId('admit').click();
  await expect(bo.page.getByTestId('room')).toBeVisible();
  const cy = await person(browser, 'Cy', { guest: true });
  await join(cy, code, { guestName: 'Cy', lobby: true });
  await expect(page.getByTestId('lobby')).toBeVisible();

  // Chat from both sides, one private; Bo's tile with its connection badge.
  await page.getByTestId('toggle-chat').click();
  await page.getByRole('textbox', { name: /message/i }).fill('Mine, to everyone');
  await page.keyboard.press('Enter');
  await bo.page.getByTestId('toggle-chat').click();
  await bo.page.getByRole('textbox', { name: /message/i }).fill('Theirs');
  await bo.page.keyboard.press('Enter');
  await expect(page.getByTestId('chat-message')).toHaveCount(2);
  await expect(tileOf(page, 'Bo').getByTestId('quality')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('toggle-people').click();
  await page.getByTestId('toggle-devices').click();
  expect(await seriousViolations(page), 'busy room, every panel').toEqual([]);
  await screenshot(page, 'busy-room');

  // The dashboard, with the meeting live and someone waiting, every panel of a card open,
  // and a scheduled meeting's invitations and edit form; then the same in dark.
  const res = await host.context.request.post('/api/v1/meetings', {
    data: { title: 'Scheduled axe', starts_at: '2099-01-02T10:00:00Z', duration_minutes: 30 },
  });
  expect(res.status()).toBe(201);
  const dashboard = await host.context.newPage();
  for (const scheme of ['light', 'dark'] as const) {
    await dashboard.emulateMedia({ colorScheme: scheme });
    await gotoHydrated(dashboard, '/dashboard');
    await expect(dashboard.locator('html')).toHaveClass(scheme === 'dark' ? /dark/ : /^(?!.*dark)/);
    const live = dashboard.locator(`[data-testid="meeting-card"][data-code="${code}"]`);
    await expect(live.getByTestId('live-waiting')).toBeVisible();
    await live.getByTestId('show-chat').click();
    await live.getByTestId('show-attendance').click();
    const scheduled = dashboard.getByTestId('meeting-card').filter({ hasText: 'Scheduled axe' });
    await scheduled.getByTestId('show-invitations').click();
    await scheduled.getByRole('button', { name: 'Edit' }).click();
    await expect(scheduled.getByRole('form', { name: 'Edit meeting' })).toBeVisible();
    expect(await seriousViolations(dashboard), `dashboard, every panel (${scheme})`).toEqual([]);
    await screenshot(dashboard, `dashboard-panels-${scheme}`);
  }
  await gotoLight(dashboard, '/no/such-page');
  expect(await seriousViolations(dashboard), 'page not found').toEqual([]);
  for (const p of [host, bo, cy]) await p.context.close();
});

test('on a phone the pre-join controls are not covered and the room fills the screen in portrait and landscape', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Phone', allow_guests: true });
  const guest = await person(browser, 'Gil', { guest: true });
  await guest.page.setViewportSize(PHONE);
  await openPreJoin(guest, code);
  // Nothing lies on top of the microphone and camera buttons under the preview.
  for (const id of ['toggle-mic', 'toggle-camera']) {
    const box = (await guest.page.getByTestId(id).boundingBox())!;
    const top = await guest.page.evaluate(
      ([x, y]) => document.elementFromPoint(x, y)?.closest('[data-testid]')?.getAttribute('data-testid'),
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    expect(top, `${id} is on top`).toBe(id);
  }
  await screenshot(guest.page, 'prejoin-phone-guest');

  await join(host, code);
  await guest.page.getByLabel('Your name').fill('Gil');
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.getByTestId('room')).toBeVisible();
  await expect(tileOf(guest.page, 'Hana')).toHaveCount(1);
  for (const size of [PHONE, PHONE_LANDSCAPE]) {
    await guest.page.setViewportSize(size);
    const room = (await guest.page.getByTestId('room').boundingBox())!;
    expect(room.width).toBeCloseTo(size.width, -1);
    expect(room.height).toBeCloseTo(size.height, -1);
    // The controls sit at the bottom, inside the screen.
    const leave = (await guest.page.getByTestId('leave').boundingBox())!;
    expect(leave.y + leave.height).toBeLessThanOrEqual(size.height);
    expect(leave.y).toBeGreaterThan(size.height / 2);
    // The tiles use most of the screen above the controls.
    const grid = (await guest.page.getByTestId('grid').boundingBox())!;
    expect(grid.height * grid.width).toBeGreaterThan(0.35 * size.width * size.height);
    await screenshot(guest.page, `room-${size === PHONE ? 'phone' : 'phone-landscape'}`);
  }
  await host.context.close();
  await guest.context.close();
});

test('the join flow and the room controls work by keyboard alone (the shortcuts listed by ?), and changes are announced', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Keyboard', allow_guests: true });
  await join(host, code);

  const guest = await person(browser, 'Kay', { guest: true });
  const page = guest.page;
  await openPreJoin(guest, code);
  await page.locator('body').focus();
  await tabTo(page, (el) => el.tag === 'INPUT' && el.label.includes('display_name'));
  await page.keyboard.type('Kay');
  await tabTo(page, (el) => el.tag === 'BUTTON' && el.label === 'Join meeting');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('room')).toBeVisible();
  // The focus lands on the room (the Join button is gone), not on the page's body, and Tab
  // stays in the room: the page header under it is out of reach.
  await expect(page.getByTestId('room')).toBeFocused();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="room"]'))).toBe(true);
  expect(await page.evaluate(() => document.querySelector('header')?.hasAttribute('inert'))).toBe(true);

  // Microphone off and on, chat opened and a message sent: all from the keyboard.
  await tabTo(page, (el) => el.label === 'Mute microphone');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'true');
  await expect(tileOf(host.page, 'Kay')).toHaveAttribute('data-muted', 'true');
  // The host's screen reader hears it, whatever panel is open.
  await expect(host.page.getByTestId('announcer')).toHaveText('Kay muted');
  await tabTo(page, (el) => el.tag === 'BUTTON' && el.label.startsWith('Chat'));
  await page.keyboard.press('Enter');
  // Opening the chat puts the focus in its message box: typing writes, it does not press
  // the one-key shortcuts (h raised the hand, m muted, v turned the camera off, Space...).
  await expect(page.getByTestId('chat-input')).toBeFocused();
  await page.keyboard.type('have a very nice morning');
  await expect(page.getByTestId('chat-input')).toHaveValue('have a very nice morning');
  await expect(page.getByTestId('toggle-mic')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('toggle-camera')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('toggle-hand')).toHaveAttribute('aria-pressed', 'false');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('typed, not clicked');
  await page.keyboard.press('Enter');
  await expect(host.page.getByTestId('toggle-chat').getByTestId('unread')).toContainText('1');

  // A reaction from the keyboard: the picker closes and the focus is back on its button.
  await page.getByTestId('toggle-reactions').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('reaction-button').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toggle-reactions')).toBeFocused();

  // "?" lists the shortcuts (focus on its Close button; it passes axe); Esc closes it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Talk while muted');
  await expect(help.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(help.getByRole('button', { name: 'Close' })).toBeFocused();
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  // P shows and hides the participants, C the chat (it was open: C closes it).
  await page.keyboard.press('p');
  await expect(page.locator('#participants')).toBeVisible();
  await page.keyboard.press('p');
  await expect(page.locator('#participants')).toHaveCount(0);
  await expect(page.locator('#chat')).toBeVisible();
  await page.keyboard.press('c');
  await expect(page.locator('#chat')).toHaveCount(0);
  // From the device settings too; closing gives the focus back to where it was.
  await page.getByTestId('toggle-devices').click();
  await page.getByTestId('show-shortcuts').focus();
  await page.keyboard.press('Enter');
  await expect(help.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(help).toHaveCount(0);
  await expect(page.getByTestId('show-shortcuts')).toBeFocused();

  // Live regions: changes are announced whatever panel is open (the announcer), and the
  // chat log is a polite log too.
  await expect(host.page.getByTestId('announcer')).toHaveAttribute('aria-live', 'polite');

  await host.page.getByTestId('toggle-chat').click();
  const log = host.page.getByRole('log', { name: 'Messages' });
  await expect(log).toHaveAttribute('aria-live', 'polite');
  await expect(log).toContainText('Kay joined');
  await expect(log).toContainText('typed, not clicked');
  await host.context.close();
  await guest.context.close();
});
