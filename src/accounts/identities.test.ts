import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafetyIds } from '../identity/safety-id.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/types.js';
import { Identities } from './identities.js';
import { generateMasterKey, parseMasterKey, SecretBox } from './secret-box.js';

let dir: string;
let store: Store;
let now: number;
const safetyIds = new SafetyIds(Buffer.from('x'.repeat(43)), 'default');
const k1 = parseMasterKey(generateMasterKey());

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-ids-'));
  store = await openStore({ dataDir: dir });
  now = 1_000;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Identities', () => {
  it('maps a safety id back to the user id, which is stored only encrypted', async () => {
    const ids = new Identities({ repo: store.identities, box: new SecretBox([k1]), safetyIds, now: () => now });
    const sid = ids.safetyIdOf('alice@example.com');
    expect(sid).toBe(safetyIds.derive('alice@example.com'));
    await ids.remember({ safetyId: sid, rawUserId: 'alice@example.com', source: 'header', keyId: 'key_1' });
    expect(await ids.lookup(sid)).toMatchObject({ rawUserId: 'alice@example.com', source: 'header', keyId: 'key_1', firstSeen: 1000 });
    expect(JSON.stringify(await store.identities.get(sid))).not.toContain('alice');
    expect(await ids.lookup('unknown')).toBeUndefined();
  });

  it('writes at most once per refresh interval per identity', async () => {
    const ids = new Identities({ repo: store.identities, box: new SecretBox([k1]), safetyIds, now: () => now, refreshMs: 100 });
    await ids.remember({ safetyId: 's', rawUserId: 'u', source: 'header', keyId: 'key_1' });
    now += 50;
    await ids.remember({ safetyId: 's', rawUserId: 'u', source: 'body', keyId: 'key_2' });
    expect((await store.identities.get('s'))?.keyId).toBe('key_1');
    now += 100;
    await ids.remember({ safetyId: 's', rawUserId: 'u', source: 'body', keyId: 'key_2' });
    expect(await store.identities.get('s')).toMatchObject({ keyId: 'key_2', lastSeen: 1150, firstSeen: 1000 });
  });

  it('re-encrypts under a new master key, and a ciphertext moved to another row does not decrypt', async () => {
    const old = new Identities({ repo: store.identities, box: new SecretBox([k1]), safetyIds });
    await old.remember({ safetyId: 'a', rawUserId: 'user-a', source: 'header', keyId: null });
    await old.remember({ safetyId: 'b', rawUserId: 'user-b', source: 'header', keyId: null });
    const k2 = parseMasterKey(generateMasterKey());
    const rotated = new Identities({ repo: store.identities, box: new SecretBox([k2, k1]), safetyIds });
    expect(await rotated.reencrypt()).toBe(2);
    expect(await rotated.reencrypt()).toBe(0);
    const onlyNew = new Identities({ repo: store.identities, box: new SecretBox([k2]), safetyIds });
    expect((await onlyNew.lookup('b'))?.rawUserId).toBe('user-b');
    await store.identities.setCipher('b', (await store.identities.get('a'))!.userCipher);
    await expect(onlyNew.lookup('b')).rejects.toThrow(/authentication/);
  });
});
