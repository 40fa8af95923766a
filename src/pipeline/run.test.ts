import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runStage, type ActiveCheck } from './run.js';
import { defineCheck, type CheckContext, type CheckInput, type Verdict } from './types.js';

const ctx: CheckContext = {
  requestId: 'r1', stage: 'input', endpoint: 'chat.completions', model: 'm', policy: 'p',
  request: {}, signal: new AbortController().signal, services: {},
};
const input = (...texts: string[]): CheckInput => ({ segments: texts.map((text, i) => ({ text, role: 'user', source: 'prompt', path: `m[${i}]` })), images: [] });

function active(id: string, run: (input: CheckInput) => Verdict | Promise<Verdict>, extra: Partial<ActiveCheck> & { phase?: 'normalize' } = {}): ActiveCheck {
  const { phase, ...rest } = extra;
  return {
    definition: defineCheck({ id, stage: 'both', ...(phase ? { phase } : {}), description: id, config: z.object({}), run: (_c, i) => run(i) }),
    config: {}, mode: 'enforce', timeoutMs: 50, onError: 'fail-closed', ...rest,
  };
}
const allow = (): Verdict => ({ decision: 'allow', reasons: [] });

describe('runStage', () => {
  it('allows when every check allows and records each result', async () => {
    const out = await runStage([active('a', allow), active('b', allow)], ctx, input('hi'));
    expect(out.decision).toBe('allow');
    expect(out.results.map((r) => r.checkId)).toEqual(['a', 'b']);
    expect(out.changed).toBe(false);
  });

  it.each([
    [['flag', 'allow'], 'flag'],
    [['flag', 'review'], 'review'],
    [['redact', 'flag'], 'redact'],
    [['review', 'block', 'flag'], 'block'],
  ] as const)('strictest verdict wins: %j → %s', async (decisions, expected) => {
    const checks = decisions.map((d, i) => active(`c${i}`, () => ({ decision: d, reasons: [d], ...(d === 'redact' ? { redactions: [{ segment: 0, start: 0, end: 1, replacement: 'X', kind: 'k' }] } : {}) })));
    expect((await runStage(checks, ctx, input('hello'))).decision).toBe(expected);
  });

  it('names the blocking check and its reasons', async () => {
    const out = await runStage([active('a', allow), active('b', () => ({ decision: 'block', reasons: ['bad thing'] }))], ctx, input('x'));
    expect(out.blockedBy).toEqual({ checkId: 'b', reasons: ['bad thing'], failed: false });
  });

  it('fails closed when a check throws, and records an error (never a silent allow)', async () => {
    const out = await runStage([active('boom', () => { throw new Error('secret sk-123 leaked in message'); })], ctx, input('x'));
    expect(out.decision).toBe('block');
    expect(out.blockedBy?.failed).toBe(true);
    expect(out.results[0]).toMatchObject({ status: 'error', decision: 'block' });
    expect(JSON.stringify(out.results)).not.toContain('sk-123');
  });

  it('fails open when configured, still recording the error', async () => {
    const out = await runStage([active('boom', () => Promise.reject(new Error('x')), { onError: 'fail-open' })], ctx, input('x'));
    expect(out.decision).toBe('allow');
    expect(out.results[0]).toMatchObject({ status: 'error', decision: 'allow' });
  });

  it('times out slow checks', async () => {
    const slow = active('slow', () => new Promise((r) => setTimeout(() => r(allow()), 500)), { timeoutMs: 20 });
    const out = await runStage([slow], ctx, input('x'));
    expect(out.results[0]).toMatchObject({ status: 'timeout', decision: 'block' });
  });

  it('rejects an invalid verdict as a failure', async () => {
    const out = await runStage([active('bad', () => ({ decision: 'maybe' }) as unknown as Verdict)], ctx, input('x'));
    expect(out.results[0]!.status).toBe('error');
  });

  it('records shadow verdicts without enforcing them', async () => {
    const out = await runStage([active('s', () => ({ decision: 'block', reasons: ['would block'] }), { mode: 'shadow' })], ctx, input('x'));
    expect(out.decision).toBe('allow');
    expect(out.results[0]).toMatchObject({ shadow: true, decision: 'block' });
  });

  it('runs normalisers first and shows their output to the other checks', async () => {
    const seen: string[] = [];
    const norm = active('n', (i) => ({ decision: 'flag', reasons: ['stripped'], redactions: [{ segment: 0, start: 1, end: 2, replacement: '', kind: 'zw' }] }), { phase: 'normalize' });
    const spy = active('spy', (i) => { seen.push(i.segments[0]!.text); return allow(); });
    const out = await runStage([spy, norm], ctx, input('a\u200bb'));
    expect(seen).toEqual(['ab']);
    expect(out.texts).toEqual(['ab']);
    expect(out.changed).toBe(true);
  });

  it('merges redactions from several checks and applies them', async () => {
    const a = active('a', () => ({ decision: 'redact', reasons: ['email'], redactions: [{ segment: 0, start: 0, end: 5, replacement: '[E]', kind: 'email' }] }));
    const b = active('b', () => ({ decision: 'redact', reasons: ['key'], redactions: [{ segment: 1, start: 4, end: 8, replacement: '[K]', kind: 'key' }, { segment: 0, start: 3, end: 7, replacement: '[Z]', kind: 'x' }] }));
    const out = await runStage([a, b], ctx, input('alice x', 'key=abcd!'));
    expect(out.texts).toEqual(['[E]', 'key=[K]!']);
  });

  it('does not apply redactions when the stage blocks', async () => {
    const a = active('a', () => ({ decision: 'redact', reasons: [], redactions: [{ segment: 0, start: 0, end: 1, replacement: 'X', kind: 'k' }] }));
    const b = active('b', () => ({ decision: 'block', reasons: ['no'] }));
    const out = await runStage([a, b], ctx, input('abc'));
    expect(out.decision).toBe('block');
    expect(out.texts).toEqual(['abc']);
  });

  it('merges request patches of enforced checks only', async () => {
    const a = active('a', () => ({ decision: 'allow', reasons: [], requestPatch: { max_completion_tokens: 10 } }));
    const b = active('b', () => ({ decision: 'allow', reasons: [], requestPatch: { n: 1 } }), { mode: 'shadow' });
    expect((await runStage([a, b], ctx, input('x'))).requestPatch).toEqual({ max_completion_tokens: 10 });
  });
});
