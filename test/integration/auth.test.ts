/** Gateway keys: required by default, hashed, and revocation takes effect on the next request. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;
const ask = (client: OpenAI) => client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ upstreams: { main: { baseUrl: upstream.url } } });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('gateway keys', () => {
  it.each([
    ['no key', undefined, 'missing_api_key'],
    ['a malformed key', 'hello', 'invalid_api_key'],
    ['a well-formed unknown key', 'sg_' + 'A'.repeat(38), 'invalid_api_key'],
  ])('refuses %s with 401', async (_name, key, code) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(gw.url + '/chat/completions', { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    if (key) expect(body.error.message).not.toContain(key);
  });

  it('raises AuthenticationError in the SDK', async () => {
    await expect(ask(gw.client({ apiKey: 'sg_nope' }))).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses a revoked key on the very next request', async () => {
    const created = await gw.gateway.keys.create({ name: 'to-revoke' });
    const client = gw.client({ apiKey: created.key });
    await expect(ask(client)).resolves.toBeDefined();
    await gw.gateway.keys.revoke(created.id);
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('revoked_api_key');
  });

  it('refuses an expired key', async () => {
    const created = await gw.gateway.keys.create({ name: 'short', expiresAt: Date.now() - 1000 });
    const err = await ask(gw.client({ apiKey: created.key })).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('expired_api_key');
  });

  it('stores only a hash of the key', async () => {
    const records = await gw.gateway.store.keys.list();
    expect(JSON.stringify(records)).not.toContain(gw.key);
    expect(records.find((r) => r.id === gw.keyId)!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records last use', async () => {
    await ask(gw.client());
    await expect.poll(async () => (await gw.gateway.store.keys.get(gw.keyId))?.lastUsedAt ?? null, { timeout: 3000 }).not.toBeNull();
  });
});
