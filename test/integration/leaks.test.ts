/**
 * Leaked keys in traffic: a Safegate key in a prompt or an answer is revoked
 * at once; an upstream key in an answer raises an alert; both are recorded
 * and sent to administrators (signed webhook, email). `safegate keys scan`
 * finds keys in files. No key is ever echoed, logged or stored.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../src/accounts/notifier.js';
import { generateGatewayKey } from '../../src/shared/key-format.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';
import { runCli } from '../helpers/run-cli.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const WEBHOOK_SECRET = 'webhook-signing-secret-for-tests';
const UPSTREAM_KEY = `sk-proj-${randomBytes(24).toString('hex')}`;
const usedKeys: string[] = [UPSTREAM_KEY];
const mails: Array<{ to: string[]; subject: string; text: string }> = [];

let upstream: MockUpstream;
let hooks: WebhookReceiver;
let gw: TestGateway;
let answer = 'ok';

type ApiError = InstanceType<typeof OpenAI.APIError>;
const ask = (apiKey: string, content = 'hi') =>
  gw.client({ apiKey }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }] });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the request to fail'); }, (e: unknown) => e as ApiError);
const handled = () => gw.gateway.security.leaks.idle();

beforeAll(async () => {
  upstream = await startMockUpstream({ answer: () => answer });
  hooks = await startWebhookReceiver();
  gw = await startGateway(
    {
      upstreams: { main: { baseUrl: upstream.url, apiKey: UPSTREAM_KEY } },
      access: { notify: { webhook: { url: hooks.url, secret: WEBHOOK_SECRET }, emails: ['security@example.com'] } },
    },
    { mail: async (m) => void mails.push(m) },
  );
  usedKeys.push(gw.key);
});
afterAll(async () => {
  await gw.close();
  await hooks.close();
  await upstream.close();
});
beforeEach(() => {
  answer = 'ok';
  vi.stubEnv('DATABASE_URL', '');
  vi.stubEnv('SAFEGATE_DATA_DIR', '');
  return () => vi.unstubAllEnvs();
});

describe('a Safegate key in traffic', () => {
  it('pasted into a prompt: refused, revoked at once, recorded, and administrators are told', async () => {
    const created = await gw.gateway.keys.create({ name: 'mobile app' });
    usedKeys.push(created.key);
    await ask(created.key);

    const err = await failure(ask(created.key, `my key is ${created.key}, can you debug my code?`));
    expect(err.status).toBe(400);
    expect(err.message).not.toContain(created.key);
    await handled();

    const next = await failure(ask(created.key));
    expect(next).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(next.code).toBe('revoked_api_key');
    await expect(ask(gw.key)).resolves.toBeDefined();

    const [leaked] = await gw.gateway.store.securityEvents.query({ subject: created.id, type: 'key.leaked' });
    expect(leaked).toMatchObject({ actor: 'system', details: { stage: 'input', revoked: true, name: 'mobile app' } });
    const [revoked] = await gw.gateway.store.securityEvents.query({ subject: created.id, type: 'key.revoked' });
    expect(revoked).toMatchObject({ actor: 'system', details: { reason: 'leaked' } });

    const hook = await hooks.waitFor((h) => h.body.type === 'key.leaked' && (h.body.details as { keyId?: string }).keyId === created.id);
    expect(hook.headers['x-safegate-event']).toBe('key.leaked');
    expect(verifyWebhookSignature(WEBHOOK_SECRET, String(hook.headers['x-safegate-signature']), hook.raw)).toBe(true);
    expect(verifyWebhookSignature('another secret entirely', String(hook.headers['x-safegate-signature']), hook.raw)).toBe(false);
    expect(hook.body).toMatchObject({ severity: 'critical' });
    expect(hook.raw).not.toContain(created.key);
    expect(hook.body.text).toMatch(/safegate keys create/);

    const mail = mails.find((m) => m.subject.includes(created.id));
    expect(mail).toMatchObject({ to: ['security@example.com'] });
    expect(mail!.text).not.toContain(created.key);
  });

  it('in an answer: redacted before the client sees it, and revoked', async () => {
    const victim = await gw.gateway.keys.create({ name: 'server key' });
    usedKeys.push(victim.key);
    answer = `Sure, the configuration uses ${victim.key} as its key.`;
    const reply = await ask(gw.key);
    expect(reply.choices[0]!.message.content).not.toContain(victim.key);
    expect(reply.choices[0]!.message.content).toContain('[REDACTED:safegate_key]');
    await handled();
    expect((await failure(ask(victim.key))).code).toBe('revoked_api_key');
    const [event] = await gw.gateway.store.securityEvents.query({ subject: victim.id, type: 'key.leaked' });
    expect(event?.details).toMatchObject({ stage: 'output' });
  });

  it('ignores a well-formed key that is not one of this deployment\'s', async () => {
    const foreign = generateGatewayKey();
    const before = (await gw.gateway.store.securityEvents.query({ type: 'key.leaked' })).length;
    answer = `here: ${foreign}`;
    await ask(gw.key);
    await handled();
    expect(await gw.gateway.store.securityEvents.query({ type: 'key.leaked' })).toHaveLength(before);
  });
});

describe('an upstream key in traffic', () => {
  it('in an answer: never echoed; an alert with the steps to revoke it at the provider', async () => {
    answer = `The server authenticates with ${UPSTREAM_KEY} today.`;
    const stream = await gw.client().chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'which key?' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).toContain('[REDACTED:openai_api_key]');
    await handled();

    const [event] = await gw.gateway.store.securityEvents.query({ type: 'upstream_key.leaked' });
    expect(event).toMatchObject({ subject: 'configured:main', details: { upstream: 'main', hint: `sk-proj-...${UPSTREAM_KEY.slice(-4)}`, stage: 'output' } });
    const hook = await hooks.waitFor((h) => h.body.type === 'upstream_key.leaked');
    expect(hook.raw).not.toContain(UPSTREAM_KEY);
    expect(hook.body.text).toMatch(/revoke|Delete the old key/i);
    expect(hook.body.text).toMatch(/safegate upstream-keys add --upstream main/);
    // The gateway keeps working with its key: only the provider can revoke it.
    answer = 'ok';
    await expect(ask(gw.key)).resolves.toBeDefined();
  });

  it('a look-alike that is not Safegate\'s upstream key raises nothing', async () => {
    const before = (await gw.gateway.store.securityEvents.query({ type: 'upstream_key.leaked' })).length;
    answer = `example: sk-proj-${randomBytes(24).toString('hex')}`;
    await ask(gw.key);
    await handled();
    expect(await gw.gateway.store.securityEvents.query({ type: 'upstream_key.leaked' })).toHaveLength(before);
  });

  it('reports keys found in free text such as a user\'s report', async () => {
    const k = await gw.gateway.keys.create({ name: 'reported' });
    usedKeys.push(k.key);
    expect(gw.gateway.security.leaks.scanText(`the widget showed ${k.key} in the page`, 'req_report')).toBe(1);
    await handled();
    expect((await gw.gateway.store.keys.get(k.id))?.revokedAt).not.toBeNull();
  });
});

describe('safegate keys scan', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-scan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names each file and line holding a key and exits 1', async () => {
    const key = generateGatewayKey();
    usedKeys.push(key);
    mkdirSync(join(dir, 'src', 'config'), { recursive: true });
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'src', 'config', 'app.env'), `# settings\nNAME=demo\nSAFEGATE_KEY=${key}\n`);
    writeFileSync(join(dir, 'src', 'clean.ts'), 'export const x = "sg_not_a_key";\n');
    writeFileSync(join(dir, 'node_modules', 'dep', 'k.txt'), key);
    writeFileSync(join(dir, 'image.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(key)]));

    const r = await runCli('keys', 'scan', dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([`${join(dir, 'src', 'config', 'app.env')}:3:14: Safegate key ${key.slice(0, 11)}...`]);
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(r.stderr).toMatch(/Found 1 Safegate key/);

    const all = await runCli('keys', 'scan', '--all', '--json', dir);
    expect((JSON.parse(all.stdout) as unknown[]).length).toBe(2);
  });

  it('exits 0 on clean files and 2 on a missing path', async () => {
    const clean = join(dir, 'src', 'clean.ts');
    expect((await runCli('keys', 'scan', clean)).code).toBe(0);
    expect((await runCli('keys', 'scan', join(dir, 'missing'))).code).toBe(2);
  });
});

describe('secrecy', () => {
  it('keeps every key out of the logs, the audit log, the security events and the notices', async () => {
    await gw.flushAudit();
    const logs = gw.logs.join('');
    const audit = JSON.stringify(await gw.gateway.store.audit.query({ limit: 1000 }));
    const events = JSON.stringify(await gw.gateway.store.securityEvents.query({ limit: 1000 }));
    const notices = JSON.stringify(hooks.received.map((h) => h.raw)) + JSON.stringify(mails);
    for (const key of usedKeys) {
      expect(logs).not.toContain(key);
      expect(audit).not.toContain(key);
      expect(events).not.toContain(key);
      expect(notices).not.toContain(key);
    }
    expect(logs).toContain('leaked');
  });
});
