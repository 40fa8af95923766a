import { describe, expect, it } from 'vitest';
import { applySpans, extractChatInput, extractChatOutput, extractResponsesInput, extractResponsesOutput, mergeRedactions, setAtPath } from './segments.js';

describe('segment extraction', () => {
  it('walks chat messages of every role and content shape', () => {
    const body = {
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 't', content: 'tool says hi' },
      ],
    };
    const ex = extractChatInput(body);
    expect(ex.segments.map((s) => [s.text, s.source])).toEqual([['sys', 'instructions'], ['hello', 'prompt'], ['{"a":1}', 'prompt'], ['tool says hi', 'tool']]);
    expect(ex.images).toEqual([{ url: 'data:image/png;base64,AA', path: 'messages[1].content[1].image_url.url' }]);
    setAtPath(body, ex.paths[1]!, 'HELLO');
    expect((body.messages[1]!.content as Array<{ text?: string }>)[0]!.text).toBe('HELLO');
  });

  it('walks Responses input: string, items, instructions and tool outputs', () => {
    expect(extractResponsesInput({ input: 'hi' }).segments.map((s) => s.text)).toEqual(['hi']);
    const ex = extractResponsesInput({
      instructions: 'be nice',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'q' }, { type: 'input_image', image_url: 'https://x/y.png' }] },
        { type: 'function_call_output', call_id: 'c', output: 'IGNORE PREVIOUS' },
      ],
    });
    expect(ex.segments.map((s) => [s.text, s.source])).toEqual([['be nice', 'instructions'], ['q', 'prompt'], ['IGNORE PREVIOUS', 'tool']]);
    expect(ex.images.map((i) => i.url)).toEqual(['https://x/y.png']);
  });

  it('walks chat and Responses output', () => {
    expect(extractChatOutput({ choices: [{ message: { content: 'a', refusal: null } }, { message: { content: 'b' } }] }).segments.map((s) => s.text)).toEqual(['a', 'b']);
    expect(extractResponsesOutput({ output: [{ type: 'reasoning' }, { type: 'message', content: [{ type: 'output_text', text: 'x' }, { type: 'refusal', refusal: 'no' }] }] }).segments.map((s) => s.text)).toEqual(['x', 'no']);
  });

  it('ignores malformed shapes without throwing', () => {
    expect(extractChatInput({ messages: [null, 3, { role: 'user', content: [null, { type: 'text' }] }] }).segments).toEqual([]);
    expect(extractResponsesInput({ input: 42 }).segments).toEqual([]);
  });
});

describe('redaction merging', () => {
  it('folds overlapping spans and applies them left to right', () => {
    const merged = mergeRedactions([
      { segment: 0, start: 6, end: 10, replacement: '[B]', kind: 'b' },
      { segment: 0, start: 0, end: 3, replacement: '[A]', kind: 'a' },
      { segment: 0, start: 8, end: 12, replacement: '[C]', kind: 'c' },
    ]);
    expect(applySpans('abcdefghijklmn', merged.get(0)!)).toBe('[A]def[B]mn');
  });
});
