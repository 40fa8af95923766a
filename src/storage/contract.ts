/**
 * The behaviour every `Store` implementation must show. Each implementation's
 * test file calls `runStorageContract` with a factory for fresh, empty,
 * migrated stores; the suite closes every store it is given.
 *
 * @example
 * runStorageContract('sqlite', async () => {
 *   const dataDir = await mkdtemp(join(tmpdir(), 'sg-'));
 *   return { store: await openStore({ dataDir }), reopen: () => openStore({ dataDir }) };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../pipeline/types.js';
import type { ApiKeyRecord, AuditRecord, Store } from './types.js';

export interface ContractTarget {
  /** A fresh, migrated store holding no data, isolated from every other target. */
  store: Store;
  /** Opens a new store over the same data; called only after `store` is closed. */
  reopen?: () => Promise<Store>;
}

const T0 = Date.UTC(2025, 0, 1);

export function sampleKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = overrides.id ?? `key_${Math.random().toString(36).slice(2, 14)}`;
  return {
    id,
    name: 'test key',
    hash: `${id}-hash`.padEnd(64, '0'),
    prefix: 'sg_AbCd1234',
    policy: null,
    scopes: {},
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    lastUsedAddr: null,
    ...overrides,
  };
}

const CHECKS: CheckResult[] = [
  {
    checkId: 'moderation',
    stage: 'input',
    status: 'ok',
    decision: 'flag',
    shadow: false,
    reasons: ['harassment', 'naïve “quotes” ✓'],
    scores: { harassment: 0.91, 'self-harm/intent': 0.0001, count: 3 },
    latencyMs: 12.5,
  },
  {
    checkId: 'pii',
    stage: 'output',
    status: 'error',
    decision: 'block',
    shadow: true,
    reasons: [],
    latencyMs: 2000,
    error: 'timed out',
  },
];

export function sampleAudit(i: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    requestId: `req_${String(i).padStart(6, '0')}`,
    time: T0 + i * 1000,
    keyId: i % 2 === 0 ? 'key_even' : 'key_odd',
    safetyId: i % 3 === 0 ? 'sid_three' : null,
    endpoint: '/v1/chat/completions',
    model: 'gpt-test',
    policy: null,
    status: 200,
    outcome: i % 5 === 0 ? 'block' : 'allow',
    blockedBy: i % 5 === 0 ? 'moderation' : null,
    checks: CHECKS,
    promptTokens: 10 + i,
    completionTokens: null,
    latencyMs: 33.25,
    upstreamLatencyMs: null,
    stream: i % 2 === 1,
    errorCode: null,
    content: null,
    contentExpiresAt: null,
    ...overrides,
  };
}

export function runStorageContract(name: string, makeStore: () => Promise<ContractTarget>): void {
  describe(`storage contract: ${name}`, () => {
    let target: ContractTarget;
    let store: Store;
    const open: Store[] = [];

    beforeEach(async () => {
      target = await makeStore();
      store = target.store;
      open.push(store);
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    async function closeAndReopen(): Promise<Store> {
      if (!target.reopen) throw new Error('reopen not supported');
      await Promise.all(open.splice(0).map((s) => s.close()));
      store = await target.reopen();
      open.push(store);
      return store;
    }

    describe('keys', () => {
      it('creates and finds a key by hash and by id', async () => {
        const key = sampleKey({
          policy: 'strict',
          scopes: { models: ['a', 'b'], limits: { rpm: 60, nested: { deep: true } } },
          expiresAt: T0 + 86_400_000,
        });
        await store.keys.create(key);
        expect(await store.keys.findByHash(key.hash)).toEqual(key);
        expect(await store.keys.get(key.id)).toEqual(key);
      });

      it('returns undefined for unknown hashes and ids', async () => {
        expect(await store.keys.findByHash('f'.repeat(64))).toBeUndefined();
        expect(await store.keys.get('key_missing')).toBeUndefined();
      });

      it('rejects a duplicate hash or id', async () => {
        const key = sampleKey();
        await store.keys.create(key);
        await expect(store.keys.create(sampleKey({ hash: key.hash }))).rejects.toThrow();
        await expect(store.keys.create(sampleKey({ id: key.id, hash: 'e'.repeat(64) }))).rejects.toThrow();
      });

      it('revokes idempotently, keeping the first revocation time', async () => {
        const key = sampleKey();
        await store.keys.create(key);
        expect(await store.keys.revoke(key.id, T0 + 5)).toBe(true);
        expect(await store.keys.revoke(key.id, T0 + 9)).toBe(true);
        expect((await store.keys.get(key.id))?.revokedAt).toBe(T0 + 5);
        expect(await store.keys.revoke('key_missing', T0)).toBe(false);
      });

      it('touches lastUsedAt and lastUsedAddr without moving backwards', async () => {
        const key = sampleKey();
        await store.keys.create(key);
        await store.keys.touch(key.id, T0 + 100, '10.0.0.1');
        expect(await store.keys.get(key.id)).toMatchObject({ lastUsedAt: T0 + 100, lastUsedAddr: '10.0.0.1' });
        await store.keys.touch(key.id, T0 + 50, '10.0.0.2');
        expect(await store.keys.get(key.id)).toMatchObject({ lastUsedAt: T0 + 100, lastUsedAddr: '10.0.0.1' });
        await store.keys.touch(key.id, T0 + 200, null);
        expect(await store.keys.get(key.id)).toMatchObject({ lastUsedAt: T0 + 200, lastUsedAddr: null });
        await expect(store.keys.touch('key_missing', T0, null)).resolves.toBeUndefined();
      });

      it('lists every key, revoked ones included, oldest first', async () => {
        const b = sampleKey({ id: 'key_b', createdAt: T0 + 2 });
        const a = sampleKey({ id: 'key_a', createdAt: T0 + 1 });
        const c = sampleKey({ id: 'key_c', createdAt: T0 + 3 });
        for (const k of [b, c, a]) await store.keys.create(k);
        await store.keys.revoke('key_c', T0 + 10);
        const listed = await store.keys.list();
        expect(listed.map((k) => k.id)).toEqual(['key_a', 'key_b', 'key_c']);
        expect(listed[2]?.revokedAt).toBe(T0 + 10);
      });

      it('sets and clears the expiry', async () => {
        const key = sampleKey();
        await store.keys.create(key);
        await store.keys.setExpiry(key.id, T0 + 42);
        expect((await store.keys.get(key.id))?.expiresAt).toBe(T0 + 42);
        await store.keys.setExpiry(key.id, null);
        expect((await store.keys.get(key.id))?.expiresAt).toBeNull();
      });
    });

    describe('audit', () => {
      it('inserts hundreds of records in one call and reads them back exactly', async () => {
        const records = Array.from({ length: 750 }, (_, i) => sampleAudit(i));
        await store.audit.insertMany(records);
        for (const i of [0, 1, 199, 200, 401, 749]) {
          expect(await store.audit.get(records[i]!.requestId)).toEqual(records[i]);
        }
        expect(await store.audit.query({ limit: 1000 })).toHaveLength(750);
      });

      it('accepts an empty batch', async () => {
        await expect(store.audit.insertMany([])).resolves.toBeUndefined();
      });

      it('round-trips checks with nested scores, content and every nullable field', async () => {
        const full = sampleAudit(1, {
          keyId: null,
          safetyId: 'sid_x',
          model: null,
          policy: 'default',
          status: 400,
          outcome: 'error',
          errorCode: 'CONTENT_BLOCKED',
          promptTokens: 0,
          completionTokens: 17,
          latencyMs: 0.125,
          upstreamLatencyMs: 101.5,
          stream: true,
          content: {
            input: [{ role: 'user', content: [{ type: 'text', text: 'héllo 👋 "quoted" \\ back' }] }],
            output: 'línea\nnueva',
          },
          contentExpiresAt: T0 + 3_600_000,
        });
        const bare = sampleAudit(2, { stream: false, checks: [] });
        await store.audit.insertMany([full, bare]);
        expect(await store.audit.get(full.requestId)).toEqual(full);
        expect(await store.audit.get(bare.requestId)).toEqual(bare);
      });

      it('returns undefined for an unknown request id', async () => {
        expect(await store.audit.get('req_missing')).toBeUndefined();
      });

      it('skips records whose request id is already stored', async () => {
        const first = sampleAudit(1);
        await store.audit.insertMany([first]);
        await store.audit.insertMany([{ ...first, outcome: 'block' }, sampleAudit(2)]);
        expect((await store.audit.get(first.requestId))?.outcome).toBe(first.outcome);
        expect(await store.audit.get(sampleAudit(2).requestId)).toBeDefined();
      });

      it('writes a batch all or nothing', async () => {
        const broken = { ...sampleAudit(3), endpoint: null } as unknown as AuditRecord;
        await expect(store.audit.insertMany([sampleAudit(1), sampleAudit(2), broken])).rejects.toThrow();
        expect(await store.audit.get(sampleAudit(1).requestId)).toBeUndefined();
      });

      describe('query', () => {
        const records = Array.from({ length: 30 }, (_, i) => sampleAudit(i));
        const ids = (rs: AuditRecord[]) => rs.map((r) => r.requestId);
        const expected = (pred: (r: AuditRecord) => boolean) =>
          ids(records.filter(pred).sort((a, b) => b.time - a.time));

        beforeEach(async () => {
          await store.audit.insertMany(records);
        });

        it('returns newest first', async () => {
          expect(ids(await store.audit.query({}))).toEqual(expected(() => true));
        });

        it('filters by time: since inclusive, until exclusive', async () => {
          const since = records[10]!.time;
          const until = records[20]!.time;
          expect(ids(await store.audit.query({ since, until }))).toEqual(
            expected((r) => r.time >= since && r.time < until),
          );
        });

        it('filters by key, safety id and outcome, combined with AND', async () => {
          expect(ids(await store.audit.query({ keyId: 'key_even' }))).toEqual(expected((r) => r.keyId === 'key_even'));
          expect(ids(await store.audit.query({ safetyId: 'sid_three' }))).toEqual(
            expected((r) => r.safetyId === 'sid_three'),
          );
          expect(ids(await store.audit.query({ outcome: 'block' }))).toEqual(expected((r) => r.outcome === 'block'));
          expect(ids(await store.audit.query({ keyId: 'key_even', outcome: 'block', since: records[5]!.time }))).toEqual(
            expected((r) => r.keyId === 'key_even' && r.outcome === 'block' && r.time >= records[5]!.time),
          );
          expect(await store.audit.query({ keyId: 'key_none' })).toEqual([]);
        });

        it('applies the limit to the newest records', async () => {
          expect(ids(await store.audit.query({ limit: 3 }))).toEqual(expected(() => true).slice(0, 3));
          expect(await store.audit.query({ limit: 0 })).toEqual([]);
        });

        it('orders records with equal times by request id, descending', async () => {
          const same = [sampleAudit(100, { time: T0 }), sampleAudit(101, { time: T0 })];
          await store.audit.insertMany(same);
          const result = await store.audit.query({ until: T0 + 1 });
          expect(ids(result)).toEqual([same[1]!.requestId, same[0]!.requestId, records[0]!.requestId]);
        });
      });

      it('defaults the limit to 100 and caps it at 1000', async () => {
        await store.audit.insertMany(Array.from({ length: 1100 }, (_, i) => sampleAudit(i)));
        expect(await store.audit.query({})).toHaveLength(100);
        expect(await store.audit.query({ limit: 5000 })).toHaveLength(1000);
      });

      it('purges content whose time has come and nothing else', async () => {
        const content = { input: 'prompt', output: 'answer' };
        const now = T0 + 10_000;
        const past = sampleAudit(1, { content, contentExpiresAt: now - 1 });
        const exact = sampleAudit(2, { content, contentExpiresAt: now });
        const future = sampleAudit(3, { content, contentExpiresAt: now + 1 });
        const none = sampleAudit(4);
        await store.audit.insertMany([past, exact, future, none]);

        expect(await store.audit.purgeExpiredContent(now)).toBe(2);
        expect(await store.audit.get(past.requestId)).toEqual({ ...past, content: null, contentExpiresAt: null });
        expect(await store.audit.get(exact.requestId)).toEqual({ ...exact, content: null, contentExpiresAt: null });
        expect(await store.audit.get(future.requestId)).toEqual(future);
        expect(await store.audit.get(none.requestId)).toEqual(none);
        expect(await store.audit.purgeExpiredContent(now)).toBe(0);
      });
    });

    describe('settings', () => {
      it('gets undefined for a missing key, then the value set, then the overwrite', async () => {
        expect(await store.settings.get('secret.fingerprint')).toBeUndefined();
        await store.settings.set('secret.fingerprint', 'abc');
        expect(await store.settings.get('secret.fingerprint')).toBe('abc');
        await store.settings.set('secret.fingerprint', 'ünïcode ✓');
        expect(await store.settings.get('secret.fingerprint')).toBe('ünïcode ✓');
        await store.settings.set('empty', '');
        expect(await store.settings.get('empty')).toBe('');
      });
    });

    describe('lifecycle', () => {
      it('names its dialect', () => {
        expect(['sqlite', 'postgres']).toContain(store.dialect);
      });

      it('migrates again, even concurrently, without harm', async () => {
        await store.settings.set('k', 'v');
        await Promise.all([store.migrate(), store.migrate()]);
        await store.migrate();
        expect(await store.settings.get('k')).toBe('v');
      });

      it('keeps data when the store is reopened', async (ctx) => {
        if (!target.reopen) return ctx.skip();
        const key = sampleKey();
        const record = sampleAudit(7, { content: { input: ['x'], output: null }, contentExpiresAt: T0 });
        await store.keys.create(key);
        await store.audit.insertMany([record]);
        await store.settings.set('k', 'v');

        const reopened = await closeAndReopen();
        expect(await reopened.keys.findByHash(key.hash)).toEqual(key);
        expect(await reopened.audit.get(record.requestId)).toEqual(record);
        expect(await reopened.settings.get('k')).toBe('v');
      });
    });
  });
}
