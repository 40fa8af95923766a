/**
 * Finds Safegate keys in files and folders, for a pre-commit hook or a CI
 * step (`safegate keys scan PATH...`). A key is recognised by its prefix and
 * checksum (see `shared/key-format.ts`), so the scan needs no database and
 * almost never reports a false positive.
 *
 * Findings name the file, line and column and show only the key's display
 * prefix: scan output often ends up in CI logs, which must not leak the key
 * a second time.
 */
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findGatewayKeys, GATEWAY_KEY_PREFIX } from '../shared/key-format.js';

export interface KeyFinding {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
  /** `sg_` and the next 8 characters: what `safegate keys list` shows */
  prefix: string;
}

export interface ScanOptions {
  /** also look inside `.git` and `node_modules` */
  all?: boolean;
  /** files larger than this are skipped, bytes; default 10 MiB */
  maxBytes?: number;
}

export interface ScanResult {
  findings: KeyFinding[];
  filesScanned: number;
  /** files skipped as binary or too large */
  skipped: string[];
}

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const DISPLAY = GATEWAY_KEY_PREFIX.length + 8;

/** Scans files and folders (recursively; symbolic links are not followed). Rejects when a path does not exist. */
export async function scanForGatewayKeys(paths: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const result: ScanResult = { findings: [], filesScanned: 0, skipped: [] };
  for (const path of paths) await visit(path, options, result, true);
  return result;
}

async function visit(path: string, options: ScanOptions, result: ScanResult, explicit: boolean): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    const entries = await readdir(path, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.isDirectory() && !options.all && SKIPPED_DIRS.has(entry.name)) continue;
      await visit(join(path, entry.name), options, result, false);
    }
    return;
  }
  if (!info.isFile()) return;
  if (info.size > (options.maxBytes ?? 10 * 1024 * 1024)) {
    result.skipped.push(path);
    return;
  }
  const text = await readText(path);
  if (text === null) {
    if (explicit) result.skipped.push(path);
    return;
  }
  result.filesScanned += 1;
  const found = findGatewayKeys(text);
  if (found.length === 0) return;
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  for (const { key, index } of found) {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    result.findings.push({ file: path, line: lo + 1, column: index - lineStarts[lo]! + 1, prefix: key.slice(0, DISPLAY) });
  }
}

/** The file as UTF-8 text, or null when it looks binary (a NUL byte in its first 8 KiB). */
async function readText(path: string): Promise<string | null> {
  const handle = await open(path, 'r');
  try {
    const data = await handle.readFile();
    if (data.subarray(0, 8192).includes(0)) return null;
    return data.toString('utf8');
  } finally {
    await handle.close();
  }
}
