/**
 * The HMAC secret behind safety identifiers. Taken from the configuration
 * (environment) when set; otherwise generated once into `<dataDir>/identity.secret`
 * with mode 0600 and reused on every start, so identifiers stay stable.
 * Anyone holding it can link identifiers back to the user ids apps passed.
 */
import { loadOrCreateSecretFile } from '../shared/secret-file.js';

export const IDENTITY_SECRET_FILE = 'identity.secret';

export function loadOrCreateIdentitySecret(dataDir: string, configured?: string): { secret: Buffer; source: 'config' | 'file' | 'generated' } {
  if (configured) return { secret: Buffer.from(configured, 'utf8'), source: 'config' };
  const { secret, source } = loadOrCreateSecretFile(dataDir, IDENTITY_SECRET_FILE, 'an identity secret');
  return { secret: Buffer.from(secret, 'utf8'), source };
}
