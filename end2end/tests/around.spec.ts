// Around the meeting, from the host's dashboard: the calendar invitation of a scheduled
// meeting, and afterwards who came and what was said.
import { expect, test } from './test';
import { createMeeting, join, person, tileOf } from './call-fixtures';
import { gotoHydrated, seriousViolations } from './fixtures';
import { readFile } from 'fs/promises';
import { received } from '../smtp';

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
  // Both exports download the chat.
  for (const [testid, expected] of [
    ['export-text', /\] Hana: Notes are in the doc\n/],
    ['export-json', /"text":\s*"Notes are in the doc"/],
  ] as const) {
    const [file] = await Promise.all([host.page.waitForEvent('download'), card.getByTestId(testid).click()]);
    expect(await readFile(await file.path(), 'utf8'), testid).toMatch(expected);
  }
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
  expect(await seriousViolations(ada.page), 'dashboard with a profile picture').toEqual([]);
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

test('the host schedules a meeting and invites people by email; without mail set up the card says so', async ({ browser }) => {
  const host = await person(browser, 'Ines');
  await gotoHydrated(host.page, '/dashboard');
  const form = host.page.getByRole('form', { name: 'New meeting' });
  await form.getByLabel('Title').fill('Kick-off');
  await form.getByLabel('Starts (optional)').fill('2099-09-01T10:00');
  await form.getByRole('button', { name: 'Create meeting' }).click();
  const card = host.page.getByTestId('meeting-card').filter({ hasText: 'Kick-off' });
  await expect(card).toBeVisible();

  await card.getByTestId('show-invitations').click();
  const emails = card.getByTestId('invite-emails');
  await emails.fill('ann@example.com, not-an-address');
  await card.getByTestId('send-invites').click();
  await expect(card.getByRole('alert').filter({ hasText: 'not-an-address' })).toBeVisible();
  await emails.fill('ann@example.com\nbo@example.org');
  await card.getByTestId('send-invites').click();
  await expect(emails).toHaveValue('');
  const invitees = card.getByTestId('invitee');
  await expect(invitees).toHaveCount(2);
  // The list follows the mail: queued, then sent once the SMTP server took it.
  await expect(invitees.nth(0)).toHaveAttribute('data-status', 'sent');
  await expect(invitees.nth(1)).toHaveAttribute('data-status', 'sent');
  expect(await seriousViolations(host.page), 'dashboard with invitations open').toEqual([]);

  await expect(async () => {
    const mails = (await received()).filter((m) => m.includes('Subject: Invitation: Kick-off'));
    expect(mails.length).toBe(2);
    expect(mails.join('\n')).toContain('To: ann@example.com');
    expect(mails.join('\n')).toContain('text/calendar');
  }).toPass({ timeout: 10_000 });

  // The same calendar file, downloaded from the card.
  const [download] = await Promise.all([host.page.waitForEvent('download'), card.getByTestId('download-ics').click()]);
  expect(await readFile(await download.path(), 'utf8')).toContain('SUMMARY:Kick-off\r\n');

  // A server without SMTP: the card says invitations by email are off.
  const base = test.info().project.use.baseURL!.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`);
  const other = await person(browser, 'Omar', { baseURL: base });
  const res = await other.context.request.post('/api/v1/meetings', { data: { title: 'Elsewhere', starts_at: '2099-06-01T08:00:00Z' } });
  expect(res.status()).toBe(201);
  await gotoHydrated(other.page, '/dashboard');
  const otherCard = other.page.getByTestId('meeting-card').filter({ hasText: 'Elsewhere' });
  await otherCard.getByTestId('show-invitations').click();
  await expect(otherCard.getByTestId('mail-off')).toContainText('not set up on this server');
  await host.context.close();
  await other.context.close();
});
