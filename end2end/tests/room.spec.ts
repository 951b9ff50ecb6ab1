// Host controls that end a meeting: "End for everyone" in the room, and deleting the meeting
// from the dashboard (or the API) while people are in it.
import { expect, test } from './test';
import { createMeeting, join, person, tileOf, expectVideoPlaying } from './call-fixtures';

test('the host ends the meeting for everyone; a guest cannot', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Ends', allow_guests: true });
  const guest = await person(browser, 'Gil', { guest: true });
  await join(host, code);
  await join(guest, code, { guestName: 'Gil' });
  await expectVideoPlaying(tileOf(host.page, 'Gil'));

  await expect(guest.page.getByTestId('end-for-all')).toHaveCount(0);
  await host.page.getByTestId('end-for-all').click();
  // A second, explicit confirmation; cancel goes back.
  await host.page.getByTestId('end-for-all-cancel').click();
  await expect(host.page.getByTestId('room')).toBeVisible();
  await host.page.getByTestId('end-for-all').click();
  await host.page.getByTestId('end-for-all-confirm').click();

  for (const p of [guest, host]) await expect(p.page.getByTestId('meeting')).toHaveAttribute('data-phase', /ended/);
  await expect(host.page.getByTestId('ended-reason')).toHaveText('You ended the meeting for everyone.');
  await expect(guest.page.getByTestId('ended-reason')).toHaveText(
    'The host ended the meeting for everyone. It opens again when the host joins.',
  );
  // Ended stays ended: the guest has no "Rejoin", and joining again from the pre-join is
  // refused until the host opens the meeting again (a guest used to sit in it with no host).
  await expect(guest.page.getByRole('button', { name: 'Rejoin' })).toHaveCount(0);
  // Afterwards the host goes back to the dashboard; a guest, who has none, to the start page.
  await expect(host.page.getByTestId('after-call')).toHaveText('Back to dashboard');
  await expect(host.page.getByTestId('after-call')).toHaveAttribute('href', '/dashboard');
  await expect(guest.page.getByTestId('after-call')).toHaveText('Back to start');
  await expect(guest.page.getByTestId('after-call')).toHaveAttribute('href', '/');
  await guest.page.reload();
  await guest.page.getByLabel('Your name').fill('Gil');
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.getByText('This meeting has ended. It opens again when its host joins.')).toBeVisible();
  await expect(guest.page.getByTestId('room')).toHaveCount(0);
  // The host opens it again; then the guest gets in.
  await host.page.getByRole('button', { name: 'Rejoin' }).click();
  await host.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(host.page.getByTestId('room')).toBeVisible();
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await expect(guest.page.getByTestId('room')).toBeVisible();
  await expectVideoPlaying(tileOf(host.page, 'Gil'));
  await host.context.close();
  await guest.context.close();
});

test('a 64-character name without spaces is cut with an ellipsis, not the chat panel', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const code = await createMeeting(host, { title: 'Long names', allow_guests: true });
  const long = 'W'.repeat(64);
  const guest = await person(browser, 'Long', { guest: true });
  await join(host, code);
  await join(guest, code, { guestName: long });
  await host.page.getByTestId('toggle-chat').click();
  const panel = host.page.locator('#chat');
  await expect(panel.getByTestId('chat-system').filter({ hasText: 'joined' })).toBeVisible();
  await guest.page.getByTestId('toggle-chat').click();
  await guest.page.getByTestId('chat-input').fill('hello from a long name');
  await guest.page.keyboard.press('Enter');
  await expect(panel.getByTestId('chat-message')).toHaveCount(1);
  // Nothing in the panel is wider than the panel: the "To" picker, the "joined" line, the name.
  const overflow = await panel.evaluate((el) => {
    const width = el.getBoundingClientRect().width;
    return [...el.querySelectorAll('select, [data-testid="chat-system"], [data-testid="chat-message"] span')]
      .map((e) => e.getBoundingClientRect().width)
      .filter((w) => w > width + 1);
  });
  expect(overflow).toEqual([]);
  expect(await panel.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
  await host.context.close();
  await guest.context.close();
});

test('deleting a meeting ends it for the people in it', async ({ browser }) => {
  const host = await person(browser, 'Dora');
  const code = await createMeeting(host, { title: 'Deleted', allow_guests: true });
  const guest = await person(browser, 'Dex', { guest: true });
  await join(guest, code, { guestName: 'Dex' });
  const res = await host.context.request.delete(`/api/v1/meetings/${code}`);
  expect(res.status()).toBe(204);
  await expect(guest.page.getByTestId('meeting')).toHaveAttribute('data-phase', /ended/);
  await expect(guest.page.getByText('The host deleted this meeting.')).toBeVisible();
  await host.context.close();
  await guest.context.close();
});

test('"Copy link" puts the meeting link on the clipboard, in the room and on the dashboard', async ({ browser }) => {
  const host = await person(browser, 'Cleo');
  await host.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const res = await host.context.request.post('/api/v1/meetings', { data: { title: 'Copy me' } });
  expect(res.status()).toBe(201);
  const { code, join_url: joinUrl } = await res.json();
  const clipboard = () => host.page.evaluate(() => navigator.clipboard.readText());

  await join(host, code);
  const copy = host.page.getByTestId('room-copy-link');
  await copy.click();
  await expect(copy).toHaveText('Link copied');
  expect(await clipboard()).toBe(new URL(`/meeting/${code}`, host.page.url()).href);
  // The label goes back, so a second copy says so again.
  await expect(copy).toHaveText('Copy link', { timeout: 6_000 });

  await host.page.getByTestId('leave').click();
  await host.page.goto('/dashboard');
  await host.page.evaluate(() => navigator.clipboard.writeText(''));
  const card = host.page.getByTestId('copy-link');
  await card.click();
  await expect(card).toHaveText('Link copied');
  expect(await clipboard()).toBe(joinUrl);
  await host.context.close();
});

test('going offline shows at once, and coming back says so; the call carries on', async ({ browser }) => {
  const ann = await person(browser, 'Ann');
  const code = await createMeeting(ann, { title: 'Offline', allow_guests: true });
  const bo = await person(browser, 'Bo', { guest: true });
  await join(ann, code);
  await join(bo, code, { guestName: 'Bo' });
  await expectVideoPlaying(tileOf(bo.page, 'Ann'));
  await bo.context.setOffline(true);
  await expect(bo.page.getByTestId('offline')).toBeVisible({ timeout: 3_000 });
  await bo.context.setOffline(false);
  await expect(bo.page.getByTestId('offline')).toHaveCount(0);
  await expect(bo.page.getByText('You are back online.')).toBeVisible();
  await expectVideoPlaying(tileOf(bo.page, 'Ann'));
  await expectVideoPlaying(tileOf(ann.page, 'Bo'));
  await ann.context.close();
  await bo.context.close();
});
