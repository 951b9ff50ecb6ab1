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

  for (const p of [guest, host]) {
    await expect(p.page.getByTestId('meeting')).toHaveAttribute('data-phase', /ended/);
    await expect(p.page.getByText('The host ended the meeting for everyone.')).toBeVisible();
  }
  // Afterwards the host goes back to the dashboard; a guest, who has none, to the start page.
  await expect(host.page.getByTestId('after-call')).toHaveText('Back to dashboard');
  await expect(host.page.getByTestId('after-call')).toHaveAttribute('href', '/dashboard');
  await expect(guest.page.getByTestId('after-call')).toHaveText('Back to start');
  await expect(guest.page.getByTestId('after-call')).toHaveAttribute('href', '/');
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
