import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/types.js';
import { generateMasterKey, parseMasterKey, SecretBox } from './secret-box.js';
import { upstreamKeyHint, UpstreamKeys } from './upstream-keys.js';

let dir: string;
let store: Store;
let keys: UpstreamKeys;
const box = new SecretBox([parseMasterKey(generateMasterKey())]);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-upk-'));
  store = await openStore({ dataDir: dir });
  keys = new UpstreamKeys({ repo: store.upstreamKeys, box, events: store.securityEvents, refreshMs: 0 });
});
afterEach(async () => {
  keys.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('UpstreamKeys', () => {
  it('hints at a key without revealing it', () => {
    expect(upstreamKeyHint('sk-proj-abcdefghijklmnopqrstuvwxyz')).toBe('sk-proj-...wxyz');
    expect(upstreamKeyHint('sk-abcdefghijklmnopqrstuvwxyz0123')).toBe('sk-...0123');
    expect(upstreamKeyHint('short-key')).toBe('...');
  });

  it('stores keys encrypted and hands them out in turn, per upstream', async () => {
    await keys.add('main', 'sk-one-0000000000000000000001', 'test');
    await keys.add('main', 'sk-two-0000000000000000000002', 'test');
    await keys.add('other', 'sk-three-000000000000000000003', 'test');
    const p = keys.provider('main');
    const got = Array.from({ length: 4 }, () => {
      const lease = p.acquire()!;
      lease.release();
      return lease.key;
    });
    expect(new Set(got)).toEqual(new Set(['sk-one-0000000000000000000001', 'sk-two-0000000000000000000002']));
    expect(keys.provider('none').acquire()).toBeNull();
    expect(JSON.stringify(await store.upstreamKeys.list())).not.toContain('sk-one-0000000000000000000001');
    expect(keys.isUpstreamKey('sk-three-000000000000000000003')).toBe(true);
    expect(keys.isUpstreamKey('sk-three-000000000000000000004')).toBe(false);
    await expect(keys.add('main', 'sk-one-0000000000000000000001', 'test')).rejects.toThrow(/already stored/);
    await expect(keys.add('main', 'a b', 'test')).rejects.toThrow(/8 characters/);
  });

  it('rotates: the old key gets no new requests while draining, is revoked once its requests finish', async () => {
    const old = await keys.add('main', 'sk-old-00000000000000000000000', 'test');
    const p = keys.provider('main');
    const held = p.acquire()!;
    expect(held.key).toBe('sk-old-00000000000000000000000');
    let rotated = false;
    const rotation = keys.rotate(old.id, 'sk-new-00000000000000000000000', { actor: 'test', drainTimeoutMs: 5000 }).then((r) => {
      rotated = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(rotated).toBe(false);
    expect((await store.upstreamKeys.get(old.id))?.status).toBe('draining');
    for (let i = 0; i < 3; i++) {
      const lease = p.acquire()!;
      expect(lease.key).toBe('sk-new-00000000000000000000000');
      lease.release();
    }
    held.release();
    held.release();
    const added = await rotation;
    expect((await store.upstreamKeys.get(old.id))?.status).toBe('revoked');
    expect(keys.isUpstreamKey('sk-old-00000000000000000000000')).toBe(true);
    expect((await store.securityEvents.query({ type: 'upstream_key.rotated' }))[0]?.details).toMatchObject({ newId: added.id, stillInFlight: 0 });
    await expect(keys.rotate(old.id, 'sk-x-000000000000000', { actor: 'test' })).rejects.toThrow(/no active/);
  });
});
