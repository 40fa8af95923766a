import type { WordVectorsParams } from '../../src/classifiers/word-vectors.js';

/** Three-dimensional vectors for a few words, most frequent first. */
export function tinyVectors(): WordVectorsParams {
  const words = ['the', 'cat', 'dog', 'kill', 'убить'];
  const rows = [[1, 1, 1], [10, -20, 30], [-5, 5, 0], [100, 0, -100], [0, 127, 3]];
  return {
    header: { formatVersion: 1, dims: 3, count: words.length, wordBytes: 0, scale: [0.5, 0.25, 0.1], info: { source: 'test' } },
    words,
    vectors: Int8Array.from(rows.flat()),
  };
}
