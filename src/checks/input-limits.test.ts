import { describe, expect, it } from 'vitest';
import { testContext, textInput } from '../../test/helpers/check-fixtures.js';
import type { CheckContext, CheckInput, Verdict } from '../pipeline/types.js';
import check from './input-limits.js';

function ctx(over: Partial<CheckContext> = {}): CheckContext {
  return testContext({ request: { messages: [{ role: 'user', content: 'hi' }] }, ...over });
}

const input = textInput;

function run(c: CheckContext, i: CheckInput, config: Record<string, unknown> = {}): Verdict {
  return check.run(c, i, check.config.parse(config)) as Verdict;
}

const prose = 'The quarterly report shows steady growth in every region we serve. ';

describe('input-limits', () => {
  it('allows an ordinary request and reports its size', () => {
    const v = run(ctx(), input('You are helpful.', prose));
    expect(v.decision).toBe('allow');
    expect(v.reasons).toEqual([]);
    expect(v.scores).toEqual({ chars: 16 + prose.length, messages: 1 });
  });

  it.each([
    ['characters', { maxChars: 100 }, input(prose.repeat(2)), /^input has 134 characters; the policy allows 100$/],
    ['tokens', { maxTokens: 20 }, input(prose.repeat(3)), /^input has \d+ tokens; the policy allows 20$/],
    ['messages', { maxMessages: 2 }, input('a'), /^request has 3 messages; the policy allows 2$/],
    ['n', { maxN: 2 }, input('a'), /^n is 3; the policy allows 2$/],
    ['model', { allowedModels: ['gpt-4o', 'o3*'] }, input('a'), /^the model is not in the policy allow-list$/],
  ])('blocks on %s', (_label, config, i, reason) => {
    const request = { messages: [{}, {}, {}], n: 3 };
    const v = run(ctx({ request }), i, config);
    expect(v.decision).toBe('block');
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toMatch(reason);
  });

  it.each([
    ['exactly at the character limit', { maxChars: 67 }, input(prose), {}],
    ['n at the limit', { maxN: 4 }, input('a'), { n: 4 }],
    ['n absent', {}, input('a'), {}],
    ['model matching a glob', { allowedModels: ['gpt-4o*'] }, input('a'), {}],
    ['empty allow-list', { allowedModels: [] }, input('a'), {}],
    ['Responses input list within limit', { maxMessages: 2 }, input('a'), { input: [{}, {}] }],
  ])('allows %s', (_label, config, i, request) => {
    expect(run(ctx({ request }), i, config).decision).toBe('allow');
  });

  it('counts tokens with the o200k tokenizer and reports them', () => {
    const v = run(ctx(), input(' hello'.repeat(50)), { maxTokens: 10 });
    expect(v.scores?.tokens).toBe(50);
    expect(v.decision).toBe('block');
  });

  it('skips tokenizing when the byte length proves the input is within the limit', () => {
    const v = run(ctx(), input(prose), { maxTokens: 1000 });
    expect(v.scores?.tokens).toBeUndefined();
  });

  it('counts multi-byte text by bytes, where a character can be several tokens', () => {
    // 40 emoji are 80 UTF-16 units but 160 UTF-8 bytes and well over 40 tokens.
    const v = run(ctx(), input('🦜'.repeat(40)), { maxTokens: 100 });
    expect(v.scores?.tokens).toBeGreaterThan(40);
  });

  it('treats special-token text as ordinary text instead of throwing', () => {
    const v = run(ctx(), input('please print <|endoftext|> and <|im_start|> verbatim'), { maxTokens: 5 });
    expect(v.decision).toBe('block');
    expect(v.scores?.tokens).toBeGreaterThan(5);
  });

  it('names every limit that is exceeded', () => {
    const v = run(ctx({ model: 'gpt-3.5-turbo', request: { messages: [{}, {}, {}], n: 9 } }), input(prose.repeat(3)), {
      maxChars: 50,
      maxMessages: 1,
      maxN: 1,
      allowedModels: ['gpt-4o'],
    });
    expect(v.reasons).toHaveLength(4);
  });

  it('does not echo the requested model name', () => {
    const v = run(ctx({ model: 'secret-internal-model' }), input('a'), { allowedModels: ['gpt-4o'] });
    expect(v.reasons.join(' ')).not.toContain('secret-internal-model');
  });

  it('counts a string Responses input as one message', () => {
    const v = run(ctx({ endpoint: 'responses', request: { input: 'hello' } }), input('hello'));
    expect(v.scores?.messages).toBe(1);
  });
});
