// Around the meeting, from the host's dashboard: the calendar invitation of a scheduled
// meeting, and afterwards who came and what was said.
import { expect, test } from '@playwright/test';
import { createMeeting, join, person } from './call-fixtures';
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
