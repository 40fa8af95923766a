import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWordVectors, encodeWordVectors } from '../word-vectors.js';
import { buildWordVectors } from './build-word-vectors.js';

const vec = (seed: number): number[] => Array.from({ length: 100 }, (_, d) => Math.sin(seed * 7 + d) * (d + 1) / 50);

describe('building the word-vectors table', () => {
  it('keeps the first words that normalise to one word, each once, and quantises each dimension', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-glove-'));
    const lines = [
      ['the', vec(1)], [',', vec(2)], ["n't", vec(3)], ['Café', vec(4)], ['cafe', vec(5)], ['idiot', vec(6)],
      ['broken', [1, 2, 3]], ['naN', vec(7).map((v, d) => (d === 3 ? Number.NaN : v))], ['h3llo', vec(8)], ['extra', vec(9)],
    ] as const;
    const path = join(dir, 'glove.txt');
    writeFileSync(path, lines.map(([w, v]) => [w, ...v].join(' ')).join('\n') + '\n');
    const params = await buildWordVectors(path, 4);
    // ',' and "n't" are not one word; "cafe" repeats the folded "Café"; the 3-value and NaN lines are skipped.
    expect(params.words).toEqual(['the', 'cafe', 'idiot', 'hello']);
    const back = decodeWordVectors(encodeWordVectors(params));
    expect(back.words).toEqual(params.words);
    for (let d = 0; d < 100; d++) {
      const s = params.header.scale[d]!;
      const max = Math.max(...[vec(1), vec(4), vec(6), vec(8)].map((v) => Math.abs(v[d]!)));
      expect(s).toBeCloseTo(max / 127, 9);
      expect(Math.abs(back.vectors[2 * 100 + d]! * s - vec(6)[d]!)).toBeLessThanOrEqual(s / 2 + 1e-12);
    }
  });

  it('reads the JSON of the npm repackaging the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-wink-'));
    const path = join(dir, 'vectors.json');
    writeFileSync(path, JSON.stringify({ dimensions: 100, words: ['the', 'idiot'], vectors: { the: [...vec(1), 0.5, 0], idiot: [...vec(6), 0.5, 1] } }));
    const params = await buildWordVectors(path, 10);
    expect(params.words).toEqual(['the', 'idiot']);
    expect(params.header.count).toBe(2);
  });
});
