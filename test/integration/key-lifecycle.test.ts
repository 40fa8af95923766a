/**
 * Gateway key lifecycle through the CLI and the real gateway: scopes and
 * per-key limits, rotation with a grace period, revocation, last use, and
 * the audit trail; no key ever reaches the logs or the audit tables.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLimitStore } from '../../src/accounts/limits/memory.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';
import { runCli } from '../helpers/run-cli.js';

let upstream: MockUpstream;
let gw: TestGateway;
const usedKeys: string[] = [];

type ApiError = InstanceType<typeof OpenAI.APIError>;
const ask = (key: string, extra: Record<string, string> = {}) =>
  gw.client({ apiKey: key, defaultHeaders: extra }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the request to fail'); }, (e: unknown) => e as ApiError);
const cli = (...args: string[]) => runCli(...args, '--data-dir', gw.dataDir);

async function eventually(fn: () => Promise<boolean>, timeoutMs = 9000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url } } });
  usedKeys.push(gw.key);
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});
beforeEach(() => {
  vi.stubEnv('DATABASE_URL', '');
  vi.stubEnv('SAFEGATE_DATA_DIR', '');
  return () => vi.unstubAllEnvs();
});

describe('keys create with scopes and limits', () => {
  it('stores scopes from the command line and enforces them', async () => {
    const r = await cli('keys', 'create', '--name', 'scoped', '--rpm', '2', '--tokens-per-day', '100000', '--models', 'gpt-test*,gpt-4o', '--endpoints', 'chat.completions', '--scope', 'assert_user_level', '--json');
    expect(r.code).toBe(0);
    const { id, key } = JSON.parse(r.stdout) as { id: string; key: string };
    usedKeys.push(key);
    const listed = (JSON.parse((await cli('keys', 'list', '--json')).stdout) as Array<Record<string, unknown>>).find((k) => k.id === id)!;
    expect(listed.scopes).toEqual({
      endpoints: ['chat.completions'],
      models: ['gpt-test*', 'gpt-4o'],
      limits: { requestsPerMinute: 2, tokensPerDay: 100000 },
      grants: ['assert_user_level'],
    });

    const first = await gw.client({ apiKey: key, defaultHeaders: { 'x-safegate-user': 'u', 'x-safegate-user-level': 'id_verified' } })
      .chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(first.response.headers.get('x-safegate-user-level')).toBe('id_verified');
    await ask(key);
    expect((await failure(ask(key))).status).toBe(429);
    const responses = await failure(gw.client({ apiKey: key }).responses.create({ model: 'gpt-test', input: 'hi' }));
    expect(responses.status).toBe(403);
  });

  it('refuses bad scope input with a clear message', async () => {
    const r = await cli('keys', 'create', '--name', 'bad', '--endpoints', 'embeddings');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/endpoints/);
    const r2 = await cli('keys', 'create', '--name', 'bad', '--rpm', 'lots');
    expect(r2.stderr).toMatch(/--rpm/);
  });
});

describe('keys rotate', () => {
  it('prints the new {"id","key"}; both keys work during the grace period and only the new one after', async () => {
    const created = JSON.parse((await cli('keys', 'create', '--name', 'app', '--policy', 'default', '--models', 'gpt-*', '--json')).stdout) as { id: string; key: string };
    usedKeys.push(created.key);
    await ask(created.key);

    const r = await cli('keys', 'rotate', created.id, '--grace', '2s', '--json');
    expect(r.code).toBe(0);
    const rotated = JSON.parse(r.stdout) as { id: string; key: string };
    usedKeys.push(rotated.key);
    expect(Object.keys(rotated).sort()).toEqual(['id', 'key']);
    expect(rotated.id).not.toBe(created.id);

    await expect(ask(created.key)).resolves.toBeDefined();
    await expect(ask(rotated.key)).resolves.toBeDefined();

    // The CLI is another process: the gateway learns of the new expiry within its key cache time.
    await eventually(async () => (await failure(ask(created.key)).catch(() => null))?.code === 'expired_api_key');
    await expect(ask(rotated.key)).resolves.toBeDefined();

    const newRecord = await gw.gateway.store.keys.get(rotated.id);
    expect(newRecord).toMatchObject({ name: 'app', policy: 'default', scopes: { models: ['gpt-*'] }, revokedAt: null });
    const events = await gw.gateway.store.securityEvents.query({ subject: created.id });
    expect(events.map((e) => e.type)).toEqual(['key.rotated', 'key.created']);
    expect(events[0]).toMatchObject({ actor: 'cli', details: { newKeyId: rotated.id } });
  });

  it('ends the old key at once in the gateway that rotates it, after the grace', async () => {
    const created = await gw.gateway.keys.create({ name: 'in-process' });
    usedKeys.push(created.key);
    await ask(created.key);
    const rotated = await gw.gateway.keys.rotate(created.id, 300, { actor: 'admin:test' });
    usedKeys.push(rotated!.key);
    await expect(ask(created.key)).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 350));
    expect((await failure(ask(created.key))).code).toBe('expired_api_key');
    await expect(ask(rotated!.key)).resolves.toBeDefined();
  });

  it('refuses to rotate a revoked or unknown key', async () => {
    const created = await gw.gateway.keys.create({ name: 'gone' });
    await gw.gateway.keys.revoke(created.id);
    expect((await cli('keys', 'rotate', created.id, '--grace', '10m')).code).not.toBe(0);
    expect((await cli('keys', 'rotate', 'key_missing')).stderr).toMatch(/no active key/);
  });
});

describe('revocation and last use', () => {
  it('revokes from the CLI and records who did it; the key is refused', async () => {
    const created = JSON.parse((await cli('keys', 'create', '--name', 'short-lived', '--json')).stdout) as { id: string; key: string };
    usedKeys.push(created.key);
    await ask(created.key);
    expect((await cli('keys', 'revoke', created.id)).code).toBe(0);
    await eventually(async () => (await failure(ask(created.key)).catch(() => null))?.code === 'revoked_api_key');
    const events = await gw.gateway.store.securityEvents.query({ subject: created.id, type: 'key.revoked' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'cli', details: { name: 'short-lived' } });
  });

  it('shows when and from where a key was last used', async () => {
    const created = await gw.gateway.keys.create({ name: 'touched' });
    usedKeys.push(created.key);
    await ask(created.key);
    await eventually(async () => (await gw.gateway.store.keys.get(created.id))?.lastUsedAt != null);
    const listed = (JSON.parse((await cli('keys', 'list', '--json')).stdout) as Array<Record<string, unknown>>).find((k) => k.id === created.id)!;
    expect(listed.lastUsedAddr).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(listed.lastUsedAt as string)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('revocation broadcast through Redis', () => {
  it('refuses a key revoked from the CLI on the very next request', async () => {
    const url = process.env.TEST_REDIS_URL!;
    const replica = await startGateway({ upstreams: { main: { baseUrl: upstream.url } }, redis: { url } }, { limits: new MemoryLimitStore() });
    try {
      const created = await replica.gateway.keys.create({ name: 'broadcast' });
      usedKeys.push(created.key);
      const client = replica.client({ apiKey: created.key });
      const once = () => client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
      await once();
      vi.stubEnv('REDIS_URL', url);
      const r = await runCli('keys', 'revoke', created.id, '--data-dir', replica.dataDir);
      expect(r.stdout).toMatch(/were told/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await failure(once())).code).toBe('revoked_api_key');
    } finally {
      await replica.close();
    }
  });
});

describe('secrecy', () => {
  it('keeps every key used here out of the logs, the audit log and the security events', async () => {
    await gw.flushAudit();
    const logs = gw.logs.join('');
    const audit = JSON.stringify(await gw.gateway.store.audit.query({ limit: 1000 }));
    const events = JSON.stringify(await gw.gateway.store.securityEvents.query({ limit: 1000 }));
    expect(usedKeys.length).toBeGreaterThan(5);
    for (const key of usedKeys) {
      expect(logs).not.toContain(key);
      expect(audit).not.toContain(key);
      expect(events).not.toContain(key);
    }
  });
});
