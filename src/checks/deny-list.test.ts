import { describe, expect, it } from 'vitest';
import { testContext, textInput } from '../../test/helpers/check-fixtures.js';
import type { Redaction, Verdict } from '../pipeline/types.js';
import check from './deny-list.js';

const ctx = testContext();

const input = textInput;

function run(text: string, config: Record<string, unknown>): Verdict {
  return check.run(ctx, input(text), check.config.parse(config)) as Verdict;
}

function apply(text: string, redactions: Redaction[] = []): string {
  let out = text;
  for (const r of [...redactions].sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.replacement + out.slice(r.end);
  return out;
}

const words = { words: ['ass', 'Project Falcon', 'könig', 'c++'] };

describe('deny-list', () => {
  it.each([
    ['a listed word', 'you are an ass, frankly', 'deny_word'],
    ['a listed word in another case', 'What an ASS.', 'deny_word'],
    ['a phrase with other spacing', 'status of project\n  falcon?', 'deny_word'],
    ['a non-ASCII word', 'der König kommt', 'deny_word'],
    ['a word with symbols', 'I write c++ daily', 'deny_word'],
  ])('blocks %s', (_label, text, kind) => {
    const v = run(text, words);
    expect(v.decision).toBe('block');
    expect(v.scores?.[kind]).toBe(1);
    expect(v.reasons).toEqual(['listed word']);
  });

  it.each([
    ['a word inside a longer word', 'this class is for passengers to pass'],
    ['a word glued to letters', 'assert(x); Asses? no: massive'],
    ['a non-ASCII word inside a longer one', 'das Königreich'],
    ['a partial phrase', 'project falconry club'],
    ['unrelated text', 'The weather is fine today.'],
  ])('allows %s', (_label, text) => {
    expect(run(text, words)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('honours caseSensitive', () => {
    expect(run('an ASS', { ...words, caseSensitive: true }).decision).toBe('allow');
    expect(run('an ass', { ...words, caseSensitive: true }).decision).toBe('block');
  });

  it.each([
    ['an internal ticket id', 'see TICKET-4821 for details', ['TICKET-\\d+'], 'see [REDACTED] for details'],
    ['two matches', 'ids ab-1 and AB-22', ['ab-\\d+'], 'ids [REDACTED] and [REDACTED]'],
    ['a Unicode property pattern', 'price ₹500 today', ['\\p{Sc}\\d+'], 'price [REDACTED] today'],
  ])('redacts %s with patterns', (_label, text, patterns, redacted) => {
    const v = run(text, { patterns, action: 'redact' });
    expect(v.decision).toBe('redact');
    expect(apply(text, v.redactions)).toBe(redacted);
    expect(v.reasons).toEqual(['listed pattern']);
  });

  it('ignores patterns that match the empty string', () => {
    expect(run('anything', { patterns: ['x*'] }).decision).toBe('allow');
  });

  it('flags without redacting when the action is flag', () => {
    const v = run('you ass', { ...words, action: 'flag' });
    expect(v.decision).toBe('flag');
    expect(v.redactions).toBeUndefined();
  });

  it('redacts a word and a pattern over the same text once', () => {
    const text = 'secret plan: Project Falcon';
    const v = run(text, { words: ['project falcon'], patterns: ['falcon'], action: 'redact' });
    expect(apply(text, v.redactions)).toBe('secret plan: [REDACTED]');
  });

  it.each([
    ['plain profanity', 'this is fucking broken', 'this is [REDACTED] broken'],
    ['leetspeak', 'what a sh1t day', 'what a [REDACTED] day'],
    ['accented', 'fück off', '[REDACTED] off'],
  ])('redacts %s with the profanity dataset', (_label, text, redacted) => {
    const v = run(text, { profanity: true, action: 'redact' });
    expect(v.decision).toBe('redact');
    expect(v.scores?.profanity).toBe(1);
    expect(apply(text, v.redactions)).toBe(redacted);
  });

  it.each([
    'I grew up in Scunthorpe.',
    'The assassin read a classic.',
    'Please pass the cocktail menu.',
    'Sussex and Essex; a therapist; cumulative sums; titration analysis; a bass guitar.',
  ])(
    'does not flag %j as profanity',
    (text) => {
      expect(run(text, { profanity: true }).decision).toBe('allow');
    },
  );

  it('leaves profanity alone when profanity is off', () => {
    expect(run('this is fucking broken', {}).decision).toBe('allow');
  });

  it('reuses compiled matchers for the same config object', () => {
    const cfg = check.config.parse({ words: ['alpha'] });
    expect((check.run(ctx, input('alpha'), cfg) as Verdict).decision).toBe('block');
    expect((check.run(ctx, input('beta alpha'), cfg) as Verdict).decision).toBe('block');
    expect((check.run(ctx, input('beta'), cfg) as Verdict).decision).toBe('allow');
  });

  it.each([['(unclosed'], ['[z-a]'], ['a{2,1}']])('rejects the invalid pattern %s at config time', (pattern) => {
    const r = check.config.safeParse({ patterns: [pattern] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^invalid regular expression/);
  });

  it('rejects empty words', () => {
    expect(check.config.safeParse({ words: ['  '] }).success).toBe(false);
  });

  it('never puts the matched text in reasons', () => {
    const v = run('Project Falcon launches', words);
    expect(v.reasons.join(' ').toLowerCase()).not.toContain('falcon');
  });
});
