/**
 * The HMAC secret behind safety identifiers. Taken from the configuration
 * (environment) when set; otherwise generated once into `<dataDir>/identity.secret`
 * with mode 0600 and reused on every start, so identifiers stay stable.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const IDENTITY_SECRET_FILE = 'identity.secret';

export function loadOrCreateIdentitySecret(dataDir: string, configured?: string): { secret: Buffer; source: 'config' | 'file' | 'generated' } {
  if (configured) return { secret: Buffer.from(configured, 'utf8'), source: 'config' };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, IDENTITY_SECRET_FILE);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length < 43) throw new Error(`${file} is too short to be an identity secret; delete it to generate a new one`);
    // Tighten permissions if someone loosened them; the secret lets anyone link identifiers to users.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secret: Buffer.from(text, 'utf8'), source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created the file first; then read theirs.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateIdentitySecret(dataDir);
    throw err;
  }
  return { secret: Buffer.from(secret, 'utf8'), source: 'generated' };
}
