import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateGatewayKey, isGatewayKey } from '../shared/key-format.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/types.js';
import { GatewayKeys, hashGatewayKey, newKeyId } from './gateway-keys.js';

let root: string;
let n = 0;
let store: Store;
let now: number;
const clock = () => now;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safegate-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  now = Date.UTC(2025, 5, 1);
  store = await openStore({ dataDir: join(root, `s${++n}`) });
});
afterEach(async () => {
  await store.close();
});

/** Same shape, wrong checksum. */
function breakChecksum(key: string): string {
  const last = key.at(-1) === 'a' ? 'b' : 'a';
  return key.slice(0, -1) + last;
}

describe('GatewayKeys', () => {
  it('creates a key, storing only its hash and a display prefix', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    const created = await keys.create({ name: 'ci', policy: 'strict', scopes: { models: ['m'] }, expiresAt: now + 1000 });
    expect(isGatewayKey(created.key)).toBe(true);
    expect(created.id).toMatch(/^key_[a-z2-7]{16}$/);
    expect(created.record).toEqual({
      id: created.id,
      name: 'ci',
      hash: hashGatewayKey(created.key),
      prefix: created.key.slice(0, 11),
      policy: 'strict',
      scopes: { models: ['m'] },
      createdAt: now,
      expiresAt: now + 1000,
      revokedAt: null,
      lastUsedAt: null,
      lastUsedAddr: null,
    });
    expect(created.record.prefix).toMatch(/^sg_[0-9A-Za-z]{8}$/);
    expect(created.record.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.keys.get(created.id)).toEqual(created.record);
    expect(JSON.stringify(await store.keys.list())).not.toContain(created.key);
  });

  it('generates distinct ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newKeyId));
    expect(ids.size).toBe(1000);
  });

  it('verifies a valid key', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    const { key, record } = await keys.create({ name: 'a' });
    expect(await keys.verify(key)).toEqual({ ok: true, record });
  });

  it('refuses malformed keys without touching the database', async () => {
    const repo = { ...store.keys, findByHash: vi.fn(store.keys.findByHash) };
    const keys = new GatewayKeys({ repo, now: clock });
    const valid = generateGatewayKey();
    for (const bad of ['', 'sk-abc', 'sg_short', breakChecksum(valid), ` ${valid}`, valid.toLowerCase()]) {
      if (bad === valid) continue;
      expect(await keys.verify(bad)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(repo.findByHash).not.toHaveBeenCalled();
  });

  it('refuses an unknown well-formed key', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    expect(await keys.verify(generateGatewayKey())).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a key from its expiry time on', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    const { key } = await keys.create({ name: 'a', expiresAt: now + 10_000 });
    expect((await keys.verify(key)).ok).toBe(true);
    now += 9_999;
    expect((await keys.verify(key)).ok).toBe(true);
    now += 1;
    expect(await keys.verify(key)).toEqual({ ok: false, reason: 'expired' });
  });

  it('serves repeated verifications from the cache within the TTL', async () => {
    const repo = { ...store.keys, findByHash: vi.fn(store.keys.findByHash) };
    const keys = new GatewayKeys({ repo, now: clock, cacheTtlMs: 5_000 });
    const { key } = await keys.create({ name: 'a' });
    await keys.verify(key);
    now += 4_999;
    await keys.verify(key);
    expect(repo.findByHash).toHaveBeenCalledTimes(1);
    now += 1;
    await keys.verify(key);
    expect(repo.findByHash).toHaveBeenCalledTimes(2);
  });

  it('does not cache unknown keys, so a key created by another process works at once', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    const key = generateGatewayKey();
    expect(await keys.verify(key)).toEqual({ ok: false, reason: 'unknown' });
    await store.keys.create({
      id: newKeyId(),
      name: 'elsewhere',
      hash: hashGatewayKey(key),
      prefix: key.slice(0, 11),
      policy: null,
      scopes: {},
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      lastUsedAddr: null,
    });
    expect((await keys.verify(key)).ok).toBe(true);
  });

  it('refuses a revoked key on the very next request in this process', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock, cacheTtlMs: 60_000 });
    const { id, key } = await keys.create({ name: 'a' });
    expect((await keys.verify(key)).ok).toBe(true);
    expect(await keys.revoke(id)).toBe(true);
    expect(await keys.verify(key)).toEqual({ ok: false, reason: 'revoked' });
    expect(await keys.revoke(id)).toBe(true);
    expect(await keys.revoke('key_unknown')).toBe(false);
  });

  it('does not cache a lookup that overlapped a revocation', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const repo = {
      ...store.keys,
      findByHash: async (hash: string) => {
        const record = await store.keys.findByHash(hash);
        await gate;
        return record;
      },
    };
    const keys = new GatewayKeys({ repo, now: clock, cacheTtlMs: 60_000 });
    const { id, key } = await keys.create({ name: 'a' });
    const pending = keys.verify(key);
    await new Promise((r) => setTimeout(r, 10));
    await keys.revoke(id);
    release();
    expect((await pending).ok).toBe(true);
    expect(await keys.verify(key)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('lets another process see a revocation once the TTL has passed', async () => {
    const gateway = new GatewayKeys({ repo: store.keys, now: clock, cacheTtlMs: 5_000 });
    const cli = new GatewayKeys({ repo: store.keys, now: clock });
    const { id, key } = await cli.create({ name: 'a' });
    expect((await gateway.verify(key)).ok).toBe(true);
    await cli.revoke(id);
    expect((await gateway.verify(key)).ok).toBe(true);
    now += 5_000;
    expect(await gateway.verify(key)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('bounds the cache', async () => {
    const repo = { ...store.keys, findByHash: vi.fn(store.keys.findByHash) };
    const keys = new GatewayKeys({ repo, now: clock, cacheMaxEntries: 2 });
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await keys.create({ name: `k${i}` }));
    for (const c of created) await keys.verify(c.key);
    expect(repo.findByHash).toHaveBeenCalledTimes(3);
    await keys.verify(created[2]!.key);
    expect(repo.findByHash).toHaveBeenCalledTimes(3);
    await keys.verify(created[0]!.key);
    expect(repo.findByHash).toHaveBeenCalledTimes(4);
  });

  it('lists keys oldest first', async () => {
    const keys = new GatewayKeys({ repo: store.keys, now: clock });
    const a = await keys.create({ name: 'a' });
    now += 1;
    const b = await keys.create({ name: 'b' });
    expect((await keys.list()).map((r) => r.id)).toEqual([a.id, b.id]);
  });

  it('touches at most once per interval per key', async () => {
    const repo = { ...store.keys, touch: vi.fn(store.keys.touch) };
    const keys = new GatewayKeys({ repo, now: clock, touchIntervalMs: 60_000 });
    const { id } = await keys.create({ name: 'a' });
    await keys.touch(id, '10.0.0.1');
    now += 59_999;
    await keys.touch(id, '10.0.0.2');
    expect(repo.touch).toHaveBeenCalledTimes(1);
    expect(await store.keys.get(id)).toMatchObject({ lastUsedAt: now - 59_999, lastUsedAddr: '10.0.0.1' });
    now += 1;
    await keys.touch(id, '10.0.0.3');
    expect(await store.keys.get(id)).toMatchObject({ lastUsedAt: now, lastUsedAddr: '10.0.0.3' });
  });
});
