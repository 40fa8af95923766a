/**
 * Upstream provider keys stored encrypted: the gateway uses them instead of
 * the configured key, in turn, and rotates one under concurrent load with no
 * failed request. The fake provider accepts only the keys the test says are
 * valid, so a request sent with a key the "provider" revoked would fail.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type CapturedRequest, type MockUpstream } from '../helpers/mock-upstream.js';
import { runCli } from '../helpers/run-cli.js';

const providerKey = () => `sk-proj-${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
const ENV_KEY = providerKey();
const accepted = new Set<string>([ENV_KEY]);
const allKeys: string[] = [ENV_KEY];
const bearer = (req: CapturedRequest) => String(req.headers.authorization ?? '').replace(/^Bearer /, '');

let upstream: MockUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startMockUpstream({
    error: (_body, _attempt, req) =>
      accepted.has(bearer(req)) ? null : { status: 401, body: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } },
    answer: () => 'a streamed answer long enough to hold the key for a while',
    chunkSize: 6,
    delayMs: 2,
  });
  gw = await startGateway({
    upstreams: { main: { baseUrl: upstream.url, apiKey: ENV_KEY, maxRetries: 0 } },
    access: { levels: { anonymous: { requestsPerMinute: 1_000_000, tokensPerDay: 1_000_000_000 } }, upstreamKeys: { refreshInterval: 100 } },
  });
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

const ask = () => gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
const cli = (...args: string[]) => runCli(...args, '--data-dir', gw.dataDir);

async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('upstream keys from the CLI', () => {
  it('uses the configured key until keys are stored, then the stored ones in turn, and falls back after revocation', async () => {
    await ask();
    expect(bearer(upstream.requests.at(-1)!)).toBe(ENV_KEY);
    // The fake provider does refuse keys it does not accept.
    accepted.delete(ENV_KEY);
    await expect(ask()).rejects.toMatchObject({ status: 502 });
    accepted.add(ENV_KEY);

    const k1 = providerKey();
    const k2 = providerKey();
    allKeys.push(k1, k2);
    accepted.add(k1).add(k2);
    const a = await cli('upstream-keys', 'add', '--key', k1, '--upstream', 'main', '--json');
    expect(a.code).toBe(0);
    const added = JSON.parse(a.stdout) as { id: string; hint: string };
    expect(added.hint).toBe(`sk-proj-...${k1.slice(-4)}`);
    expect(a.stdout).not.toContain(k1);
    const b = JSON.parse((await cli('upstream-keys', 'add', '--key', k2, '--upstream', 'main', '--json')).stdout) as { id: string };
    expect((await cli('upstream-keys', 'add', '--key', k2, '--upstream', 'main')).code).not.toBe(0);

    // Gateways reload stored keys on their refresh interval.
    await eventually(async () => {
      await ask();
      return bearer(upstream.requests.at(-1)!) !== ENV_KEY;
    });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await ask();
      seen.add(bearer(upstream.requests.at(-1)!));
    }
    expect([...seen].sort()).toEqual([k1, k2].sort());

    const listed = await cli('upstream-keys', 'list', '--json');
    expect(listed.stdout).not.toContain(k1);
    expect((JSON.parse(listed.stdout) as Array<{ id: string; status: string }>).map((k) => k.status)).toEqual(['active', 'active']);

    expect((await cli('upstream-keys', 'revoke', added.id)).code).toBe(0);
    expect((await cli('upstream-keys', 'revoke', b.id)).code).toBe(0);
    await eventually(async () => {
      await ask();
      return bearer(upstream.requests.at(-1)!) === ENV_KEY;
    });
  });

  it('keeps keys encrypted at rest', async () => {
    const k = providerKey();
    allKeys.push(k);
    await cli('upstream-keys', 'add', '--key', k, '--upstream', 'main');
    const records = await gw.gateway.store.upstreamKeys.list();
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(r.cipher).toMatch(/^v1\.[0-9a-f]{16}\./);
    const db = readFileSync(join(gw.dataDir, 'safegate.db'));
    for (const key of allKeys) expect(db.includes(Buffer.from(key))).toBe(false);
    const stored = await gw.gateway.store.upstreamKeys.list();
    await cli('upstream-keys', 'revoke', stored.at(-1)!.id);
  });

  it('re-encrypts every secret when the master key rotates, without a failed request', async () => {
    const k = providerKey();
    allKeys.push(k);
    accepted.add(k);
    const { id } = JSON.parse((await cli('upstream-keys', 'add', '--key', k, '--upstream', 'main', '--json')).stdout) as { id: string };
    await eventually(async () => {
      await ask();
      return bearer(upstream.requests.at(-1)!) === k;
    });
    const before = (await gw.gateway.store.upstreamKeys.get(id))!.cipher;
    const r = await cli('master-key', 'rotate');
    expect(r.code).toBe(0);
    const after = (await gw.gateway.store.upstreamKeys.get(id))!.cipher;
    expect(after.split('.')[1]).not.toBe(before.split('.')[1]);
    // The running gateway keeps the key it holds and loads the new keyring: identities it writes now use the new master key.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gw.client({ defaultHeaders: { 'x-safegate-user': 'after-rotation@example.com' } }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(bearer(upstream.requests.at(-1)!)).toBe(k);
    await gw.gateway.security.safegateAccess.idle();
    const newKid = after.split('.')[1];
    const identity = (await gw.gateway.store.identities.page(null, 100)).find((r) => r.userCipher.split('.')[1] === newKid);
    expect(identity).toBeDefined();
    expect((await cli('master-key', 'retire')).code).toBe(0);
    expect(readFileSync(join(gw.dataDir, 'master.key'), 'utf8').trim().split('\n').filter((l) => !l.startsWith('#'))).toHaveLength(1);
    await cli('upstream-keys', 'revoke', id);
  });
});

describe('rotation under concurrent load', () => {
  it('adds the new key, drains the old and revokes it with no failed request', async () => {
    const ups = gw.gateway.security.upstreamKeys;
    const OLD = providerKey();
    const NEW = providerKey();
    allKeys.push(OLD, NEW);
    accepted.add(OLD);
    const old = await ups.add('main', OLD, 'test');
    const client = gw.client();
    let stop = false;
    let done = 0;
    const failures: unknown[] = [];
    const worker = async (i: number) => {
      while (!stop) {
        try {
          if (i % 2 === 0) {
            const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
            let text = '';
            for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
            if (!text.startsWith('a streamed answer')) throw new Error('incomplete stream');
          } else {
            await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
          }
          done += 1;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const from = upstream.requests.length;
    const workers = Array.from({ length: 12 }, (_, i) => worker(i));
    await eventually(() => done >= 30, 15_000);

    accepted.add(NEW);
    const rotated = await ups.rotate(old.id, NEW, { actor: 'test', drainTimeoutMs: 10_000 });
    // The provider revokes the old key the moment Safegate has let go of it.
    accepted.delete(OLD);
    const doneAtRotation = done;
    await eventually(() => done >= doneAtRotation + 30, 15_000);
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    const used = upstream.requests.slice(from).map(bearer);
    expect(used.filter((k) => k === OLD).length).toBeGreaterThan(0);
    expect(used.filter((k) => k === NEW).length).toBeGreaterThan(0);
    expect(ups.inFlight(old.id)).toBe(0);
    expect(await gw.gateway.store.upstreamKeys.get(old.id)).toMatchObject({ status: 'revoked' });
    const [event] = await gw.gateway.store.securityEvents.query({ type: 'upstream_key.rotated', subject: old.id });
    expect(event).toMatchObject({ actor: 'test', details: { newId: rotated.id, stillInFlight: 0 } });
  }, 60_000);
});

describe('secrecy', () => {
  it('never writes a provider key to the logs, the audit log or the security events', async () => {
    await gw.flushAudit();
    const logs = gw.logs.join('');
    const audit = JSON.stringify(await gw.gateway.store.audit.query({ limit: 1000 }));
    const events = JSON.stringify(await gw.gateway.store.securityEvents.query({ limit: 1000 }));
    for (const key of allKeys) {
      expect(logs).not.toContain(key);
      expect(audit).not.toContain(key);
      expect(events).not.toContain(key);
    }
  });
});
