/**
 * With no provider configured, Safegate answers from its validated support
 * articles, for any model name, streamed or not — usable with zero keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({});
});
afterAll(async () => {
  await gw.close();
});

describe('embedded validated-answers default', () => {
  it('answers a support question with the best-matching article and names it', async () => {
    const { data, response } = await gw.client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'I forgot my password, how can I reset it?' }] }).withResponse();
    const text = data.choices[0]!.message.content!;
    expect(text).toMatch(/^From "[^"]+" \([a-z0-9-]+\):/);
    expect(text.toLowerCase()).toContain('password');
    expect(data.model).toBe('gpt-4o');
    expect(response.headers.get('x-safegate-checks')).toContain('input:');
  });

  it('falls back to the way to reach a person below the confidence threshold', async () => {
    const res = await gw.client().chat.completions.create({ model: 'safegate-articles', messages: [{ role: 'user', content: 'Write me a sonnet about the sea at dawn.' }] });
    expect(res.choices[0]!.message.content).toContain("I can't help with that here");
  });

  it('streams the same answer through the output checks', async () => {
    const question = 'How do I export my notes?';
    const whole = await gw.client().chat.completions.create({ model: 'safegate-articles', messages: [{ role: 'user', content: question }] });
    const stream = await gw.client().chat.completions.create({ model: 'safegate-articles', messages: [{ role: 'user', content: question }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(whole.choices[0]!.message.content);
  });

  it('speaks the Responses API too', async () => {
    const res = await gw.client().responses.create({ model: 'anything', input: 'How do I turn on two-factor authentication?' });
    expect(res.output_text.toLowerCase()).toContain('two-factor');
    const stream = await gw.client().responses.create({ model: 'anything', input: 'How do I turn on two-factor authentication?', stream: true });
    let last = '';
    for await (const e of stream) last = e.type;
    expect(last).toBe('response.completed');
  });

  it('lists the embedded model', async () => {
    const models = await gw.client().models.list();
    expect(models.data.map((m) => m.id)).toContain('safegate-articles');
  });
});
