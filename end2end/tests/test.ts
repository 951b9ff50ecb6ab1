// The `test` every spec uses: Playwright's, with one automatic check. Every browser context a
// test opens (the `page`/`context` fixtures, `browser.newContext`, `browser.newPage`) reports
// Content-Security-Policy violations (console messages, and securitypolicyviolation events
// turned into console errors), and a test that saw one fails: the whole suite runs under the
// server's CSP, not only csp.spec.ts.
import { test as base, expect, type Browser, type BrowserContext } from '@playwright/test';

export { expect };
export type { Browser, BrowserContext, Locator, Page } from '@playwright/test';

const guarded = new WeakSet<BrowserContext>();

/** Makes `context` report CSP violations into `seen` (once per context). */
async function guard(context: BrowserContext, seen: string[]) {
  if (guarded.has(context)) return;
  guarded.add(context);
  context.on('console', (msg) => {
    if (/Content[- ]Security[- ]Policy/i.test(msg.text())) seen.push(`${msg.location().url}: ${msg.text()}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

/** Guards every context `browser` opens until the returned function undoes it. */
function guardBrowser(browser: Browser, seen: string[]): () => void {
  const newContext = browser.newContext;
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext.apply(browser, args);
    await guard(context, seen);
    return context;
  };
  // Browser.newPage opens its context through newContext, so it is covered too.
  return () => {
    browser.newContext = newContext;
  };
}

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ browser }, use) => {
      const seen: string[] = [];
      const undo = guardBrowser(browser, seen);
      try {
        await use(seen);
      } finally {
        undo();
      }
      expect(seen, 'Content-Security-Policy violations reported in the console').toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, cspViolations }, use) => {
    await guard(context, cspViolations);
    await use(context);
  },
});
