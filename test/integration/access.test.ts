/**
 * Per-user limits, verification levels, key scopes, abuse strikes and
 * suspensions, through the real gateway and the official openai client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';
import { runCli } from '../helpers/run-cli.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream.close();
});
beforeEach(() => {
  // The CLI reads these; the gateways under test use SQLite in their own data directory.
  vi.stubEnv('DATABASE_URL', '');
  vi.stubEnv('SAFEGATE_DATA_DIR', '');
  return () => vi.unstubAllEnvs();
});

type ApiError = InstanceType<typeof OpenAI.APIError>;
const chat = (client: OpenAI, content = 'hi', extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }], ...extra });
const raw = (client: OpenAI, content = 'hi', extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }], ...extra }).withResponse();
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the request to fail'); }, (e: unknown) => e as ApiError);

describe('limits by verification level', () => {
  let gw: TestGateway;
  const user = (id: string, extra: Record<string, string> = {}, apiKey?: string) =>
    gw.client({ ...(apiKey ? { apiKey } : {}), defaultHeaders: { 'x-safegate-user': id, ...extra } });
  const settle = () => gw.gateway.security.safegateAccess.idle();

  beforeAll(async () => {
    gw = await startGateway({
      upstreams: { main: { baseUrl: upstream.url } },
      access: {
        levels: {
          registered: { requestsPerMinute: 3 },
          email_verified: { tokensPerDay: 20 },
          account_linked: { models: ['gpt-other*'] },
          anonymous: { maxOutputTokens: 64 },
          payment_verified: { features: ['tools'] },
        },
      },
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('gives a user over their rate limit a 429 with retry headers, while another user of the same key is unaffected', async () => {
    const alice = user('alice-rate@example.com');
    for (let i = 0; i < 3; i++) {
      const { response } = await raw(alice);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(String(2 - i));
      expect(response.headers.get('x-safegate-user-level')).toBe('registered');
    }
    const err = await failure(chat(alice));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(err.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(err.headers?.get('x-should-retry')).toBe('true');

    await expect(chat(user('bob-rate@example.com'))).resolves.toBeDefined();
  });

  it('enforces the daily token quota of the level, per user', async () => {
    const key = await gw.gateway.keys.create({ name: 'levels', scopes: { grants: ['assert_user_level'] } });
    const carol = user('carol-quota@example.com', { 'x-safegate-user-level': 'email_verified' }, key.key);
    await chat(carol);
    await settle();
    await chat(carol);
    await settle();
    const err = await failure(chat(carol));
    expect(err.status).toBe(429);
    expect(err.code).toBe('quota_exceeded');
    expect(err.headers?.get('x-ratelimit-remaining-tokens')).toBe('0');
    await expect(chat(user('dave-quota@example.com', { 'x-safegate-user-level': 'email_verified' }, key.key))).resolves.toBeDefined();
  });

  it('trusts an asserted level only from a key with the assert_user_level scope', async () => {
    const untrusted = await raw(user('erin@example.com', { 'x-safegate-user-level': 'id_verified' }));
    expect(untrusted.response.headers.get('x-safegate-user-level')).toBe('registered');

    const key = await gw.gateway.keys.create({ name: 'trusted', scopes: { grants: ['assert_user_level'] } });
    const trusted = await raw(user('erin@example.com', { 'x-safegate-user-level': 'id_verified' }, key.key));
    expect(trusted.response.headers.get('x-safegate-user-level')).toBe('id_verified');

    const bad = await failure(chat(user('erin@example.com', { 'x-safegate-user-level': 'royalty' }, key.key)));
    expect(bad.status).toBe(400);
  });

  it('applies the level\'s models, features and output ceiling', async () => {
    const key = await gw.gateway.keys.create({ name: 'levels-2', scopes: { grants: ['assert_user_level'] } });
    const linked = user('frank@example.com', { 'x-safegate-user-level': 'account_linked' }, key.key);
    const err = await failure(chat(linked));
    expect(err.status).toBe(400);
    expect(err.code).toBe('model_not_allowed');

    const payer = user('gina@example.com', { 'x-safegate-user-level': 'payment_verified' }, key.key);
    const streamErr = await failure(chat(payer, 'hi', { stream: true }));
    expect(streamErr.status).toBe(403);
    expect(streamErr.message).toMatch(/streaming/);

    await chat(gw.client(), 'hi', { max_tokens: 5000 });
    expect(upstream.requests.at(-1)!.body.max_tokens).toBe(64);
  });
});

describe('key scopes and per-key limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url } } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses endpoints and models outside the key\'s scopes with 403', async () => {
    const models = await gw.gateway.keys.create({ name: 'gpt-4o only', scopes: { models: ['gpt-4o*'] } });
    const e1 = await failure(chat(gw.client({ apiKey: models.key })));
    expect(e1).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(e1.code).toBe('permission_denied');

    const endpoints = await gw.gateway.keys.create({ name: 'responses only', scopes: { endpoints: ['responses'] } });
    const e2 = await failure(chat(gw.client({ apiKey: endpoints.key })));
    expect(e2.status).toBe(403);
    await expect(gw.client({ apiKey: endpoints.key }).responses.create({ model: 'gpt-test', input: 'hi' })).resolves.toBeDefined();

    const policies = await gw.gateway.keys.create({ name: 'strict only', scopes: { policies: ['strict'] } });
    expect((await failure(chat(gw.client({ apiKey: policies.key })))).status).toBe(403);
  });

  it('limits a key\'s request rate across all of its users', async () => {
    const key = await gw.gateway.keys.create({ name: 'rpm 2', scopes: { limits: { requestsPerMinute: 2 } } });
    const as = (u: string) => gw.client({ apiKey: key.key, defaultHeaders: { 'x-safegate-user': u } });
    await chat(as('u1'));
    await chat(as('u2'));
    const err = await failure(chat(as('u3')));
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/key/);
    await expect(chat(gw.client({ defaultHeaders: { 'x-safegate-user': 'u3' } }))).resolves.toBeDefined();
  });

  it('applies key scopes to /v1/moderations and filters /v1/models by the key\'s models', async () => {
    const chatOnly = await gw.gateway.keys.create({ name: 'chat only', scopes: { endpoints: ['chat.completions'] } });
    const err = await failure(gw.client({ apiKey: chatOnly.key }).moderations.create({ input: 'hello' }));
    expect(err.status).toBe(403);
    const modOk = await gw.gateway.keys.create({ name: 'moderation', scopes: { endpoints: ['moderations'], models: ['gpt-4o*'] } });
    await expect(gw.client({ apiKey: modOk.key }).moderations.create({ model: 'omni-moderation-latest', input: 'hello' })).resolves.toBeDefined();
    const models = await gw.client({ apiKey: modOk.key }).models.list();
    expect(models.data.map((m) => m.id)).toEqual([]);
    const all = await gw.client().models.list();
    expect(all.data.map((m) => m.id)).toContain('gpt-test');
  });

  it('refuses every request of a key whose scopes are invalid', async () => {
    const key = await gw.gateway.keys.create({ name: 'broken', scopes: { endpoints: 'all' } });
    expect((await failure(chat(gw.client({ apiKey: key.key })))).status).toBe(403);
  });
});

describe('abuse strikes and suspension', () => {
  let gw: TestGateway;
  const APPEAL = 'Write to appeals@example.com to appeal.';
  const as = (id: string) => gw.client({ defaultHeaders: { 'x-safegate-user': id } });
  const settle = () => gw.gateway.security.safegateAccess.idle();
  // An AWS access key id: the secrets check blocks it on input.
  const BAD = 'please store AKIAIOSFODNN7EXAMPLE for me';

  beforeAll(async () => {
    gw = await startGateway({
      upstreams: { main: { baseUrl: upstream.url } },
      access: { stateCacheTtl: 0, appeal: APPEAL, strikes: { throttle: 2.5, suspend: 5.5, review: 100, halfLife: '1h' } },
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('throttles, then suspends a user with a 403 that says how to appeal, leaves other users alone, and restores from the CLI', async () => {
    const mallory = as('mallory@example.com');
    await chat(mallory);
    const safetyId = upstream.requests.at(-1)!.body.safety_identifier as string;

    expect((await failure(chat(mallory, BAD))).status).toBe(400);
    await settle();
    const throttled = await raw(mallory);
    expect(throttled.response.headers.get('x-safegate-user-state')).toBe('throttled');
    expect(Number(throttled.response.headers.get('x-ratelimit-limit-requests'))).toBeLessThan(60);

    expect((await failure(chat(mallory, BAD))).status).toBe(400);
    await settle();
    const suspended = await failure(chat(mallory));
    expect(suspended).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(suspended.code).toBe('user_suspended');
    expect(suspended.message).toContain(APPEAL);
    expect(suspended.message).not.toContain('mallory');

    await expect(chat(as('alice@example.com'))).resolves.toBeDefined();

    await gw.flushAudit();
    const lookup = await runCli('users', 'lookup', '--safety-id', safetyId, '--data-dir', gw.dataDir);
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toContain('mallory@example.com');
    expect(lookup.stdout).toContain('suspended');
    expect(lookup.stdout).toMatch(/block\s+secrets/);

    const json = JSON.parse((await runCli('users', 'lookup', '--safety-id', safetyId, '--json', '--data-dir', gw.dataDir)).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ safetyId, userId: 'mallory@example.com', source: 'header', state: 'suspended' });
    expect((json.flagged as unknown[]).length).toBe(2);

    const listed = await runCli('users', 'list', '--data-dir', gw.dataDir);
    expect(listed.stdout).toContain(safetyId);

    const restored = await runCli('users', 'restore', 'mallory@example.com', '--data-dir', gw.dataDir);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('suspended -> ok');
    await expect(chat(mallory)).resolves.toBeDefined();

    const events = await gw.gateway.store.securityEvents.query({ subject: safetyId });
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['user.restored', 'cli'],
      ['user.lookup', 'cli'],
      ['user.lookup', 'cli'],
      ['user.suspended', 'system'],
      ['user.throttled', 'system'],
    ]);
    expect(JSON.stringify(events)).not.toContain('mallory');
  });

  it('suspends and restores a user by the id the app passes', async () => {
    const oscar = as('oscar@example.com');
    await chat(oscar);
    expect((await runCli('users', 'suspend', 'oscar@example.com', '--data-dir', gw.dataDir)).code).toBe(0);
    expect((await failure(chat(oscar))).code).toBe('user_suspended');
    await expect(chat(as('peggy@example.com'))).resolves.toBeDefined();
    expect((await runCli('users', 'restore', 'oscar@example.com', '--data-dir', gw.dataDir)).code).toBe(0);
    await expect(chat(oscar)).resolves.toBeDefined();
  });

  it('says so, with exit code 1, when a safety identifier is unknown', async () => {
    const r = await runCli('users', 'lookup', '--safety-id', 'not-a-known-id', '--data-dir', gw.dataDir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/unknown/);
  });

  it('stores the user id only encrypted', async () => {
    const rows = await gw.gateway.store.identities.page(null, 100);
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('@example.com');
    expect(gw.logs.join('')).not.toContain('@example.com');
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('limits shared by replicas through Redis', () => {
  it('counts one user\'s requests across two gateways', async () => {
    const prefix = `sgtest:${Math.random().toString(36).slice(2)}:`;
    const { RedisLimitStore } = await import('../../src/accounts/limits/redis.js');
    const shared = { identity: { secret: 'a shared identity secret for both replicas!' }, upstreams: { main: { baseUrl: upstream.url } }, access: { levels: { registered: { requestsPerMinute: 4 } } } };
    const a = await startGateway(shared, { limits: new RedisLimitStore({ redis: process.env.TEST_REDIS_URL!, prefix }) });
    const b = await startGateway(shared, { limits: new RedisLimitStore({ redis: process.env.TEST_REDIS_URL!, prefix }) });
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => chat((i % 2 ? a : b).client({ defaultHeaders: { 'x-safegate-user': 'shared-user' } })).then(() => 200, (e: ApiError) => e.status)),
      );
      expect(results.filter((s) => s === 200)).toHaveLength(4);
      expect(results.filter((s) => s === 429)).toHaveLength(4);
    } finally {
      const store = a.gateway.security.limits as InstanceType<typeof RedisLimitStore>;
      const keys = await store.client.keys(`${prefix}*`);
      if (keys.length) await store.client.del(...keys);
      await a.close();
      await b.close();
    }
  });
});
