/**
 * The operator's tasks over HTTP for administrators: gateway keys, abuse
 * notices and upstream keys. Only an administrator session may use them, state
 * changes need a trusted origin, and no stored key is ever returned.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, freePort } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let gw: TestGateway;
let upstream: MockUpstream;
let base: string;
let admin: Browser;
let nextAddr = 1;
const person = () => new Browser(base, { headers: { 'x-forwarded-for': `10.9.0.${nextAddr++}` } });
const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;
const ask = (apiKey: string, user?: string) =>
  new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0, defaultHeaders: user ? { 'x-safegate-user': user } : {} }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });

beforeAll(async () => {
  upstream = await startMockUpstream();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startGateway({ server: { port, trustProxy: true }, upstreams: { main: { baseUrl: upstream.url, apiKey: 'sk-env-key-for-tests' } } });
  await gw.gateway.accounts!.createAccount({ email: 'ops@example.com', name: 'Ops', password: 'operator chosen passphrase', role: 'admin', emailVerified: true });
  admin = person();
  expect((await admin.post('/auth/sign-in/email', { email: 'ops@example.com', password: 'operator chosen passphrase' })).status).toBe(200);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('admin operations over HTTP', () => {
  it('requires an administrator session', async () => {
    expect((await person().get('/admin/keys')).status).toBe(401);
    expect((await person().get('/admin/abuse/lookup?safety_id=x')).status).toBe(401);
    expect((await person().get('/admin/upstream-keys')).status).toBe(401);
  });

  it('creates, lists, rotates with a grace period and revokes gateway keys', async () => {
    const created = await json<{ id: string; key: string }>(await admin.post('/admin/keys', { name: 'billing-app', scopes: { endpoints: ['chat.completions'] } }));
    expect(created.key).toMatch(/^sg_/);
    await expect(ask(created.key)).resolves.toBeDefined();

    const list = await json<{ data: Array<Record<string, unknown>> }>(await admin.get('/admin/keys'));
    expect(list.data.find((k) => k.id === created.id)).toMatchObject({ name: 'billing-app', revoked_at: null });
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(JSON.stringify(list)).not.toMatch(/"hash"/);

    const rotated = await json<{ id: string; key: string }>(await admin.post(`/admin/keys/${created.id}/rotate`, { grace_seconds: 600 }));
    await expect(ask(created.key)).resolves.toBeDefined();
    await expect(ask(rotated.key)).resolves.toBeDefined();

    expect((await admin.request('DELETE', `/admin/keys/${rotated.id}`)).status).toBe(200);
    expect(((await ask(rotated.key).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
    expect((await admin.request('DELETE', '/admin/keys/key_nope')).status).toBe(404);
    expect((await admin.post('/admin/keys', { name: '' })).status).toBe(400);
  });

  it('refuses state changes from an untrusted origin', async () => {
    const res = await admin.request('POST', '/admin/keys', { name: 'x' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  it('looks up, suspends and restores the user behind a safety identifier', async () => {
    await ask(gw.key, 'dana@example.com');
    const safetyId = upstream.requests.at(-1)!.body.safety_identifier as string;
    await gw.gateway.security.safegateAccess.idle?.();
    const found = await json<{ user_id: string | null; standing: { state: string } }>(await admin.get(`/admin/abuse/lookup?safety_id=${encodeURIComponent(safetyId)}`));
    expect(found.user_id).toBe('dana@example.com');

    const suspended = await json<{ changed: boolean }>(await admin.post('/admin/abuse/suspend', { user_id: 'dana@example.com' }));
    expect(suspended.changed).toBe(true);
    const err = (await ask(gw.key, 'dana@example.com').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    await expect(ask(gw.key, 'eve@example.com')).resolves.toBeDefined();

    await admin.post('/admin/abuse/restore', { safety_id: safetyId });
    await expect(ask(gw.key, 'dana@example.com')).resolves.toBeDefined();
    expect((await admin.post('/admin/abuse/suspend', { nobody: 1 })).status).toBe(400);
  });

  it('adds, lists, rotates and revokes upstream keys without ever returning them', async () => {
    const added = await json<{ id: string; hint: string }>(await admin.post('/admin/upstream-keys', { upstream: 'main', key: 'sk-first-upstream-key-0001' }));
    await ask(gw.key);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-first-upstream-key-0001');
    const rotated = await json<{ id: string }>(await admin.post(`/admin/upstream-keys/${added.id}/rotate`, { key: 'sk-second-upstream-key-0002' }));
    await ask(gw.key);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-second-upstream-key-0002');
    const list = await admin.get('/admin/upstream-keys');
    const text = await list.text();
    expect(text).not.toContain('sk-first-upstream-key-0001');
    expect(text).not.toContain('sk-second-upstream-key-0002');
    expect((await admin.request('DELETE', `/admin/upstream-keys/${rotated.id}`)).status).toBe(200);
  });
});
