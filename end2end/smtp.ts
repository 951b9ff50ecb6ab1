// The SMTP server the main e2e app server mails through: Debian's python3-aiosmtpd on
// loopback, keeping what it receives in a Maildir that tests read.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { basePort } from './turn';

export const smtpPort = basePort + 381;
export const maildir = path.join(__dirname, '..', 'target', 'e2e-mail');
export const smtpPython = process.env.AIOSMTPD_PYTHON ?? '/usr/bin/python3';

/** Every message received so far, raw, oldest first. */
export async function received(): Promise<string[]> {
  const dir = path.join(maildir, 'new');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  return Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
}
