// The `test` every spec uses: Playwright's, with one automatic check. Every browser context a
// test opens (the `page`/`context` fixtures, `browser.newContext`, `browser.newPage`) reports
// what must never happen on a page, and a test that saw any of it fails:
// - a Content-Security-Policy violation (console messages, and securitypolicyviolation
//   events turned into console errors): the whole suite runs under the server's CSP, not only
//   csp.spec.ts;
// - a panic of the WebAssembly app ("panicked at" on the console): the app is broken from
//   then on, though a test that does not look at the broken part would still pass.
import { test as base, expect, type Browser, type BrowserContext } from '@playwright/test';

export { expect };
export type { Browser, BrowserContext, Locator, Page } from '@playwright/test';

const guarded = new WeakSet<BrowserContext>();

/** Makes `context` report CSP violations and app panics into `seen` (once per context). */
async function guard(context: BrowserContext, seen: string[]) {
  if (guarded.has(context)) return;
  guarded.add(context);
  context.on('console', (msg) => {
    const text = msg.text();
    const problem = /Content[- ]Security[- ]Policy/i.test(text) || (msg.type() === 'error' && /panicked at/.test(text));
    if (problem) seen.push(`${msg.location().url}: ${text.slice(0, 400)}`);
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

export const test = base.extend<{ pageProblems: string[] }>({
  pageProblems: [
    async ({ browser }, use) => {
      const seen: string[] = [];
      const undo = guardBrowser(browser, seen);
      try {
        await use(seen);
      } finally {
        undo();
      }
      expect(seen, 'CSP violations or app panics reported in the console').toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, pageProblems }, use) => {
    await guard(context, pageProblems);
    await use(context);
  },
});
