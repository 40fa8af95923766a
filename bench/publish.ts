/**
 * Puts the latest results into README.md and docs/benchmark.md, between their
 * `<!-- bench:start -->` and `<!-- bench:end -->` markers, when the bench runs
 * with `--publish`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Replaces the marked block of `file` with `summary`; false when the markers are missing. */
export function updateMarkedBlock(file: string, summary: string): boolean {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END, start + START.length);
  if (start < 0 || end < 0) return false;
  writeFileSync(file, `${text.slice(0, start + START.length)}\n${summary}\n${text.slice(end)}`);
  return true;
}
