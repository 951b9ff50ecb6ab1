// Calls forced through TURN: servers started with --turn-only hand out coturn credentials
// (TURN REST scheme), and browsers may only use relay candidates.
import { test, expect } from './test';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createMeeting, expectAudioFlowing, expectVideoPlaying, join, person, tileOf } from './call-fixtures';
import { basePort, coturnArgs, turnPorts, turnserver } from '../turn';

const relayServer = `http://127.0.0.1:${basePort + 1}`;

test('a relay-only call through coturn works', async ({ browser }) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'Rita', { baseURL: relayServer });
  const bob = await person(browser, 'Rob', { baseURL: relayServer });
  const code = await createMeeting(alice, { title: 'Through TURN' });

  const ticket = await alice.context.request.post(`/api/v1/meetings/${code}/join`, { data: {} });
  const body = await ticket.json();
  expect(body.relay_only).toBe(true);
  expect(body.ice_servers[0].urls[0]).toMatch(/^turn:/);
  expect(body.ice_servers[0].username).toMatch(/^\d+:/);

  await join(alice, code);
  await join(bob, code);
  const robOnRita = tileOf(alice.page, 'Rob');
  await expectVideoPlaying(robOnRita);
  await expectVideoPlaying(tileOf(bob.page, 'Rita'));
  await expectAudioFlowing(robOnRita);
  await expect(robOnRita).toHaveAttribute('data-relayed', 'true');
  await alice.context.close();
  await bob.context.close();
});

test('a call through TURN comes back by itself after the TURN server was down', async ({ browser }) => {
  test.setTimeout(150_000);
  const server = `http://127.0.0.1:${basePort + 2}`;
  const coturn = new Coturn(turnPorts.killable);
  await coturn.start();
  try {
    const alice = await person(browser, 'Tia', { baseURL: server });
    const bob = await person(browser, 'Tom', { baseURL: server });
    const code = await createMeeting(alice, { title: 'TURN hiccup' });
    await join(alice, code);
    await join(bob, code);
    const tomOnTia = tileOf(alice.page, 'Tom');
    await expectVideoPlaying(tomOnTia);
    await expect(tomOnTia).toHaveAttribute('data-relayed', 'true');

    // The only path between them goes away: both sides show it and keep trying.
    await coturn.stop();
    await expect(tomOnTia).toHaveAttribute('data-reconnecting', 'true', { timeout: 20_000 });
    await expect(tileOf(bob.page, 'Tia')).toHaveAttribute('data-reconnecting', 'true', { timeout: 20_000 });
    // Longer than one restart attempt takes to fail.
    await alice.page.waitForTimeout(8_000);

    // The path is back: a later restart finds it, without anyone touching anything.
    await coturn.start();
    await expect(tomOnTia).toHaveAttribute('data-reconnecting', 'false', { timeout: 45_000 });
    await expectVideoPlaying(tomOnTia);
    await expectVideoPlaying(tileOf(bob.page, 'Tia'));
    await expect(tomOnTia).toHaveAttribute('data-relayed', 'true');
    await alice.context.close();
    await bob.context.close();
  } finally {
    await coturn.stop();
  }
});

/** A coturn this test owns: started, killed (as a crash would), started again. */
class Coturn {
  private proc?: ChildProcess;
  constructor(private port: number) {}

  async start() {
    this.proc = spawn(turnserver, coturnArgs(this.port, [49401, 49600]), { stdio: 'ignore' });
    // Ready once it accepts TCP on its listening port.
    await expect.poll(() => new Promise<boolean>((resolve) => {
      const socket = connect(this.port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    }), { timeout: 10_000 }).toBe(true);
  }

  async stop() {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}
