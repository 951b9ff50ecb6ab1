// Firefox (Debian's firefox-esr, over WebDriver BiDi: see ../firefox.ts) in an SFU call with
// two Chromiums (its RTX and codec signalling differ from Chromium's, and everyone must still
// see and hear everyone), and in a two-person peer-to-peer call with Chromium: pre-join,
// media both ways, mute state both ways, screen share (Firefox on an Xvfb display).
import { test, expect } from './test';
import { Firefox } from '../firefox';
import {
  connections, createMeeting, expectAudioFlowing, expectVideoPlaying, join, person, tileOf, trackPeerConnections,
} from './call-fixtures';

test.describe.configure({ timeout: 150_000 });

const tileSelector = (name: string) => `[data-testid="tile"][data-name="${name}"][data-screen="false"]`;
/**
 * In Firefox's page: frames painted on the named participant's camera tile, or -1. (Firefox's
 * `getVideoPlaybackQuality()` says 0 for a MediaStream source, seen in ESR 140 while the video
 * played; `mozPaintedFrames` counts the frames it drew.)
 */
const framesOf = (name: string) =>
  `(document.querySelector('${tileSelector(name)} video')?.mozPaintedFrames ?? -1)`;
const audioBytesOf = (name: string) =>
  `Number(document.querySelector('${tileSelector(name)}')?.getAttribute('data-audio-bytes') ?? 0)`;

/** Firefox through the pre-join screen as the guest "Fox": the preview plays, the name field
 * and the join button work, and the room shows. */
async function joinAsFox(ff: Firefox, url: string) {
  await ff.goto(url);
  await ff.waitFor(`document.body.hasAttribute('data-hydrated')`, 'the page hydrated', 60_000);
  await ff.waitFor(`document.querySelector('[data-tile="tile-me"][data-camera-off="false"]')`, 'the camera preview plays');
  await ff.waitFor(`document.querySelector('[data-testid="toggle-mic"]') && document.querySelector('[data-testid="toggle-camera"]')`, 'the preview controls show');
  await ff.evaluate(`(() => {
    const input = document.querySelector('input[name="display_name"]');
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, 'Fox');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    [...document.querySelectorAll('button')].find((b) => b.textContent.includes('Join meeting')).click();
  })()`);
  await ff.waitFor(`document.querySelector('[data-testid="room"]')`, 'the room shows');
}

/** In Firefox's page: waits until `name`'s camera plays and keeps playing, and their audio keeps arriving. */
async function foxGetsMediaOf(ff: Firefox, name: string) {
  await ff.waitFor(`${framesOf(name)} > 0`, `${name}'s video plays in Firefox`);
  const frames = await ff.evaluate<number>(framesOf(name));
  await ff.waitFor(`${framesOf(name)} > ${frames + 5}`, `${name}'s video keeps playing in Firefox`);
  await ff.waitFor(`${audioBytesOf(name)} > 0`, `${name}'s audio reaches Firefox`);
  const bytes = await ff.evaluate<number>(audioBytesOf(name));
  await ff.waitFor(`${audioBytesOf(name)} > ${bytes}`, `${name}'s audio keeps reaching Firefox`, 15_000);
}

// On the server as `./scripts/run.sh` starts it (no media flags): Firefox pairs only with
// non-loopback candidates, so an SFU that advertised only 127.0.0.1 left it without media
// once the call moved to the SFU. Firefox joins second, so the call starts peer to peer and
// switches to the SFU when the third person comes, and back when they leave.
test('Chromium, Firefox, Chromium: the call moves to the SFU and back, and everyone sees and hears everyone', async ({ browser, baseURL }) => {
  const ff = await Firefox.launch();
  try {
    const chro = await person(browser, 'Chro');
    const mium = await person(browser, 'Mium');
    await trackPeerConnections(chro);
    const code = await createMeeting(chro, { title: 'Firefox through the SFU', allow_guests: true });
    await join(chro, code);

    // Fox joins as a guest through the same pre-join screen: two people, peer to peer.
    await joinAsFox(ff, `${baseURL}/meeting/${code}`);
    await expectVideoPlaying(tileOf(chro.page, 'Fox'));
    expect(await connections(chro.page)).toEqual({ sfu: 0, p2p: 1 });

    // A third person: everyone moves to the SFU.
    await join(mium, code);
    await expect.poll(() => connections(chro.page), { timeout: 25_000 }).toEqual({ sfu: 1, p2p: 0 });
    // Chro's link to Fox is closed now: whatever reaches Fox from Chro, and Mium (who never
    // had a peer-to-peer link), comes through the SFU.
    // Chromium receives Firefox's video and audio through the SFU...
    for (const viewer of [chro, mium]) {
      await expectVideoPlaying(tileOf(viewer.page, 'Fox'));
      await expectAudioFlowing(tileOf(viewer.page, 'Fox'));
    }
    // ...and Firefox receives both Chromiums' (frames and audio bytes keep growing).
    for (const name of ['Chro', 'Mium']) await foxGetsMediaOf(ff, name);
    // The Chromiums still see each other.
    await expectVideoPlaying(tileOf(chro.page, 'Mium'));
    expect(await ff.evaluate<number>(`document.querySelectorAll('[data-testid="tile"][data-screen="false"]').length`)).toBe(3);

    // The third person leaves: back to peer to peer, and media still flows both ways.
    await mium.context.close();
    await expect.poll(() => connections(chro.page), { timeout: 30_000 }).toEqual({ sfu: 0, p2p: 1 });
    await expectVideoPlaying(tileOf(chro.page, 'Fox'));
    await foxGetsMediaOf(ff, 'Chro');
    await chro.context.close();
  } finally {
    await ff.close();
  }
});

test('Chromium and Firefox in a two-person call (peer-to-peer): video and audio both ways, mute seen both ways, Firefox shares its screen, pre-join in Firefox', async ({ browser, baseURL }) => {
  // On a virtual display: headless Firefox has no screen to share.
  const ff = await Firefox.launch({ screen: true });
  try {
    const chro = await person(browser, 'Chro');
    await trackPeerConnections(chro);
    const code = await createMeeting(chro, { title: 'Firefox peer to peer', allow_guests: true });
    await join(chro, code);

    // Firefox's pre-join: the preview plays, the name field and the join button work.
    await joinAsFox(ff, `${baseURL}/meeting/${code}`);

    // Two people: a direct connection, media both ways.
    await expectVideoPlaying(tileOf(chro.page, 'Fox'));
    expect(await connections(chro.page)).toEqual({ sfu: 0, p2p: 1 });
    await expectAudioFlowing(tileOf(chro.page, 'Fox'));
    await ff.waitFor(`${framesOf('Chro')} > 0`, "Chro's video plays in Firefox");
    const frames = await ff.evaluate<number>(framesOf('Chro'));
    await ff.waitFor(`${framesOf('Chro')} > ${frames + 5}`, "Chro's video keeps playing in Firefox");
    await ff.waitFor(`${audioBytesOf('Chro')} > 0`, "Chro's audio reaches Firefox");

    // Mute from Firefox shows in Chromium, and from Chromium in Firefox.
    await ff.evaluate(`document.querySelector('[data-testid="toggle-mic"]').click()`);
    await expect(tileOf(chro.page, 'Fox')).toHaveAttribute('data-muted', 'true');
    await chro.page.getByTestId('toggle-mic').click();
    await ff.waitFor(
      `document.querySelector('${tileSelector('Chro')}')?.getAttribute('data-muted') === 'true'`,
      "Chro's mute shows in Firefox",
    );

    // Firefox shares its screen: Chromium gets it as a separate tile that plays, and it goes
    // when the share stops.
    await ff.click('[data-testid="toggle-screen"]');
    await ff.waitFor(
      `document.querySelector('[data-testid="toggle-screen"]')?.getAttribute('aria-label') === 'Stop sharing screen'`,
      'Firefox is sharing',
    );
    const screenOnChro = tileOf(chro.page, 'Fox', true);
    await expectVideoPlaying(screenOnChro);
    await ff.evaluate(`document.querySelector('[data-testid="toggle-screen"]').click()`);
    await expect(screenOnChro).toHaveCount(0);
    await chro.context.close();
  } finally {
    await ff.close();
  }
});
