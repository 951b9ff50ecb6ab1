// Debian's firefox-esr, driven over WebDriver BiDi with a minimal client. Playwright's own
// Firefox is a patched build it downloads (not reachable here), and its BiDi mode needs
// commands ESR 140 does not have yet; these few BiDi commands are all the tests need.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/** Headless Firefox has no screen to capture: screen-share tests run it on an Xvfb display. */
export const xvfbPath = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

const prefs: Record<string, string | number | boolean> = {
  // Fake camera and microphone, no permission prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // No network beyond this machine.
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'extensions.update.enabled': false,
  'remote.prefs.recommended': true,
};

/** BiDi serializes results as `{type, value}`; primitives are all the tests read. */
type Remote = { type: string; value?: unknown };

export class Firefox {
  private next = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private constructor(
    private proc: ChildProcess,
    private ws: WebSocket,
    private profile: string,
    public context: string,
    private xvfb?: ChildProcess,
  ) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      const waiter = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.type === 'error') waiter.reject(new Error(`${msg.error}: ${msg.message}`));
      else waiter.resolve(msg.result);
    });
  }

  /** `screen`: on its own virtual display (Xvfb), so `getDisplayMedia` has a screen. */
  static async launch(opts: { screen?: boolean } = {}): Promise<Firefox> {
    let xvfb: ChildProcess | undefined;
    let display: string | undefined;
    if (opts.screen) {
      display = `:${100 + Math.floor(Math.random() * 800)}`;
      xvfb = spawn(xvfbPath, [display, '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
      const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
      for (let i = 0; !existsSync(socket); i++) {
        if (i > 100) throw new Error(`Xvfb did not start on ${display}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const profile = mkdtempSync(path.join(tmpdir(), 'vm-firefox-'));
    writeFileSync(
      path.join(profile, 'user.js'),
      Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n'),
    );
    const proc = spawn(firefoxPath, [...(display ? [] : ['--headless']), '--remote-debugging-port=0', '--profile', profile, '--no-remote'], {
      env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1', ...(display ? { DISPLAY: display } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Firefox did not start its BiDi server')), 60_000);
      let log = '';
      proc.stderr!.on('data', (chunk) => {
        log += String(chunk);
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.on('exit', (code) => reject(new Error(`Firefox exited (${code}): ${log}`)));
    });
    const ws = new WebSocket(`${url}/session`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const ff = new Firefox(proc, ws, profile, '', xvfb);
    await ff.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
    const tree = await ff.send('browsingContext.getTree', {});
    ff.context = tree.contexts[0].context;
    return ff;
  }

  send(method: string, params: object): Promise<any> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async goto(url: string) {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** Evaluates `expression` (awaiting a promise) in the page; returns a primitive result. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const out = await this.send('script.evaluate', {
      expression,
      target: { context: this.context },
      awaitPromise: true,
      userActivation: true,
    });
    if (out.type === 'exception') throw new Error(`in Firefox: ${out.exceptionDetails?.text}`);
    return (out.result as Remote).value as T;
  }

  /**
   * A real mouse click on `selector`'s centre: a user gesture, which `getDisplayMedia` needs
   * (`element.click()` from a script, even one evaluated with `userActivation`, was refused
   * with InvalidStateError in the room).
   */
  async click(selector: string) {
    const [x, y] = await this.evaluate<number[]>(`(() => {
      const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
      return [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)];
    })()`).then((v) => (v as unknown as Remote[]).map((n) => Number(n.value)));
    await this.send('input.performActions', {
      context: this.context,
      actions: [{
        type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
        actions: [
          { type: 'pointerMove', x, y },
          { type: 'pointerDown', button: 0 },
          { type: 'pointerUp', button: 0 },
        ],
      }],
    });
  }

  /** Polls `expression` until it is truthy. */
  async waitFor(expression: string, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.evaluate<boolean>(`!!(${expression})`)) return;
      if (Date.now() > deadline) throw new Error(`Firefox: timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close() {
    try {
      await Promise.race([this.send('browser.close', {}), new Promise((r) => setTimeout(r, 3000))]);
    } catch {}
    this.ws.close();
    this.proc.kill('SIGKILL');
    this.xvfb?.kill('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true });
  }
}
