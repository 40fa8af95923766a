/**
 * Master-key rotation: every secret encrypted at rest (upstream keys, the
 * user ids behind safety identifiers) is re-encrypted under the keyring's
 * current key. Old ciphertexts stay readable throughout, because the keyring
 * keeps the old key until `retire`.
 *
 * Gateways that are running keep the upstream keys they hold in memory, so
 * re-encrypting under a key they have not loaded yet fails no request; they
 * load the new keyring on their next start.
 */
import type { SafetyIds } from '../identity/safety-id.js';
import type { Store } from '../storage/types.js';
import { Identities } from './identities.js';
import { SecretBox, type MasterKey } from './secret-box.js';
import { UpstreamKeys } from './upstream-keys.js';

export interface ReencryptResult {
  kid: string;
  identities: number;
  upstreamKeys: number;
}

/** Re-encrypts everything not yet under `keys[0]`. Idempotent; safe to run again after an interruption. */
export async function reencryptAll(store: Store, keys: readonly MasterKey[], safetyIds: SafetyIds): Promise<ReencryptResult> {
  const box = new SecretBox(keys);
  const identities = await new Identities({ repo: store.identities, box, safetyIds }).reencrypt();
  const upstreamKeys = await new UpstreamKeys({ repo: store.upstreamKeys, box, events: store.securityEvents, refreshMs: 0 }).reencrypt();
  await store.securityEvents.record({ type: 'master_key.reencrypted', actor: 'cli', subject: box.currentKid, addr: null, details: { identities, upstreamKeys } });
  return { kid: box.currentKid, identities, upstreamKeys };
}
