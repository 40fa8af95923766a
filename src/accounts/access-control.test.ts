import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveLevelLimits } from '../config/access-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AdmitRequest } from '../services/access.js';
import { openStore } from '../storage/open.js';
import type { ApiKeyRecord, Store } from '../storage/types.js';
import { AbuseTracker } from './abuse.js';
import { clampOutputTokens, SafegateAccess, usedFeatures, type LevelSource } from './access-control.js';
import { MemoryLimitStore } from './limits/memory.js';

let dir: string;
let store: Store;
let now: number;
const T0 = Date.UTC(2025, 0, 1, 12);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-access-'));
  store = await openStore({ dataDir: dir });
  now = T0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function access(levelSource?: LevelSource, levels = {}) {
  const abuse = new AbuseTracker({ repo: store.userState, events: store.securityEvents, now: () => now, policy: { weights: { block: 3, flag: 1, review: 1, refused: 0.5 }, halfLifeMs: 3_600_000, throttle: 2.5, suspend: 5.5, review: 50, throttleFactor: 0.5 } });
  return new SafegateAccess({
    limits: new MemoryLimitStore(),
    abuse,
    levels: resolveLevelLimits({ levels }),
    appeal: 'Appeal at example.com.',
    defaultPolicy: 'default',
    now: () => now,
    ...(levelSource ? { levelSource } : {}),
  });
}

const key = (scopes: Record<string, unknown> = {}): ApiKeyRecord => ({
  id: 'key_a', name: 'k', hash: 'h', prefix: 'sg_', policy: null, scopes, createdAt: 0, expiresAt: null, revokedAt: null, lastUsedAt: null, lastUsedAddr: null,
});

const req = (overrides: Partial<AdmitRequest> = {}): AdmitRequest => ({
  endpoint: 'chat.completions', model: 'gpt-test', key: key(), safetyId: 'sid-alice', rawUserId: 'alice', userSource: 'header', claimedLevel: null, addr: null, body: {}, ...overrides,
});

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'admitted';
  } catch (err) {
    return (err as GatewayError).code;
  }
};

describe('SafegateAccess.admit', () => {
  it('resolves the level: anonymous, registered by default, the account store, or a trusted assertion', async () => {
    const source: LevelSource = { levelOf: async (u) => (u === 'vip' ? 'id_verified' : u === 'broken' ? Promise.reject(new Error('db down')) : null) };
    const a = access(source);
    const level = async (r: Partial<AdmitRequest>) => (await a.admit(req(r))).headers!['x-safegate-user-level'];
    expect(await level({ userSource: 'anonymous', rawUserId: null })).toBe('anonymous');
    expect(await level({})).toBe('registered');
    expect(await level({ rawUserId: 'vip', safetyId: 'sid-vip' })).toBe('id_verified');
    expect(await level({ rawUserId: 'broken', safetyId: 'sid-broken' })).toBe('registered');
    expect(await level({ claimedLevel: 'id_verified' })).toBe('registered');
    expect(await level({ claimedLevel: 'id_verified', key: key({ grants: ['assert_user_level'] }) })).toBe('id_verified');
    expect(await code(a.admit(req({ claimedLevel: 'nope', key: key({ grants: ['assert_user_level'] }) })))).toBe('INVALID_REQUEST');
  });

  it('refuses a suspended user with the appeal text, and only that user', async () => {
    const a = access();
    const abuse = new AbuseTracker({ repo: store.userState, events: store.securityEvents, policy: { weights: { block: 3, flag: 1, review: 1 }, halfLifeMs: 1, throttle: 1, suspend: 2, review: 3, throttleFactor: 1 } });
    await abuse.suspend('sid-alice', 'cli');
    const err = await a.admit(req()).catch((e: GatewayError) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('USER_SUSPENDED');
    expect((err as GatewayError).message).toContain('Appeal at example.com.');
    expect(await code(a.admit(req({ safetyId: 'sid-bob', rawUserId: 'bob' })))).toBe('admitted');
  });

  it('charges tokens in settle and refuses once the daily quota is used, until the next UTC day', async () => {
    const a = access(undefined, { registered: { tokensPerDay: 100 } });
    await a.admit(req());
    a.settle({ safetyId: 'sid-alice', keyId: 'key_a', promptTokens: 60, completionTokens: 40, outcome: 'allow', errorCode: null } as never);
    await a.idle();
    expect(await code(a.admit(req()))).toBe('QUOTA_EXCEEDED');
    now = Date.UTC(2025, 0, 2, 0, 0, 1);
    expect(await code(a.admit(req()))).toBe('admitted');
  });

  it('throttles a user with strikes to a fraction of the level\'s rate', async () => {
    const a = access(undefined, { registered: { requestsPerMinute: 4 } });
    a.settle({ safetyId: 'sid-alice', keyId: null, promptTokens: null, completionTokens: null, outcome: 'block', errorCode: null } as never);
    await a.idle();
    const admitted = await a.admit(req());
    expect(admitted.headers).toMatchObject({ 'x-safegate-user-state': 'throttled', 'x-ratelimit-limit-requests': '2' });
    expect(await code(a.admit(req()))).toBe('admitted');
    expect(await code(a.admit(req()))).toBe('RATE_LIMITED');
  });

  it('fails closed with 503 when the limit store fails', async () => {
    const a = new SafegateAccess({
      limits: { take: async () => { throw new Error('redis down'); }, usage: async () => 0, addUsage: async () => 0, close: async () => undefined },
      abuse: new AbuseTracker({ repo: store.userState, events: store.securityEvents, policy: { weights: { block: 1, flag: 1, review: 1 }, halfLifeMs: 1, throttle: 1, suspend: 2, review: 3, throttleFactor: 1 } }),
      levels: resolveLevelLimits({ levels: {} }),
      appeal: '.',
      defaultPolicy: 'default',
    });
    expect(await code(a.admit(req()))).toBe('ACCESS_UNAVAILABLE');
  });
});

describe('helpers', () => {
  it('clamps output-token limits and sets one when absent', () => {
    const a: Record<string, unknown> = { max_tokens: 9000, max_completion_tokens: 10 };
    clampOutputTokens('chat.completions', a, 100);
    expect(a).toEqual({ max_tokens: 100, max_completion_tokens: 10 });
    const b: Record<string, unknown> = {};
    clampOutputTokens('chat.completions', b, 100);
    expect(b).toEqual({ max_completion_tokens: 100 });
    const c: Record<string, unknown> = { max_output_tokens: 'lots' };
    clampOutputTokens('responses', c, 100);
    expect(c).toEqual({ max_output_tokens: 100 });
  });

  it('names the features a request uses', () => {
    expect(usedFeatures({})).toEqual([]);
    expect(usedFeatures({ stream: true, tools: [{}], messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })).toEqual(['streaming', 'tools', 'images']);
    expect(usedFeatures({ input: [{ role: 'user', content: [{ type: 'input_image' }] }] })).toEqual(['images']);
  });
});
