import { describe, expect, it, vi } from 'vitest';
import { SseReader } from './sse-reader.js';

async function* body(parts: readonly string[], fail = false): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
  if (fail) throw new Error('connection reset');
}

async function read(reader: SseReader): Promise<Array<{ event?: string; data: string; more?: boolean }>> {
  const out = [];
  for await (const e of reader) out.push({ ...e });
  return out;
}

describe('SseReader', () => {
  it('parses events split anywhere across reads, and marks those with another already waiting', async () => {
    const reader = new SseReader(body(['data: {"a":1}\n\ndata: {"b"', ':2}\n\nevent: done\ndata: x\n', '\ndata: [DONE]\n\n']));
    expect(await read(reader)).toEqual([
      { data: '{"a":1}' },
      { data: '{"b":2}' },
      { event: 'done', data: 'x', more: true },
      { data: '[DONE]' },
    ]);
  });

  it('decodes UTF-8 split between reads', async () => {
    const euro = Buffer.from('data: 5 €\n\n');
    const reader = new SseReader((async function* () {
      yield euro.subarray(0, 9);
      yield euro.subarray(9);
    })());
    expect((await read(reader)).map((e) => e.data)).toEqual(['5 €']);
  });

  it('calls the end callback once: at the end of the body, on an early stop, or on a failure', async () => {
    let ended = 0;
    const whole = new SseReader(body(['data: 1\n\n', 'data: 2\n\n']));
    whole.onEnd(() => ended++);
    await read(whole);
    expect(ended).toBe(1);

    ended = 0;
    const stopped = new SseReader(body(['data: 1\n\ndata: 2\n\n', 'data: 3\n\n']));
    stopped.onEnd(() => ended++);
    for await (const e of stopped) if (e.data === '1') break;
    expect(ended).toBe(1);
    expect(await stopped.next()).toEqual({ value: undefined, done: true });

    ended = 0;
    const broken = new SseReader(body(['data: 1\n\n'], true));
    broken.onEnd(() => ended++);
    await expect(read(broken)).rejects.toThrow(/connection reset/);
    expect(ended).toBe(1);
  });

  it('reads the rest of the body after an early stop instead of destroying it', async () => {
    let finished = false;
    const reader = new SseReader((async function* () {
      yield Buffer.from('data: 1\n\ndata: [DONE]\n\n');
      yield Buffer.from('\n');
      finished = true;
    })());
    for await (const e of reader) if (e.data === '[DONE]') break;
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(true);
  });

  it('destroys a body that does not end soon after an early stop', async () => {
    vi.useFakeTimers();
    try {
      const destroy = vi.fn();
      const body = Object.assign((async function* () {
        yield Buffer.from('data: [DONE]\n\n');
        await new Promise(() => undefined);
      })(), { destroy });
      const reader = new SseReader(body);
      for await (const e of reader) if (e.data === '[DONE]') break;
      expect(destroy).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(destroy).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
