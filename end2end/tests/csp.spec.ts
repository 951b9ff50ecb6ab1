// The Content-Security-Policy holds for the whole app: pages hydrate (or, without the app, run
// their inline script), a call connects and media plays, and the browser reports no violation.
// Every spec fails on a reported violation (./test.ts); this one goes through every page on
// purpose and checks the header.
import { expect, test } from './test';
import { createMeeting, expectVideoPlaying, join, person, tileOf } from './call-fixtures';

test('every page and a call run under the CSP without a violation', async ({ browser, pageProblems }) => {
  const ann = await person(browser, 'Ann');
  const bo = await person(browser, 'Bo');

  // The light pages as a visitor sees them (signed in, sign-in and registration send you on).
  const visitor = await person(browser, 'Visitor', { guest: true });
  for (const path of ['/', '/login', '/register']) {
    const res = await visitor.page.goto(path);
    expect(res?.headers()['content-security-policy'], path).toContain("'nonce-");
    // The light pages (no app) run only their inline theme-toggle script.
    const toggle = visitor.page.getByTestId('theme-toggle');
    const before = (await toggle.getAttribute('data-theme')) ?? '';
    await toggle.click();
    await expect(toggle).not.toHaveAttribute('data-theme', before);
  }
  await visitor.context.close();
  const res = await ann.page.goto('/dashboard');
  expect(res?.headers()['content-security-policy']).toContain("'nonce-");
  await expect(ann.page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  const code = await createMeeting(ann, { title: 'Under CSP' });
  await join(ann, code);
  await join(bo, code);
  await expectVideoPlaying(tileOf(ann.page, 'Bo'));
  await expectVideoPlaying(tileOf(bo.page, 'Ann'));

  expect(pageProblems).toEqual([]);
  await ann.context.close();
  await bo.context.close();
});
