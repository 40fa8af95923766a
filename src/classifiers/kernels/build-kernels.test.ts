import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURES_WASM } from './_features-wasm.js';
import { SCAN_WASM } from './_scan-wasm.js';
import { SUMS_WASM } from './_sums-wasm.js';
import { WORDS_WASM } from './_words-wasm.js';
import { compileWat, embed, KERNELS } from './build-kernels.js';

const EMBEDDED: Record<string, string> = { SUMS_WASM, FEATURES_WASM, SCAN_WASM, WORDS_WASM };

describe('WebAssembly kernels', () => {
  it.each(KERNELS.map((k) => [k.name, k] as const))('%s is exactly what its source compiles to', async (name, k) => {
    const bytes = await compileWat(k.source);
    expect(Buffer.from(bytes).toString('base64')).toBe(EMBEDDED[name]);
    expect(readFileSync(k.output, 'utf8')).toBe(embed(bytes, k.name, k.source));
  });
});
