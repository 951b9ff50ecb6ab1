// Light and dark: the app follows the browser's preference, a toggle overrides it, and a
// signed-in user's choice follows them to another device. Both themes pass axe's contrast
// checks (no serious or critical violation).
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from './test';
import { gotoLight, registerViaUi, uniqueEmail, PASSWORD } from './fixtures';

async function serious(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

const isDark = (page: Page) => page.evaluate(() => document.documentElement.classList.contains('dark'));

test('a browser that prefers dark gets the dark theme, with AA contrast', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  for (const url of ['/', '/login', '/register']) {
    await gotoLight(page, url);
    expect(await isDark(page), url).toBe(true);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg, 'a dark page background').not.toBe('rgb(248, 250, 252)');
    expect(await serious(page), url).toEqual([]);
  }
  await context.close();
});

test('the toggle overrides the system and a signed-in choice follows the user to another device', async ({ browser }) => {
  const email = uniqueEmail('theo');
  const first = await browser.newContext({ colorScheme: 'light' });
  const page = await first.newPage();
  await registerViaUi(page, 'Theo', email);
  expect(await isDark(page)).toBe(false);
  const toggle = page.getByTestId('theme-toggle');
  await toggle.click(); // system → light
  await expect(toggle).toHaveAttribute('data-theme', 'light');
  await toggle.click(); // light → dark
  await expect(toggle).toHaveAttribute('data-theme', 'dark');
  expect(await isDark(page)).toBe(true);
  expect(await serious(page), 'dashboard in dark').toEqual([]);
  // Kept on reload, before hydration: no flash of light.
  await page.reload();
  expect(await isDark(page)).toBe(true);
  await expect.poll(async () => (await page.request.get('/api/v1/users/me')).json()).toMatchObject({ theme: 'dark' });

  // Another device, light by default: signing in applies the profile's choice.
  const second = await browser.newContext({ colorScheme: 'light' });
  const other = await second.newPage();
  await gotoLight(other, '/login');
  expect(await isDark(other)).toBe(false);
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other).toHaveURL(/\/dashboard$/);
  await expect.poll(() => isDark(other)).toBe(true);

  // The landing page has no app: its toggle is a small inline script that does the same,
  // profile included.
  await gotoLight(other, '/');
  const light = other.getByTestId('theme-toggle');
  await expect(light).toHaveAttribute('data-theme', 'dark');
  await expect(light).toHaveAttribute('aria-label', 'Theme: dark. Change theme');
  await light.click(); // dark → system (light here)
  await expect(light).toHaveAttribute('data-theme', 'system');
  expect(await isDark(other)).toBe(false);
  await expect.poll(async () => (await other.request.get('/api/v1/users/me')).json()).toMatchObject({ theme: 'system' });
  await other.reload();
  await expect(other.getByTestId('theme-toggle')).toHaveAttribute('data-theme', 'system');
  await first.close();
  await second.close();
});

test('signed out, the toggle of a page without the app is kept in this browser', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await gotoLight(page, '/login');
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveAttribute('data-theme', 'system');
  await toggle.click(); // system → light
  await toggle.click(); // light → dark
  await expect(toggle).toHaveAttribute('data-theme', 'dark');
  expect(await isDark(page)).toBe(true);
  await gotoLight(page, '/register');
  expect(await isDark(page)).toBe(true);
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-theme', 'dark');
  await context.close();
});
