// Helpers for the end-to-end tests: navigate and wait for hydration, make unique users.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** Goes to `url` and waits until the WASM app has hydrated the page. The test build's WASM is
 * ~9 MB unoptimised; a busy two-core machine can take well over the default wait to compile it. */
export async function gotoHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
}

/** Goes to one of the light pages (landing, sign-in, registration), which come without the
 * WASM app (app/src/light.rs), and checks that the browser fetched no WebAssembly. */
export async function gotoLight(page: Page, url: string) {
  await page.goto(url);
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((e) => e.name.includes('.wasm')).map((e) => e.name),
  );
  expect(wasm, `${url} loads no WebAssembly`).toEqual([]);
}

let counter = 0;
/** An email nobody registered yet in this server's lifetime. */
export function uniqueEmail(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${counter}@example.com`;
}

export const PASSWORD = 'correct-horse-battery';

/** Registers through the UI and lands on the dashboard. */
export async function registerViaUi(page: Page, name: string, email: string) {
  await gotoLight(page, '/register');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Your meetings' })).toBeVisible();
}

/** Serious and critical axe violations on the page as it is now, WCAG 2.1 A and AA. */
export async function seriousViolations(page: Page) {
  // label-content-name-mismatch (WCAG 2.5.3, Label in Name) is marked experimental in axe 4
  // and off unless named: a control whose name lacks its visible text fails voice control.
  // (`options` replaces what `withTags` set: it comes first.)
  const results = await new AxeBuilder({ page })
    .options({ rules: { 'label-content-name-mismatch': { enabled: true } } })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

