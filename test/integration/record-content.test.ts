/** Raw text is stored only when the policy says so, after redaction, with a retention period that is enforced. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';

let upstream: MockUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ answer: () => 'Your card 4111 1111 1111 1111 is on file.' });
  gw = await startGateway({
    upstreams: { main: { baseUrl: upstream.url } },
    policies: { recorded: { extends: 'builtin', record: { content: true, retention: '1h' } } },
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('recording content', () => {
  it('keeps no text by default', async () => {
    const { response } = await gw.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    await gw.flushAudit();
    const record = await gw.gateway.store.audit.get(response.headers.get('x-request-id')!);
    expect(record!.content).toBeNull();
    expect(record!.contentExpiresAt).toBeNull();
  });

  it.each([false, true])('stores redacted input and output when the policy records content (stream: %s)', async (stream) => {
    const created = await gw.gateway.keys.create({ name: 'rec', policy: 'recorded' });
    const client = gw.client({ apiKey: created.key });
    const messages = [{ role: 'user' as const, content: 'my card is 5555 5555 5555 4444, thanks' }];
    let requestId: string;
    if (stream) {
      const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true }).withResponse();
      for await (const _ of data) { /* drain */ }
      requestId = response.headers.get('x-request-id')!;
    } else {
      const { response } = await client.chat.completions.create({ model: 'gpt-test', messages }).withResponse();
      requestId = response.headers.get('x-request-id')!;
    }
    await gw.flushAudit();
    const record = await gw.gateway.store.audit.get(requestId);
    const text = JSON.stringify(record!.content);
    expect(text).toContain('[CREDIT_CARD]');
    expect(text).not.toContain('5555 5555');
    expect(text).not.toContain('4111 1111');
    expect(record!.content!.output).toContain('is on file');
    expect(record!.contentExpiresAt! - record!.time).toBe(3_600_000);
    expect(await gw.gateway.store.audit.purgeExpiredContent(record!.time + 3_600_001)).toBeGreaterThanOrEqual(1);
    expect((await gw.gateway.store.audit.get(requestId))!.content).toBeNull();
  });
});
