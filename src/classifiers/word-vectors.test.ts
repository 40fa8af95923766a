import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyVectors } from '../../test/helpers/tiny-word-vectors.js';
import { decodeWordVectors, encodeWordVectors, loadWordVectors, sha256Hex, WordVectors, type WordVectorsParams } from './word-vectors.js';

/** The pooling contract of word-vectors.ts, written out plainly. */
function referencePool(p: WordVectorsParams, text: string): number[] {
  const d = p.header.dims;
  const sum = new Array<number>(d).fill(0);
  let weight = 0;
  let known = 0;
  for (const w of text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []) {
    const r = p.words.indexOf(w);
    if (r < 0 || w.length > 40) continue;
    const sw = r / (r + 100);
    for (let j = 0; j < d; j++) {
      const v = p.vectors[r * d + j]! * p.header.scale[j]!;
      sum[j]! += sw * v;
    }
    weight += sw;
    known++;
  }
  if (known === 0 || weight === 0) return new Array<number>(d + 1).fill(0);
  return [...sum.map((s) => s / weight), Math.log1p(known) / 5];
}

describe('word vectors', () => {
  it('pools known words by the documented formula, ignoring unknown ones', () => {
    const p = tinyVectors();
    const wv = new WordVectors(p);
    const out = new Float64Array(wv.pooledSize);
    for (const text of ['the cat and the dog', 'kill  the cat!', 'как убить процесс', 'cat', 'dogs cats', '', 'the', 'x'.repeat(50) + ' cat']) {
      wv.pool(text, out);
      const want = referencePool(p, text);
      want.forEach((v, i) => expect(out[i], `${text} [${i}]`).toBeCloseTo(v, 5));
    }
  });

  it('gives all zeros when no word is known, or only the zero-weight most frequent word', () => {
    const wv = new WordVectors(tinyVectors());
    const out = new Float64Array(wv.pooledSize).fill(9);
    wv.pool('nothing known here', out);
    expect([...out].every((v) => v === 0)).toBe(true);
    out.fill(9);
    wv.pool('the the', out);
    expect([...out].every((v) => v === 0)).toBe(true);
  });

  it('round-trips through the file format', () => {
    const p = tinyVectors();
    const back = decodeWordVectors(encodeWordVectors(p));
    expect(back.words).toEqual(p.words);
    expect([...back.vectors]).toEqual([...p.vectors]);
    expect(back.header.scale).toEqual(p.header.scale);
  });

  it('rejects a foreign file, a truncated one and a header that does not match', () => {
    const bytes = encodeWordVectors(tinyVectors());
    expect(() => decodeWordVectors(Buffer.from('SGLMxxxx'))).toThrow(/not a Safegate word-vectors file/);
    expect(() => decodeWordVectors(bytes.subarray(0, bytes.length - 1))).toThrow(/expected/);
    const p = tinyVectors();
    expect(() => new WordVectors({ ...p, words: p.words.slice(1) })).toThrow(/5 words/);
    expect(() => new WordVectors({ ...p, header: { ...p.header, scale: [1] } })).toThrow(/one scale per dimension/);
  });

  it('loads a file with its SHA-256, and names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-wv-'));
    const path = join(dir, 'vectors.bin');
    const bytes = encodeWordVectors(tinyVectors());
    writeFileSync(path, bytes);
    const loaded = loadWordVectors(path);
    expect(loaded.vectors.dims).toBe(3);
    expect(loaded.sha256).toBe(sha256Hex(bytes));
    expect(() => loadWordVectors(join(dir, 'missing.bin'))).toThrow(/cannot be read \(ENOENT\)/);
  });
});
