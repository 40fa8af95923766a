/**
 * The accounts secret: signs session cookies and the tokens in mailed links,
 * encrypts OAuth state, and keys the email pseudonyms in security events.
 * Taken from the configuration (SAFEGATE_AUTH_SECRET) when set; otherwise
 * generated once into `<dataDir>/auth.secret` (mode 0600) and reused. Replicas
 * sharing a database must share it, so they need it configured. Replacing it
 * signs everyone out.
 */
import { loadOrCreateSecretFile } from '../../shared/secret-file.js';

export const AUTH_SECRET_FILE = 'auth.secret';

export function loadOrCreateAuthSecret(dataDir: string, configured?: string): { secret: string; source: 'config' | 'file' | 'generated' } {
  if (configured) return { secret: configured, source: 'config' };
  return loadOrCreateSecretFile(dataDir, AUTH_SECRET_FILE, 'an accounts secret');
}
