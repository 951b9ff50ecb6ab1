// A call forced through TURN: a second server started with --turn-only hands out coturn
// credentials (TURN REST scheme), and browsers may only use relay candidates.
import { test, expect } from '@playwright/test';
import { createMeeting, expectAudioFlowing, expectVideoPlaying, join, person, tileOf } from './call-fixtures';

const relayServer = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;

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
