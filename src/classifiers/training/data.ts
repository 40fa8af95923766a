/**
 * Labelled data: loading, licence filtering and the deterministic grouped split.
 *
 * Data format (one JSON object per line, as in ../shared/data):
 * `{"id","text","labels":{...},"source","license","meta":{...}}`. Label values
 * are 0 or 1; an absent key means unknown, never 0.
 *
 * The split is a pure function of the texts and a fixed salt, so training and
 * evaluation agree on it without sharing state, and it does not depend on the
 * training seed. Records are grouped before splitting so that near-copies
 * never straddle train and validation: records sharing the first or the last
 * 120 letters/digits (templates, an injected and a clean copy of one
 * document, a goal with and without an attack suffix), and records sharing
 * `meta.multijail_id`, `meta.system_prompt` or `meta.templ_id` (translations
 * and templates of one item), end up in one group.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_LABELS, type Label } from '../labels.js';

export type LabelValues = Partial<Record<Label, 0 | 1>>;

/** One labelled text. `dataset` is the folder (or file stem) it came from. */
export interface LabelledRecord {
  id: string;
  text: string;
  labels: LabelValues;
  source: string;
  license: string;
  dataset: string;
  meta: Record<string, unknown>;
}

export type Split = 'train' | 'calibration' | 'validation';

/** Fraction of groups held out for validation, and for calibration (taken from the rest). */
export const VALIDATION_FRACTION = 0.2;
export const CALIBRATION_FRACTION = 0.1;
const SPLIT_SALT = 'safegate-split-v1';
const KEY_CHARS = 120;
const GROUP_META_KEYS = ['multijail_id', 'system_prompt', 'templ_id'] as const;

function parseRecord(line: string, dataset: string, where: string): LabelledRecord {
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (typeof raw.text !== 'string') throw new Error(`${where}: record without a text`);
  const labels: LabelValues = {};
  const rawLabels = (raw.labels ?? {}) as Record<string, unknown>;
  for (const key of ALL_LABELS) {
    const v = rawLabels[key];
    if (v === 0 || v === 1) labels[key] = v;
  }
  return {
    id: typeof raw.id === 'string' ? raw.id : where,
    text: raw.text,
    labels,
    source: typeof raw.source === 'string' ? raw.source : dataset,
    license: typeof raw.license === 'string' ? raw.license : '',
    dataset,
    meta: (raw.meta ?? {}) as Record<string, unknown>,
  };
}

/** Reads one JSONL file. `dataset` defaults to the file's parent folder name. */
export function loadJsonl(path: string, dataset?: string): LabelledRecord[] {
  const name = dataset ?? path.split(/[\\/]/).slice(-2, -1)[0] ?? path;
  const out: LabelledRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length > 0) out.push(parseRecord(line, name, `${path}:${i + 1}`));
  }
  return out;
}

/** Reads every `<dataset>/data.jsonl` under `dataDir`, sorted by dataset name. */
export function loadDataDir(dataDir: string): LabelledRecord[] {
  const out: LabelledRecord[] = [];
  for (const name of readdirSync(dataDir).sort()) {
    const file = join(dataDir, name, 'data.jsonl');
    if (statSync(join(dataDir, name)).isDirectory() && existsSync(file)) out.push(...loadJsonl(file, name));
  }
  return out;
}

const RESTRICTED = /\bNC\b|NON-COMMERCIAL|no licen[cs]e|not verif|unspecified|unknown|\bGPL/i;
const PERMISSIVE = /^(MIT|Apache-2\.0|BSD|CC0|CC-BY-4\.0|CC-BY-SA-4\.0|CC-BY-3\.0|CC-BY-SA-3\.0|CDLA-Permissive)\b/;

/**
 * True when a record's licence allows shipping a model trained on it:
 * MIT, Apache-2.0, BSD, CC0, CC-BY, CC-BY-SA or CDLA-Permissive, and nothing
 * in the string marks it non-commercial, copyleft, unverified or missing.
 */
export function isPermissiveLicense(license: string): boolean {
  return PERMISSIVE.test(license.trim()) && !RESTRICTED.test(license);
}

function alnumKey(text: string, fromEnd: boolean): string {
  const chars = text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return fromEnd ? chars.slice(-KEY_CHARS) : chars.slice(0, KEY_CHARS);
}

function unitHash(key: string, salt: string): number {
  const d = createHash('sha256').update(salt).update('\0').update(key).digest();
  return d.readUInt32BE(0) / 0x100000000;
}

/** Group keys of a record (see the module comment). */
export function groupKeys(r: LabelledRecord): string[] {
  const keys = [`p:${alnumKey(r.text, false)}`, `s:${alnumKey(r.text, true)}`];
  for (const k of GROUP_META_KEYS) {
    const v = r.meta[k];
    if (typeof v === 'string' || typeof v === 'number') keys.push(`m:${r.dataset}:${k}:${v}`);
  }
  return keys;
}

/**
 * Assigns every record a split. Deterministic: depends only on the texts and
 * meta of all records passed together (groups are connected components of
 * shared keys) and on a fixed salt.
 */
export function assignSplits(records: readonly LabelledRecord[]): Split[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    let y = x;
    while (y !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    // The smaller key becomes the root, so the root is the component's minimum key.
    if (ra !== rb) ra < rb ? parent.set(rb, ra) : parent.set(ra, rb);
  };
  const allKeys = records.map(groupKeys);
  for (const keys of allKeys) {
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (let i = 1; i < keys.length; i++) union(keys[0]!, keys[i]!);
  }
  return allKeys.map((keys) => {
    const u = unitHash(find(keys[0]!), SPLIT_SALT);
    if (u < VALIDATION_FRACTION) return 'validation';
    if (u < VALIDATION_FRACTION + CALIBRATION_FRACTION) return 'calibration';
    return 'train';
  });
}

/** Records of the given splits (`validation` for evaluation; `train` + `calibration` for fitting). */
export function selectSplit(records: readonly LabelledRecord[], splits: readonly Split[], wanted: readonly Split[]): LabelledRecord[] {
  return records.filter((_, i) => wanted.includes(splits[i]!));
}
