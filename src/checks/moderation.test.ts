import { describe, expect, it } from 'vitest';
import type { CheckContext, CheckInput, CheckServices, ModerationCall, SegmentSource, Verdict } from '../pipeline/types.js';
import { testHub } from '../../test/helpers/keyword-classifiers.js';
import check from './moderation.js';

const hub = testHub();

function ctx(stage: 'input' | 'output' = 'input', services: CheckServices = {}): CheckContext {
  return {
    requestId: 'req_test', stage, endpoint: 'chat.completions', model: 'gpt-test', policy: 'default', request: {},
    signal: new AbortController().signal, services: { classifiers: hub, ...services },
  };
}

function input(texts: Array<string | [string, SegmentSource]>, images: string[] = []): CheckInput {
  return {
    segments: texts.map((t, i) => {
      const [text, source] = typeof t === 'string' ? [t, 'prompt' as SegmentSource] : t;
      return { text, source, role: source === 'instructions' ? 'system' : source === 'tool' ? 'tool' : 'user', path: `messages[${i}].content` };
    }),
    images: images.map((url, i) => ({ url, path: `messages[${i}].content[1].image_url.url` })),
  };
}

async function run(texts: Array<string | [string, SegmentSource]>, config: Record<string, unknown> = {}, c = ctx()): Promise<Verdict> {
  return check.run(c, input(texts), check.config.parse(config));
}

describe('moderation check (local back-end)', () => {
  it.each([
    ['benign text', ['What is the capital of France?'], {}, 'allow'],
    ['a threat', ['I will kill you'], {}, 'block'],
    ['a threat, flag only', ['I will kill you'], { action: 'flag' }, 'flag'],
    ['a threat, review', ['I will kill you'], { action: 'review' }, 'review'],
    ['a threat when only hate may act', ['I will kill you'], { categories: ['hate'] }, 'allow'],
    ['a threat above raised thresholds', ['I will kill you'], { thresholds: { violence: 0.99, 'harassment/threatening': 0.99 } }, 'allow'],
    ['a threat with one raised threshold (the other category still acts)', ['I will kill you'], { thresholds: { violence: 0.99 } }, 'block'],
    ['benign text under a lowered threshold', ['hello'], { thresholds: { hate: 0.005 } }, 'block'],
    ['a threat in a tool result', [['I will kill you', 'tool']], {}, 'block'],
    ['a threat in instructions not scanned', [['I will kill you', 'instructions']], { sources: ['prompt'] }, 'allow'],
  ] as const)('%s → %s', async (_label, texts, config, decision) => {
    const v = await run([...texts] as Array<string | [string, SegmentSource]>, config);
    expect(v.decision).toBe(decision);
  });

  it('records every category score and names the categories, never the text', async () => {
    const v = await run(['hello', 'I will kill you']);
    expect(Object.keys(v.scores!)).toHaveLength(13);
    expect(v.scores!.violence).toBe(0.9);
    expect(v.reasons).toEqual(['moderation: harassment/threatening, violence (local)']);
  });

  it('judges every output segment', async () => {
    const v = await check.run(ctx('output'), { segments: [{ text: 'I will kill you', source: 'output', role: 'output', path: 'choices[0].message.content' }], images: [] }, check.config.parse({}));
    expect(v.decision).toBe('block');
  });

  it('fails (never allows) without the classifier service', async () => {
    // Thrown synchronously: the runner records a throwing check as failed, like a rejected one.
    expect(() => check.run({ ...ctx(), services: {} }, input(['hi']), check.config.parse({}))).toThrow(/classifier service/);
  });
});

describe('moderation check (provider back-end)', () => {
  const calls: ModerationCall[] = [];
  const moderate = async (req: ModerationCall) => {
    calls.push(req);
    return req.input.map((x) => {
      const bad = typeof x === 'string' ? x.includes('bad') : x.type === 'image_url' && x.image_url.url.includes('bad');
      return { flagged: bad, categories: { violence: bad, sexual: false }, category_scores: { violence: bad ? 0.7 : 0.01, sexual: 0.3 } };
    });
  };
  const cfg = { backend: 'provider', provider: { cacheTtlMs: 0 } };

  it.each([
    ['clean text', ['hello'], [], {}, 'allow'],
    ['flagged text', ['a bad idea'], [], {}, 'block'],
    ['a flagged image', ['hello'], ['https://x.example/bad.png'], {}, 'block'],
    ['a score over a policy threshold the API did not flag', ['hello'], [], { thresholds: { sexual: 0.25 } }, 'block'],
    ['a flag under a raised threshold', ['a bad idea'], [], { thresholds: { violence: 0.8 } }, 'allow'],
  ] as const)('%s → %s', async (_label, texts, images, extra, decision) => {
    const v = await check.run(ctx('input', { moderate }), input([...texts], [...images]), check.config.parse({ ...cfg, ...extra }));
    expect(v.decision).toBe(decision);
  });

  it('sends images on input only', async () => {
    calls.length = 0;
    await check.run(ctx('output', { moderate }), input(['hello'], ['https://x.example/a.png']), check.config.parse(cfg));
    expect(calls).toEqual([{ model: 'omni-moderation-latest', input: ['hello'] }]);
  });
});

describe('moderation check (inline back-end)', () => {
  it('allows on input and asks for scores in the generation request', async () => {
    const v = await run(['I will kill you'], { backend: 'inline' });
    expect(v).toMatchObject({ decision: 'allow', requestPatch: { moderation: { model: 'omni-moderation-latest' } } });
  });
});

describe('moderation check configuration', () => {
  it.each([
    [{ backend: 'judge' }, /needs a judge/],
    [{ backend: 'onnx' }, /needs a model/],
    [{ backend: 'remote' }, /backend/],
    [{ thresholds: { hate: 2 } }, /thresholds/],
    [{ categorys: ['hate'] }, /categorys/],
    [{ backend: 'cascade', judge: 'guard', cascade: { low: 0.9, high: 0.1 } }, /low must not exceed high/],
  ])('rejects %j', (config, message) => {
    const r = check.config.safeParse(config);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(message);
  });
});
