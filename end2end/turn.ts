// The TURN setup shared by the Playwright config (a coturn for the whole run) and
// relay.spec.ts (a coturn a test can kill and start again). Both are Debian's coturn on
// 127.0.0.1 with the TURN REST shared secret the app servers are given.
import path from 'node:path';

export const basePort = Number(process.env.E2E_PORT ?? 3100);
export const turnSecret = 'e2e-turn-secret';
export const turnserver = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/** The coturn for the whole run, and the one relay.spec.ts stops and starts. */
export const turnPorts = { shared: basePort + 379, killable: basePort + 380 };

/** coturn's arguments for `port`, relaying on its own range of UDP ports. */
export function coturnArgs(port: number, relayPorts: [number, number]): string[] {
  return [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--use-auth-secret', `--static-auth-secret=${turnSecret}`, '--realm=video-meet.test',
    '--no-cli', '--no-tls', '--no-dtls', '--allow-loopback-peers', '--fingerprint',
    `--min-port=${relayPorts[0]}`, `--max-port=${relayPorts[1]}`, '--log-file=stdout', '--simple-log',
    // Two coturns in one run need their own pid files.
    `--pidfile=${path.join(__dirname, '..', 'target', `turnserver-${port}.pid`)}`,
  ];
}
