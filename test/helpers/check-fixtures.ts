/** Shared fixtures for the checks' table-driven tests. */
import type { CheckContext, CheckInput } from '../../src/pipeline/types.js';

/** An input-stage context for a chat request; override what a test needs. */
export function testContext(overrides: Partial<CheckContext> = {}): CheckContext {
  return {
    requestId: 'req_test',
    stage: 'input',
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    policy: 'default',
    request: {},
    signal: new AbortController().signal,
    services: {},
    ...overrides,
  };
}

/** User-message segments, one per text. */
export function textInput(...texts: string[]): CheckInput {
  return { segments: texts.map((text, i) => ({ text, role: 'user', source: 'prompt', path: `messages[${i}].content` })), images: [] };
}
