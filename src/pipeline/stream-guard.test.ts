import { describe, expect, it } from 'vitest';
import type { StageOutcome } from './run.js';
import { StreamGuard } from './stream-guard.js';
import type { TextSegment } from './types.js';

const SECRET = 'SECRET-TOKEN-1234';

/** A fake output check: blocks on "BOOM", redacts SECRET; records every window it saw. */
function guard(opts: { holdBack?: number; overlap?: number; holdAll?: boolean } = {}) {
  const windows: string[] = [];
  const g = new StreamGuard({
    holdBack: opts.holdBack ?? 32,
    overlap: opts.overlap ?? 16,
    holdAll: opts.holdAll ?? false,
    check: async (segments: TextSegment[]): Promise<StageOutcome> => {
      windows.push(...segments.map((s) => s.text));
      if (segments.some((s) => s.text.includes('BOOM'))) {
        return { decision: 'block', results: [{ checkId: 'fake', stage: 'output', status: 'ok', decision: 'block', shadow: false, reasons: ['boom'], latencyMs: 0 }], blockedBy: { checkId: 'fake', reasons: ['boom'], failed: false }, texts: segments.map((s) => s.text), changed: false, requestPatch: {}, normalized: null, redactions: [], holdFrom: null };
      }
      const texts = segments.map((s) => s.text.split(SECRET).join('[REDACTED]'));
      return { decision: 'allow', results: [{ checkId: 'fake', stage: 'output', status: 'ok', decision: 'allow', shadow: false, reasons: [], latencyMs: 0 }], blockedBy: null, texts, changed: texts.some((t, i) => t !== segments[i]!.text), requestPatch: {}, normalized: null, redactions: [], holdFrom: null };
    },
  });
  return { g, windows };
}

/** Feeds `text` in pieces of `size`; `burst`: every piece but the last says more text is already waiting. */
async function feed(g: StreamGuard, text: string, size: number, burst = false): Promise<{ out: string; blocked: boolean }> {
  let out = '';
  for (let i = 0; i < text.length; i += size) {
    const step = await g.push('c0', text.slice(i, i + size), { more: burst && i + size < text.length });
    if (step.blocked) return { out, blocked: true };
    out += step.release.map((r) => r.text).join('');
  }
  const end = await g.finish();
  if (end.blocked) return { out, blocked: true };
  return { out: out + end.release.map((r) => r.text).join(''), blocked: false };
}

/** A fake secrets check: `KEY-` followed by any run of letters/digits, however long; asks to hold a match touching the window end. */
function keyGuard(holdBack = 16) {
  return new StreamGuard({
    holdBack,
    overlap: 8,
    holdAll: false,
    check: async (segments: TextSegment[], window): Promise<StageOutcome> => {
      const redactions = [];
      const holdFrom = [];
      for (const [i, s] of segments.entries()) {
        for (const m of s.text.matchAll(/KEY-[A-Za-z0-9]+/g)) {
          redactions.push({ segment: i, start: m.index, end: m.index + m[0].length, replacement: '[K]', kind: 'key' });
          if (!window.final && m.index + m[0].length === s.text.length) holdFrom.push({ segment: i, index: m.index });
        }
      }
      const texts = segments.map((s) => s.text.replace(/KEY-[A-Za-z0-9]+/g, '[K]'));
      return { decision: redactions.length ? 'redact' : 'allow', results: [], blockedBy: null, texts, changed: redactions.length > 0, requestPatch: {}, normalized: null, redactions, holdFrom: holdFrom.length ? new Map(holdFrom.map((h) => [h.segment, h.index])) : null };
    },
  });
}

describe('StreamGuard', () => {
  it.each([1, 4, 13])('holds a match longer than the hold-back until it ends (chunk size %i)', async (size) => {
    const g = keyGuard(16);
    const key = 'KEY-' + 'abc123XYZ'.repeat(12);
    const text = 'intro text that is long enough to be released early. ' + key + ' and the rest of the answer follows here.';
    const { out } = await feed(g, text, size);
    expect(out).toBe('intro text that is long enough to be released early. [K] and the rest of the answer follows here.');
  });

  it('bounds how much a check may hold back', async () => {
    const g = new StreamGuard({ holdBack: 16, overlap: 8, holdAll: false, maxHold: 40, check: keyGuard(16)['options'].check });
    let released = 0;
    for (let i = 0; i < 50; i++) {
      const step = await g.push('c0', i === 0 ? 'KEY-' : 'aaaaaaaaaa');
      if (!step.blocked) released += step.release.reduce((n, r) => n + r.text.length, 0);
    }
    expect(released).toBeGreaterThan(0);
  });

  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);

  it.each([1, 3, 7, 50, 1000])('releases all text unchanged (chunk size %i)', async (size) => {
    const { g } = guard();
    expect(await feed(g, text, size)).toEqual({ out: text, blocked: false });
  });

  it('never releases before checking: every released character was in some window first', async () => {
    const { g, windows } = guard();
    const { out } = await feed(g, text, 5);
    expect(out).toBe(text);
    expect(windows.join('').length).toBeGreaterThanOrEqual(text.length);
  });

  it.each([1, 2, 5, 9, 40])('blocks without leaking any part of the trigger (chunk size %i)', async (size) => {
    const { g } = guard();
    const bad = text.slice(0, 300) + 'BOOM' + text.slice(0, 200);
    const { out, blocked } = await feed(g, bad, size);
    expect(blocked).toBe(true);
    expect(out).not.toContain('B' + 'OOM');
    expect(bad.startsWith(out)).toBe(true);
    expect(out.endsWith('BOO') || out.endsWith('BO') || out.endsWith('B')).toBe(false);
    expect(g.blocked).toBe(true);
    expect((await g.push('c0', 'more')).blocked).toBe(true);
  });

  it.each([1, 3, 8, 17])('redacts a secret split across chunks before any of it is sent (chunk size %i)', async (size) => {
    const { g } = guard();
    const withSecret = text.slice(0, 100) + SECRET + text.slice(0, 100) + SECRET;
    const { out } = await feed(g, withSecret, size);
    expect(out).not.toContain('SECRET-TOK');
    expect(out).toBe(text.slice(0, 100) + '[REDACTED]' + text.slice(0, 100) + '[REDACTED]');
  });

  describe('bursts: text that has already arrived is checked in fewer, larger windows', () => {
    it('releases the same text with fewer windows, each bounded by maxHold', async () => {
      const piecewise = guard();
      const burst = guard();
      expect(await feed(piecewise.g, text, 7)).toEqual({ out: text, blocked: false });
      expect(await feed(burst.g, text, 7, true)).toEqual({ out: text, blocked: false });
      expect(burst.windows.length).toBeLessThan(piecewise.windows.length);
      // holdBack 32 → maxHold 256: a window holds at most that much new text plus the 16-character overlap and one piece.
      for (const w of burst.windows) expect(w.length).toBeLessThanOrEqual(256 + 16 + 7);
    });

    it.each([1, 5, 40])('still blocks without leaking any part of the trigger (chunk size %i)', async (size) => {
      const { g } = guard();
      const bad = text.slice(0, 600) + 'BOOM' + text.slice(0, 200);
      const { out, blocked } = await feed(g, bad, size, true);
      expect(blocked).toBe(true);
      expect(out).not.toContain('BOO');
      expect(bad.startsWith(out)).toBe(true);
    });

    it('still redacts a secret split across pieces', async () => {
      const { g } = guard();
      const withSecret = text.slice(0, 300) + SECRET + text.slice(0, 300);
      const { out } = await feed(g, withSecret, 3, true);
      expect(out).toBe(text.slice(0, 300) + '[REDACTED]' + text.slice(0, 300));
    });
  });

  it('holds everything until the end when an output check needs the whole text', async () => {
    const { g, windows } = guard({ holdAll: true });
    for (const ch of text.match(/.{1,10}/gs)!) expect((await g.push('c0', ch)).blocked).toBe(false);
    expect(g.releasedText('c0')).toBe('');
    const end = await g.finish();
    expect(end.blocked).toBe(false);
    expect(windows).toEqual([text]);
  });

  it('keeps surrogate pairs whole', async () => {
    const { g } = guard({ holdBack: 16, overlap: 4 });
    const emoji = '😀'.repeat(100);
    const { out } = await feed(g, emoji, 3);
    expect(out).toBe(emoji);
  });

  it('finishes keys independently and merges results per check', async () => {
    const { g } = guard();
    await g.push('a', 'hello ');
    await g.push('b', 'world');
    const a = await g.finishKey('a');
    expect(a).toEqual({ blocked: false, release: [{ key: 'a', text: 'hello ' }] });
    await g.finish();
    expect(g.releasedText('b')).toBe('world');
    expect(g.results.get('fake')).toMatchObject({ decision: 'allow' });
  });
});
