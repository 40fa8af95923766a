/**
 * A sequence-classification model exported to ONNX, run with onnxruntime-node
 * on the CPU. The folder holds:
 *
 * | file | content |
 * |---|---|
 * | `model.onnx` or `onnx/model.onnx` | inputs `input_ids` (+ optional `attention_mask`, `token_type_ids`), int64 `[batch, seq]`; first output: logits `[batch, labels]` |
 * | `config.json` | `id2label`; `problem_type` `multi_label_classification` → sigmoid per label, otherwise softmax |
 * | `tokenizer.json` | WordLevel or WordPiece (see `wordpiece-tokenizer.ts`) |
 *
 * A text longer than the model's window is scored in overlapping token
 * windows and each label keeps its largest probability, so nothing past the
 * window is silently ignored.
 *
 * Labels: `labelMap` renames the model's labels to Safegate's; a label mapped
 * to `""`, and labels named `safe`/`benign`, are dropped. For `injection` and
 * `harmful_request` only that label takes part in decisions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ClassifiedItem } from '../../pipeline/types.js';
import type { ClassifierKind, OnnxModel } from '../../shared/classifier-backend-config.js';
import type { Backend } from './types.js';
import { WordPieceTokenizer } from './wordpiece-tokenizer.js';

const DROPPED = new Set(['safe', 'benign']);

interface Loaded {
  session: ort.InferenceSession;
  tokenizer: WordPieceTokenizer;
  /** Safegate label per output index, or null when dropped */
  labels: Array<string | null>;
  multiLabel: boolean;
  maxLength: number;
  inputs: Set<string>;
  output: string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Loads the folder. Throws a message naming the missing or unsupported part. */
export async function loadOnnxFolder(spec: OnnxModel, baseDir = process.cwd()): Promise<Loaded> {
  const dir = resolve(baseDir, spec.dir);
  const modelFile = [join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx')].find((p) => existsSync(p));
  if (!modelFile) throw new Error(`no model.onnx in ${dir} (nor in ${join(dir, 'onnx')})`);
  const config = readJson(join(dir, 'config.json')) as { id2label?: Record<string, string>; problem_type?: string };
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object' || Object.keys(id2label).length === 0) throw new Error(`${join(dir, 'config.json')}: no id2label`);
  const n = Object.keys(id2label).length;
  const labels: Array<string | null> = [];
  for (let i = 0; i < n; i++) {
    const name = id2label[String(i)];
    if (typeof name !== 'string') throw new Error(`${join(dir, 'config.json')}: id2label has no entry ${i}`);
    const mapped = spec.labelMap[name] ?? name.toLowerCase();
    labels.push(mapped === '' || DROPPED.has(mapped) ? null : mapped);
  }
  const tokenizer = new WordPieceTokenizer(readJson(join(dir, 'tokenizer.json')));
  const session = await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: 'all' });
  if (!session.inputNames.includes('input_ids')) throw new Error(`${modelFile}: the model has no input_ids input`);
  return {
    session,
    tokenizer,
    labels,
    multiLabel: config.problem_type === 'multi_label_classification' || n === 1,
    maxLength: spec.maxLength ?? tokenizer.maxLength ?? 512,
    inputs: new Set(session.inputNames),
    output: session.outputNames.includes('logits') ? 'logits' : session.outputNames[0]!,
  };
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Probabilities of one row of logits. */
export function probabilities(logits: ArrayLike<number>, multiLabel: boolean): number[] {
  const row = Array.from(logits);
  if (multiLabel) return row.map(sigmoid);
  const max = Math.max(...row);
  const exps = row.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

const KIND_LABEL: Partial<Record<ClassifierKind, string>> = { injection: 'injection', harmful_request: 'harmful_request' };

export class OnnxBackend implements Backend {
  readonly id = 'onnx';
  private loaded: Promise<Loaded> | null = null;

  constructor(
    private readonly spec: OnnxModel,
    private readonly baseDir?: string,
  ) {}

  /** Loads the model once; later calls share the same promise (a failed load is retried on the next call). */
  load(): Promise<Loaded> {
    this.loaded ??= loadOnnxFolder(this.spec, this.baseDir).catch((err: unknown) => {
      this.loaded = null;
      throw err;
    });
    return this.loaded;
  }

  async score(kind: ClassifierKind, texts: readonly string[]): Promise<ClassifiedItem[]> {
    const m = await this.load();
    const room = m.maxLength - m.tokenizer.special.prefix.length - m.tokenizer.special.suffix.length;
    if (room < 4) throw new Error('onnx model: maxLength leaves no room for text');
    const stride = Math.max(1, room - Math.floor(room / 8));
    // One row per token window; owner[r] is the text the row belongs to.
    const rows: number[][] = [];
    const owner: number[] = [];
    texts.forEach((text, t) => {
      const ids = m.tokenizer.encode(text).ids;
      for (let start = 0; ; start += stride) {
        rows.push([...m.tokenizer.special.prefix, ...ids.slice(start, start + room), ...m.tokenizer.special.suffix]);
        owner.push(t);
        if (start + room >= ids.length) break;
      }
    });
    const best: number[][] = texts.map(() => new Array<number>(m.labels.length).fill(0));
    for (let b = 0; b < rows.length; b += this.spec.batchSize) {
      const batch = rows.slice(b, b + this.spec.batchSize);
      const probs = await this.run(m, batch);
      probs.forEach((p, j) => {
        const target = best[owner[b + j]!]!;
        for (let k = 0; k < p.length; k++) if (p[k]! > target[k]!) target[k] = p[k]!;
      });
    }
    const only = KIND_LABEL[kind];
    return best.map((p) => {
      const scores: Record<string, number> = {};
      const flagged: string[] = [];
      m.labels.forEach((label, k) => {
        if (label === null) return;
        scores[label] = Math.max(scores[label] ?? 0, p[k]!);
      });
      for (const [label, score] of Object.entries(scores)) {
        if (only !== undefined && label !== only) continue;
        if (score >= (this.spec.thresholds[label] ?? this.spec.defaultThreshold)) flagged.push(label);
      }
      return { scores, flagged, by: 'onnx' };
    });
  }

  private async run(m: Loaded, batch: number[][]): Promise<number[][]> {
    const seq = Math.max(...batch.map((r) => r.length));
    const ids = new BigInt64Array(batch.length * seq).fill(BigInt(m.tokenizer.padId));
    const mask = new BigInt64Array(batch.length * seq);
    batch.forEach((row, i) => {
      row.forEach((id, j) => {
        ids[i * seq + j] = BigInt(id);
        mask[i * seq + j] = 1n;
      });
    });
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch.length, seq]) };
    if (m.inputs.has('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [batch.length, seq]);
    if (m.inputs.has('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.length * seq), [batch.length, seq]);
    const out = await m.session.run(feeds);
    const logits = out[m.output];
    if (!logits || logits.dims.length !== 2 || logits.dims[0] !== batch.length || logits.dims[1] !== m.labels.length) {
      throw new Error('onnx model: the output is not [batch, labels] logits');
    }
    const data = logits.data as Float32Array;
    const width = m.labels.length;
    return batch.map((_, i) => probabilities(data.subarray(i * width, (i + 1) * width), m.multiLabel));
  }
}
