/**
 * A random secret kept in a file of the data directory: read when present
 * (permissions tightened to 0600 if someone loosened them), otherwise
 * generated (32 random bytes, base64url) and written with mode 0600. Two
 * processes starting at once agree on one secret: the file is created
 * exclusively and the loser reads the winner's.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadOrCreateSecretFile(dataDir: string, fileName: string, what: string): { secret: string; source: 'file' | 'generated' } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, fileName);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length < 43) throw new Error(`${file} is too short to be ${what}; delete it to generate a new one`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secret: text, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecretFile(dataDir, fileName, what);
    throw err;
  }
  return { secret, source: 'generated' };
}
