// Around the meeting, from the host's dashboard: the calendar invitation of a scheduled
// meeting, and afterwards who came and what was said.
import { expect, test } from '@playwright/test';
import { createMeeting, join, person, tileOf } from './call-fixtures';
import { gotoHydrated } from './fixtures';
import { readFile } from 'fs/promises';

test('the host downloads the invitation, and after the meeting reads who came and the chat', async ({ browser }) => {
  const host = await person(browser, 'Hana');
  const res = await host.context.request.post('/api/v1/meetings', {
    data: { title: 'Planning', starts_at: '2099-06-01T08:00:00Z', duration_minutes: 30, allow_guests: true },
  });
  expect(res.status()).toBe(201);
  const code = (await res.json()).code as string;

  await gotoHydrated(host.page, '/dashboard');
  const card = host.page.locator(`[data-testid="meeting-card"][data-code="${code}"]`);
  const [download] = await Promise.all([
    host.page.waitForEvent('download'),
    card.getByTestId('download-ics').click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${code}.ics`);
  const ics = await readFile(await download.path(), 'utf8');
  expect(ics).toContain('SUMMARY:Planning\r\n');
  expect(ics).toContain('DTSTART:20990601T080000Z\r\n');
  expect(ics).toContain(`/meeting/${code}`);

  // A short meeting: a guest comes, the host says something, both leave.
  const guest = await person(browser, 'Gil', { guest: true });
  await join(host, code);
  await join(guest, code, { guestName: 'Gil' });
  await host.page.getByTestId('toggle-chat').click();
  await host.page.getByTestId('chat-input').fill('Notes are in the doc');
  await host.page.getByTestId('chat-input').press('Enter');
  await expect(guest.page.getByTestId('toggle-chat').getByTestId('unread')).toContainText('1');
  await guest.page.getByTestId('leave').click();
  await host.page.getByTestId('leave').click();

  await gotoHydrated(host.page, '/dashboard');
  await card.getByTestId('show-attendance').click();
  const rows = card.getByTestId('attendance-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('Gil (guest)');
  await card.getByTestId('show-chat').click();
  await expect(card.getByTestId('chat-log-messages')).toContainText('Hana: Notes are in the doc');
  await expect(card.getByTestId('export-csv')).toHaveAttribute('href', `/api/v1/meetings/${code}/attendance?format=csv`);
  await host.context.close();
  await guest.context.close();
});

test('a profile picture is uploaded from the dashboard and shown on a camera-off tile', async ({ browser }) => {
  const ada = await person(browser, 'Ada Lovelace');
  await gotoHydrated(ada.page, '/dashboard');
  const profile = ada.page.getByRole('region', { name: 'Your profile' });
  await expect(profile.getByTestId('avatar-initials')).toHaveText('AL');

  // A text file named like a picture is refused, and nothing changes.
  await ada.page.locator('#avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await expect(profile.getByTestId('avatar-error')).toHaveText('Use a PNG, JPEG or WebP picture.');
  await expect(profile.getByTestId('avatar-initials')).toBeVisible();

  // Any real PNG will do: a screenshot of the page is one.
  const png = await ada.page.screenshot();
  await ada.page.locator('#avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  await expect(profile.getByRole('status')).toHaveText('Picture updated.');
  await expect(profile.getByTestId('avatar-error')).toBeEmpty();
  const shown = profile.getByTestId('avatar-image');
  await expect(shown).toHaveJSProperty('naturalWidth', 256);
  await expect(ada.page.getByRole('banner').getByTestId('avatar-image')).toBeVisible();
  // The name is edited in the same card; an empty one is refused on the field.
  await profile.getByLabel('Display name').fill(' ');
  await profile.getByRole('button', { name: 'Save name' }).click();
  await expect(profile.locator('#profile-display_name-error')).not.toBeEmpty();
  await profile.getByLabel('Display name').fill('Ada Lovelace');
  await profile.getByRole('button', { name: 'Save name' }).click();
  await expect(profile.getByRole('status')).toHaveText('Name saved.');

  // In a meeting with her camera off, the others see her picture on her tile.
  const code = await createMeeting(ada, { allow_guests: true });
  const bob = await person(browser, 'Bob', { guest: true });
  await join(ada, code);
  await ada.page.getByTestId('toggle-camera').click();
  await join(bob, code, { guestName: 'Bob' });
  const tile = tileOf(bob.page, 'Ada Lovelace');
  await expect(tile).toHaveAttribute('data-camera-off', 'true');
  await expect(tile.getByTestId('avatar-image')).toHaveJSProperty('naturalWidth', 256);
  // A guest has initials.
  await bob.page.getByTestId('toggle-camera').click();
  await expect(tileOf(ada.page, 'Bob').getByTestId('avatar-initials')).toHaveText('B');
  await ada.context.close();
  await bob.context.close();
});
