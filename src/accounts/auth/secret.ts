/**
 * The accounts secret: signs session cookies and the tokens in mailed links,
 * encrypts OAuth state, and keys the email pseudonyms in security events.
 * Taken from the configuration (SAFEGATE_AUTH_SECRET) when set; otherwise
 * generated once into `<dataDir>/auth.secret` (mode 0600) and reused. Replicas
 * sharing a database must share it, so they need it configured.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const AUTH_SECRET_FILE = 'auth.secret';

export function loadOrCreateAuthSecret(dataDir: string, configured?: string): { secret: string; source: 'config' | 'file' | 'generated' } {
  if (configured) return { secret: configured, source: 'config' };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, AUTH_SECRET_FILE);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length < 43) throw new Error(`${file} is too short to be an accounts secret; delete it to generate a new one (this signs everyone out)`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secret: text, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateAuthSecret(dataDir);
    throw err;
  }
  return { secret, source: 'generated' };
}
