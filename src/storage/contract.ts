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
import type { ApiKeyRecord, AuditRecord, IdentityRecord, Store, UpstreamKeyRecord, UserStateRecord } from './types.js';

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

    describe('key owner', () => {
      it('stores the owner of a self-service key and leaves it out when there is none', async () => {
        const owned = sampleKey({ owner: 'acct_1' });
        const plain = sampleKey();
        await store.keys.create(owned);
        await store.keys.create(plain);
        expect(await store.keys.get(owned.id)).toEqual(owned);
        expect(await store.keys.get(plain.id)).toEqual(plain);
        expect((await store.keys.get(plain.id))?.owner).toBeUndefined();
      });
    });

    describe('security events', () => {
      it('fills in id and time, keeps what it is given, and reads details back', async () => {
        const before = Date.now();
        const event = await store.securityEvents.record({
          type: 'key.created',
          actor: 'cli',
          subject: 'key_a',
          addr: null,
          details: { name: 'ci ✓', scopes: { models: ['gpt-*'] } },
        });
        expect(event.id).toMatch(/^sev_[a-z2-7]{20}$/);
        expect(event.time).toBeGreaterThanOrEqual(before);
        expect(event.time).toBeLessThanOrEqual(Date.now());
        expect(await store.securityEvents.query({})).toEqual([event]);

        const given = await store.securityEvents.record({
          id: 'sev_given',
          time: T0,
          type: 'user.suspended',
          actor: null,
          subject: null,
          addr: '10.0.0.1',
          details: {},
        });
        expect(given).toMatchObject({ id: 'sev_given', time: T0 });
        expect(await store.securityEvents.query({ until: T0 + 1 })).toEqual([given]);
      });

      it('filters by time, type and subject, newest first, with a limit', async () => {
        const types = ['key.created', 'key.revoked', 'user.suspended'];
        for (let i = 0; i < 12; i++) {
          await store.securityEvents.record({
            id: `sev_${String(i).padStart(3, '0')}`,
            time: T0 + Math.floor(i / 2) * 1000,
            type: types[i % 3]!,
            actor: 'system',
            subject: i % 2 === 0 ? 'key_even' : 'key_odd',
            addr: null,
            details: { i },
          });
        }
        const ids = (events: Array<{ id: string }>) => events.map((e) => e.id);
        const all = await store.securityEvents.query({});
        // Equal times order by id, descending.
        expect(ids(all)).toEqual(Array.from({ length: 12 }, (_, i) => `sev_${String(11 - i).padStart(3, '0')}`));
        expect(ids(await store.securityEvents.query({ type: 'key.revoked' }))).toEqual(['sev_010', 'sev_007', 'sev_004', 'sev_001']);
        expect(ids(await store.securityEvents.query({ subject: 'key_odd', type: 'key.created' }))).toEqual(['sev_009', 'sev_003']);
        expect(ids(await store.securityEvents.query({ since: T0 + 1000, until: T0 + 3000 }))).toEqual([
          'sev_005',
          'sev_004',
          'sev_003',
          'sev_002',
        ]);
        expect(ids(await store.securityEvents.query({ limit: 2 }))).toEqual(['sev_011', 'sev_010']);
        expect(await store.securityEvents.query({ limit: 0 })).toEqual([]);
        expect(all[0]?.details).toEqual({ i: 11 });
      });
    });

    describe('identities', () => {
      const identity = (overrides: Partial<IdentityRecord> = {}): IdentityRecord => ({
        safetyId: 'sid_a',
        userCipher: 'v1:cipher-a',
        source: 'header',
        keyId: 'key_1',
        firstSeen: T0,
        lastSeen: T0,
        ...overrides,
      });

      it('inserts, then moves lastSeen forward only, keeping the first ciphertext', async () => {
        await store.identities.upsert(identity());
        expect(await store.identities.get('sid_a')).toEqual(identity());
        await store.identities.upsert(identity({ userCipher: 'v1:other', keyId: 'key_2', source: 'body', lastSeen: T0 + 10 }));
        expect(await store.identities.get('sid_a')).toEqual(identity({ keyId: 'key_2', source: 'body', lastSeen: T0 + 10 }));
        await store.identities.upsert(identity({ keyId: 'key_3', lastSeen: T0 + 5 }));
        expect((await store.identities.get('sid_a'))?.lastSeen).toBe(T0 + 10);
        expect((await store.identities.get('sid_a'))?.keyId).toBe('key_2');
        expect(await store.identities.get('sid_missing')).toBeUndefined();
      });

      it('pages in safety id order and replaces ciphertexts', async () => {
        for (const id of ['sid_c', 'sid_a', 'sid_b']) await store.identities.upsert(identity({ safetyId: id }));
        const first = await store.identities.page(null, 2);
        expect(first.map((r) => r.safetyId)).toEqual(['sid_a', 'sid_b']);
        expect((await store.identities.page('sid_b', 2)).map((r) => r.safetyId)).toEqual(['sid_c']);
        await store.identities.setCipher('sid_b', 'v2:new');
        expect((await store.identities.get('sid_b'))?.userCipher).toBe('v2:new');
      });
    });

    describe('user state', () => {
      const state = (overrides: Partial<UserStateRecord> = {}): UserStateRecord => ({
        safetyId: 'sid_a',
        state: 'ok',
        strikes: 1.5,
        strikesAt: T0,
        reason: null,
        updatedAt: T0,
        updatedBy: null,
        version: 1,
        ...overrides,
      });

      it('creates only when absent and updates only from the expected version', async () => {
        expect(await store.userState.get('sid_a')).toBeUndefined();
        expect(await store.userState.compareAndSet(state(), null)).toBe(true);
        expect(await store.userState.compareAndSet(state({ strikes: 9 }), null)).toBe(false);
        expect(await store.userState.get('sid_a')).toEqual(state());

        const next = state({ state: 'suspended', strikes: 10.25, reason: 'strikes', updatedBy: 'system', version: 2 });
        expect(await store.userState.compareAndSet(next, 1)).toBe(true);
        expect(await store.userState.compareAndSet(state({ version: 3 }), 1)).toBe(false);
        expect(await store.userState.get('sid_a')).toEqual(next);
      });

      it('lets exactly one of two concurrent writers win', async () => {
        await store.userState.compareAndSet(state(), null);
        const results = await Promise.all([
          store.userState.compareAndSet(state({ strikes: 2, version: 2 }), 1),
          store.userState.compareAndSet(state({ strikes: 3, version: 2 }), 1),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('lists by state, most recently updated first', async () => {
        await store.userState.compareAndSet(state({ safetyId: 'sid_1', state: 'suspended', updatedAt: T0 + 1 }), null);
        await store.userState.compareAndSet(state({ safetyId: 'sid_2', state: 'ok', updatedAt: T0 + 2 }), null);
        await store.userState.compareAndSet(state({ safetyId: 'sid_3', state: 'suspended', updatedAt: T0 + 3 }), null);
        expect((await store.userState.list({ state: 'suspended' })).map((r) => r.safetyId)).toEqual(['sid_3', 'sid_1']);
        expect((await store.userState.list({})).map((r) => r.safetyId)).toEqual(['sid_3', 'sid_2', 'sid_1']);
        expect(await store.userState.list({ limit: 1 })).toHaveLength(1);
      });
    });

    describe('upstream keys', () => {
      const upstreamKey = (overrides: Partial<UpstreamKeyRecord> = {}): UpstreamKeyRecord => ({
        id: 'upk_a',
        upstream: 'default',
        cipher: 'v1:abc',
        fingerprint: 'fp-a',
        hint: 'sk-...wxyz',
        status: 'active',
        createdAt: T0,
        revokedAt: null,
        ...overrides,
      });

      it('creates, gets and lists per upstream, oldest first', async () => {
        await store.upstreamKeys.create(upstreamKey({ id: 'upk_b', createdAt: T0 + 2, fingerprint: 'fp-b' }));
        await store.upstreamKeys.create(upstreamKey());
        await store.upstreamKeys.create(upstreamKey({ id: 'upk_c', upstream: 'other', fingerprint: 'fp-a' }));
        expect(await store.upstreamKeys.get('upk_a')).toEqual(upstreamKey());
        expect(await store.upstreamKeys.get('upk_missing')).toBeUndefined();
        expect((await store.upstreamKeys.list('default')).map((k) => k.id)).toEqual(['upk_a', 'upk_b']);
        expect((await store.upstreamKeys.list()).map((k) => k.id).sort()).toEqual(['upk_a', 'upk_b', 'upk_c']);
      });

      it('rejects a duplicate id or a duplicate key for the same upstream', async () => {
        await store.upstreamKeys.create(upstreamKey());
        await expect(store.upstreamKeys.create(upstreamKey({ fingerprint: 'fp-x' }))).rejects.toThrow();
        await expect(store.upstreamKeys.create(upstreamKey({ id: 'upk_z' }))).rejects.toThrow();
      });

      it('drains, revokes once and for all, and replaces ciphertexts', async () => {
        await store.upstreamKeys.create(upstreamKey());
        expect(await store.upstreamKeys.setStatus('upk_a', 'draining', T0 + 1)).toBe(true);
        expect((await store.upstreamKeys.get('upk_a'))?.status).toBe('draining');
        expect(await store.upstreamKeys.setStatus('upk_a', 'revoked', T0 + 2)).toBe(true);
        expect(await store.upstreamKeys.setStatus('upk_a', 'revoked', T0 + 3)).toBe(true);
        expect(await store.upstreamKeys.setStatus('upk_a', 'active', T0 + 4)).toBe(false);
        expect(await store.upstreamKeys.get('upk_a')).toMatchObject({ status: 'revoked', revokedAt: T0 + 2 });
        expect(await store.upstreamKeys.setStatus('upk_missing', 'revoked', T0)).toBe(false);
        await store.upstreamKeys.setCipher('upk_a', 'v2:def');
        expect((await store.upstreamKeys.get('upk_a'))?.cipher).toBe('v2:def');
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
