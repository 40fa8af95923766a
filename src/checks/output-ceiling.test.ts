import { describe, expect, it } from 'vitest';
import type { CheckContext, Verdict } from '../pipeline/types.js';
import check from './output-ceiling.js';

function run(endpoint: CheckContext['endpoint'], request: Record<string, unknown>, config: Record<string, unknown> = {}): Verdict {
  const ctx: CheckContext = {
    requestId: 'req_test',
    stage: 'input',
    endpoint,
    model: 'gpt-4o-mini',
    policy: 'default',
    request,
    signal: new AbortController().signal,
    services: {},
  };
  return check.run(ctx, { segments: [], images: [] }, check.config.parse(config)) as Verdict;
}

describe('output-ceiling', () => {
  it.each([
    ['sets max_completion_tokens when the client set nothing', 'chat.completions', {}, { max_completion_tokens: 4096 }, ['max_completion_tokens set to 4096']],
    ['treats null as unset', 'chat.completions', { max_tokens: null }, { max_completion_tokens: 4096 }, ['max_completion_tokens set to 4096']],
    ['clamps max_completion_tokens', 'chat.completions', { max_completion_tokens: 100_000 }, { max_completion_tokens: 4096 }, ['max_completion_tokens clamped from 100000 to 4096']],
    ['clamps the deprecated max_tokens', 'chat.completions', { max_tokens: 8000 }, { max_tokens: 4096 }, ['max_tokens clamped from 8000 to 4096']],
    [
      'clamps both fields when both are too high',
      'chat.completions',
      { max_tokens: 9000, max_completion_tokens: 5000 },
      { max_completion_tokens: 4096, max_tokens: 4096 },
      ['max_completion_tokens clamped from 5000 to 4096', 'max_tokens clamped from 9000 to 4096'],
    ],
    ['clamps only the field that is too high', 'chat.completions', { max_tokens: 100, max_completion_tokens: 5000 }, { max_completion_tokens: 4096 }, ['max_completion_tokens clamped from 5000 to 4096']],
    ['replaces a non-numeric limit', 'chat.completions', { max_tokens: '99999' }, { max_tokens: 4096 }, ['max_tokens was not a number; set to 4096']],
    ['sets max_output_tokens on Responses', 'responses', {}, { max_output_tokens: 4096 }, ['max_output_tokens set to 4096']],
    ['clamps max_output_tokens on Responses', 'responses', { max_output_tokens: 32_000 }, { max_output_tokens: 4096 }, ['max_output_tokens clamped from 32000 to 4096']],
  ] as const)('%s', (_label, endpoint, request, patch, reasons) => {
    const v = run(endpoint, request);
    expect(v.decision).toBe('allow');
    expect(v.requestPatch).toEqual(patch);
    expect(v.reasons).toEqual(reasons);
  });

  it.each([
    ['max_completion_tokens within the ceiling', 'chat.completions', { max_completion_tokens: 512 }, 512],
    ['max_tokens exactly at the ceiling', 'chat.completions', { max_tokens: 4096 }, 4096],
    ['max_output_tokens within the ceiling', 'responses', { max_output_tokens: 16 }, 16],
  ] as const)('keeps %s', (_label, endpoint, request, effective) => {
    const v = run(endpoint, request);
    expect(v).toEqual({ decision: 'allow', reasons: [], scores: { max_output_tokens: effective } });
  });

  it('does nothing for moderations', () => {
    expect(run('moderations', { max_tokens: 1e9 })).toEqual({ decision: 'allow', reasons: [] });
  });

  it('uses the configured ceiling', () => {
    expect(run('chat.completions', { max_tokens: 1000 }, { maxOutputTokens: 256 }).requestPatch).toEqual({ max_tokens: 256 });
  });

  it.each([{ maxOutputTokens: 15 }, { maxOutputTokens: 0 }, { maxOutputTokens: 100.5 }])('rejects config %j', (config) => {
    expect(check.config.safeParse(config).success).toBe(false);
  });
});
