/**
 * Hashed-feature linear classifiers: file format, loading, saving and scoring.
 *
 * A model is one file, `model.bin`:
 *
 * | bytes | content |
 * |---|---|
 * | 0..3 | magic `SGLM` |
 * | 4..7 | header length H (uint32, little-endian) |
 * | 8..8+H | header, UTF-8 JSON (`ModelHeader`) |
 * | 8+H.. | weights, int8, `2^bits × labels.length`, bucket-major |
 * | then | only with a dense head (`header.dense`): its word table and weights (see `dense-head.ts`) |
 *
 * Scoring (per label k): for a range R of the text's features,
 * z_k(R) = bias_k + scale_k · Σ_{i∈R} q[idx_i·K + k] / √|R|, where idx_i are the
 * hashed features (with repetition, see `features.ts`). The ranges are the
 * whole text, overlapping windows of a long text (`windows`) and each decoded
 * payload; a label's logit is its largest z over the ranges, so a short
 * injected passage inside a long document, or an encoded payload, is not
 * diluted away. The score is the calibrated probability σ(a_k·z_k + b_k).
 * Window sums come from running sums recorded at range bounds, so windows
 * cost almost nothing beyond the whole-text sum. A model with a dense head
 * adds blend_k · head_k(whole normalised text) to each label's logit before
 * calibration.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeDenseHead, DenseHead, encodeDenseHead, type DenseHeadParams, type DenseHeadSpec } from './dense-head.js';
import { checkFeatureSpec, type FeatureSpec, type WindowSpec } from './features.js';
import { sharedFeatures } from './shared-features.js';
import { PACKED_LANES, packTable, SumKernel } from './kernels/sum-kernel.js';
import { POOLING } from './word-table.js';

const MAGIC = 'SGLM';
export const MODEL_FORMAT_VERSION = 1;

/** Platt scaling parameters: p = σ(a·z + b). */
export interface Calibration {
  a: number;
  b: number;
}

/** A label that the taxonomy defines as the conjunction of others (see `ModelHeader.conjunctions`). */
export interface Conjunction {
  label: string;
  of: string[];
}

/** A sub-category and the category it is part of (see `ModelHeader.implies`). */
export interface Implication {
  label: string;
  parent: string;
}

/** Everything about a model except its weights. Stored as JSON inside the file. */
export interface ModelHeader {
  formatVersion: number;
  /** Model name, e.g. `injection`. */
  name: string;
  /** Output labels, in weight order. Names follow the data's label keys. */
  labels: string[];
  features: FeatureSpec;
  /** Per-label bias in logit space. */
  bias: number[];
  /** Per-label dequantisation scale: weight = int8 · scale. */
  scale: number[];
  calibration: Calibration[];
  /** Recommended per-label decision thresholds on the calibrated score. */
  thresholds: Record<string, number>;
  /** Window scoring for long texts; absent means whole text and decoded payloads only. */
  windows?: WindowSpec;
  /**
   * Pseudo-count of features for short texts: each range's weight sum is
   * multiplied by n/(n + evidence), n being its number of features. Guards
   * against a word or two carrying a label alone. Absent or 0: no shrinkage.
   */
  evidence?: number;
  /**
   * Per-label logit that a range with little evidence is pulled towards (with
   * weight evidence/(n + evidence)). Absent: -4 for every label. Training sets
   * it to what a typical benign text scores, so that "few features" reads as
   * "like ordinary text", never as more suspicious than ordinary text.
   */
  evidencePrior?: number[];
  /** A dense head over pretrained word vectors, added to the logits (see `dense-head.ts`). */
  dense?: DenseHeadSpec;
  /**
   * Labels the taxonomy defines as the conjunction of others: `hate/threatening`
   * is hateful content that is also violent. Such a label scores the higher of
   * its own calibrated score and the smallest calibrated score of `of` (a fuzzy
   * AND), so the evidence of the broader labels counts too. Applied after
   * calibration; `of` names no conjunction label. Thresholds are chosen on the
   * combined score.
   */
  conjunctions?: Conjunction[];
  /**
   * Sub-category → category pairs of the taxonomy (`harassment/threatening` is
   * harassment that also threatens): a category scores at least as high as
   * each of its sub-categories, and is flagged whenever one of them is, as
   * the provider's API reports them. Applied after the conjunctions;
   * thresholds are chosen on the combined score.
   */
  implies?: Implication[];
  /** Free-form provenance: training data, licences, metrics, date. Not used for scoring. */
  info?: Record<string, unknown>;
}

/** Raw parameters of a model, before or after quantisation. */
export interface ModelParams {
  header: ModelHeader;
  /** int8 weights, `2^bits × labels.length`, bucket-major. */
  weights: Int8Array;
  /** The dense head's word table and weights, present exactly when `header.dense` is. */
  dense?: DenseHeadParams;
}

/** Scores in 0..1 keyed by label name. */
export type Scores = Record<string, number>;

/**
 * A loaded classifier. `score` is synchronous and allocation-light; a model
 * instance is not re-entrant across worker threads but is safe to share on
 * one event loop.
 */
export interface Classifier {
  readonly name: string;
  readonly labels: readonly string[];
  /** Recommended per-label thresholds: a label is flagged when score ≥ threshold. */
  readonly thresholds: Readonly<Record<string, number>>;
  readonly header: Readonly<ModelHeader>;
  /** Calibrated 0..1 score per label; 0 for every label when the text is blank (nothing to judge). */
  score(text: string): Scores;
  scoreBatch(texts: readonly string[]): Scores[];
  /** Uncalibrated logits per label, in `labels` order. */
  logits(text: string): Float64Array;
  /** Labels whose score reaches their threshold, and the categories of flagged sub-categories (`ModelHeader.implies`). */
  flagged(scores: Scores): string[];
}

/** How negative the no-evidence prior is, in uncalibrated logit units, for models without `evidencePrior`. */
const EVIDENCE_PRIOR_LOGIT = 4;

/**
 * Only whitespace and invisible format characters. Calibration maps "no
 * evidence" to the base rate of its slice, which for a rare label can be far
 * from 0; a blank text has nothing to judge, so it scores 0 instead.
 */
const BLANK = /^[\s\p{Cf}]*$/u;

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Label indices of a header's conjunctions; throws on unknown labels or nesting. */
function conjunctionIndices(header: Pick<ModelHeader, 'name' | 'labels' | 'conjunctions'>): { label: number; of: number[] }[] {
  const at = (l: string): number => {
    const j = header.labels.indexOf(l);
    if (j < 0) throw new Error(`model ${header.name}: conjunction names unknown label ${l}`);
    return j;
  };
  const out = (header.conjunctions ?? []).map((c) => ({ label: at(c.label), of: c.of.map(at) }));
  const heads = new Set(out.map((c) => c.label));
  for (const c of out) {
    if (c.of.length === 0 || c.of.some((j) => heads.has(j))) throw new Error(`model ${header.name}: conjunction ${header.labels[c.label]} must name other, plain labels`);
  }
  return out;
}

/** Label indices of a header's implications; throws on unknown labels, a label its own parent, or chains. */
function implicationIndices(header: Pick<ModelHeader, 'name' | 'labels' | 'implies'>): { label: number; parent: number }[] {
  const at = (l: string): number => {
    const j = header.labels.indexOf(l);
    if (j < 0) throw new Error(`model ${header.name}: implication names unknown label ${l}`);
    return j;
  };
  const out = (header.implies ?? []).map((c) => ({ label: at(c.label), parent: at(c.parent) }));
  const children = new Set(out.map((c) => c.label));
  for (const c of out) {
    // One level, so one pass in any order gives every category the maximum of its sub-categories.
    if (c.label === c.parent || children.has(c.parent)) throw new Error(`model ${header.name}: ${header.labels[c.label]} must imply a category that implies nothing`);
  }
  return out;
}

/** Scoring rules that mix labels after calibration: conjunctions, then implications. */
interface Combine {
  conjunctions: readonly { label: number; of: number[] }[];
  implies: readonly { label: number; parent: number }[];
}

function combineRules(header: Pick<ModelHeader, 'name' | 'labels' | 'conjunctions' | 'implies'>): Combine {
  return { conjunctions: conjunctionIndices(header), implies: implicationIndices(header) };
}

/**
 * Turns rows of logits into calibrated probabilities with the header's
 * conjunctions and implications applied: what `score` returns, in label order.
 * Training picks thresholds on exactly this.
 */
export function calibratedScorer(header: Pick<ModelHeader, 'name' | 'labels' | 'calibration' | 'conjunctions' | 'implies'>): (z: ArrayLike<number>) => Float64Array {
  const rules = combineRules(header);
  return (z) => calibrate(header.calibration, rules, z);
}

function calibrate(cal: readonly Calibration[], rules: Combine, z: ArrayLike<number>): Float64Array {
  const p = new Float64Array(cal.length);
  for (let j = 0; j < p.length; j++) p[j] = sigmoid(cal[j]!.a * z[j]! + cal[j]!.b);
  for (const c of rules.conjunctions) {
    let v = 1;
    for (const j of c.of) v = Math.min(v, p[j]!);
    if (v > p[c.label]!) p[c.label] = v;
  }
  for (const c of rules.implies) if (p[c.label]! > p[c.parent]!) p[c.parent] = p[c.label]!;
  return p;
}

export class HashedLinearModel implements Classifier {
  readonly name: string;
  readonly labels: readonly string[];
  readonly thresholds: Readonly<Record<string, number>>;
  readonly header: Readonly<ModelHeader>;
  /** the weight table and the loop that sums it (`kernels/sum-kernel.ts`) */
  private readonly kernel: SumKernel;
  private readonly k: number;
  /** pseudo-count of features for short-text shrinkage (header `evidence`, 0 = none) */
  private readonly evidence: number;
  /** per-label logit that shrinkage pulls towards (header `evidencePrior`) */
  private readonly prior: Float64Array;
  private readonly dense: DenseHead | null;
  private readonly rules: Combine;

  constructor(params: ModelParams) {
    const { header, weights } = params;
    const k = header.labels.length;
    const buckets = 1 << header.features.bits;
    const expected = buckets * k;
    if (weights.length !== expected) throw new Error(`model ${header.name}: expected ${expected} weights, got ${weights.length}`);
    if (header.bias.length !== k || header.scale.length !== k || header.calibration.length !== k || (header.evidencePrior !== undefined && header.evidencePrior.length !== k)) {
      throw new Error(`model ${header.name}: per-label arrays do not match ${k} labels`);
    }
    if (k > PACKED_LANES) throw new Error(`model ${header.name}: at most ${PACKED_LANES} labels, got ${k}`);
    // At load time rather than at first use.
    checkFeatureSpec(header.features, header.windows);
    this.rules = combineRules(header);
    this.name = header.name;
    this.labels = header.labels;
    this.thresholds = header.thresholds;
    this.header = header;
    this.k = k;
    this.kernel = k === 1 ? new SumKernel(weights, 1, header.features.bits) : new SumKernel(packTable(weights, k), PACKED_LANES, header.features.bits);
    this.evidence = header.evidence ?? 0;
    this.prior = Float64Array.from(header.evidencePrior ?? header.labels.map(() => -EVIDENCE_PRIOR_LOGIT));
    if (!this.prior.every(Number.isFinite)) throw new Error(`model ${header.name}: evidencePrior must be finite numbers`);
    this.dense = null;
    if (header.dense !== undefined) {
      if (header.dense.pooling !== POOLING) throw new Error(`model ${header.name}: dense head pooling ${header.dense.pooling} is not supported (expected ${POOLING})`);
      if (params.dense === undefined) throw new Error(`model ${header.name}: the header names a dense head but the file has none`);
      this.dense = new DenseHead(header.dense, k, params.dense);
    }
  }

  logits(text: string): Float64Array {
    const { idx, ranges, bounds, spans, text: normalized } = sharedFeatures(this.header.features, this.header.windows, text);
    const k = this.k;
    const { bias, scale } = this.header;
    const prior = this.prior;
    // Running sums of the weights, recorded only at range bounds: lane j of bound b at b·lanes + j.
    const sums = this.kernel.sums(idx, bounds);
    const lanes = this.kernel.lanes;
    const out = new Float64Array(k).fill(-Infinity);
    for (let r = 0; r < ranges.length; r += 2) {
      const a = ranges[r]!;
      const e = ranges[r + 1]!;
      if (e <= a) continue;
      const ia = spans[r]!;
      const ie = spans[r + 1]!;
      const n = e - a;
      const inv = 1 / Math.sqrt(n);
      // Few features are little evidence: the logit is pulled towards the label's prior with weight evidence/(n+evidence),
      // so that a word or two cannot carry a label on its own; long texts are unaffected.
      const keep = this.evidence > 0 ? n / (n + this.evidence) : 1;
      const shrink = 1 - keep;
      for (let j = 0; j < k; j++) {
        const z = (bias[j]! + scale[j]! * (sums[ie * lanes + j]! - sums[ia * lanes + j]!) * inv) * keep + prior[j]! * shrink;
        if (z > out[j]!) out[j] = z;
      }
    }
    // No features at all (an empty or blank text): no evidence, so the prior itself.
    for (let j = 0; j < k; j++) if (out[j] === -Infinity) out[j] = this.evidence > 0 ? prior[j]! : bias[j]!;
    if (this.dense !== null) this.dense.addTo(normalized, out);
    return out;
  }

  score(text: string): Scores {
    const out: Scores = {};
    if (BLANK.test(text)) {
      for (const label of this.labels) out[label] = 0;
      return out;
    }
    const p = calibrate(this.header.calibration, this.rules, this.logits(text));
    for (let j = 0; j < this.k; j++) out[this.labels[j]!] = p[j]!;
    return out;
  }

  scoreBatch(texts: readonly string[]): Scores[] {
    return texts.map((t) => this.score(t));
  }

  flagged(scores: Scores): string[] {
    const hit = this.labels.map((l) => (scores[l] ?? 0) >= (this.thresholds[l] ?? 1));
    // A category is flagged with any of its flagged sub-categories, even when its own threshold is higher
    // (one level: `implicationIndices` rejects chains).
    for (const c of this.rules.implies) if (hit[c.label]) hit[c.parent] = true;
    return this.labels.filter((_, j) => hit[j]);
  }
}

/** Serialises a model to the binary format described at the top of this file. */
export function encodeModel(params: ModelParams): Buffer {
  if ((params.header.dense === undefined) !== (params.dense === undefined)) throw new Error('a dense head needs both its header entry and its arrays');
  const dense = params.dense !== undefined ? encodeDenseHead(params.dense) : undefined;
  const fullHeader = dense !== undefined ? { ...params.header, dense: { ...params.header.dense!, wordBytes: dense.words.length } } : params.header;
  const header = Buffer.from(JSON.stringify(fullHeader), 'utf8');
  const linear = Buffer.from(params.weights.buffer, params.weights.byteOffset, params.weights.byteLength);
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 4);
  return Buffer.concat(dense !== undefined ? [prefix, header, linear, dense.words, dense.rest] : [prefix, header, linear]);
}

/** Parses the binary format. Throws on a bad magic, version or size. */
export function decodeModel(bytes: Uint8Array): ModelParams {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a Safegate model file');
  const len = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as ModelHeader;
  if (header.formatVersion !== MODEL_FORMAT_VERSION) throw new Error(`unsupported model format ${header.formatVersion}`);
  const body = buf.subarray(8 + len);
  // Without a dense head the rest is the linear weights, whatever its length (the model checks it);
  // with one, they have their exact size and the head follows.
  const linearBytes = header.dense !== undefined ? Math.min(body.length, (1 << header.features.bits) * header.labels.length) : body.length;
  const weights = new Int8Array(linearBytes);
  weights.set(new Int8Array(body.buffer, body.byteOffset, linearBytes));
  if (header.dense === undefined) return { header, weights };
  return { header, weights, dense: decodeDenseHead(header.dense, header.labels.length, body.subarray(linearBytes)) };
}

/** Loads a model file. Synchronous: models are loaded once. */
export function loadModel(path: string): HashedLinearModel {
  return new HashedLinearModel(decodeModel(readFileSync(path)));
}

/** Writes a model file, creating its directory. */
export function saveModel(path: string, params: ModelParams): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeModel(params));
}

/**
 * Quantises float weights to int8 with one scale per label. The scale maps the
 * `clip` quantile of |w| (over non-zero weights) to 127 and clips the few
 * weights above it, which keeps resolution for the bulk of small weights.
 * `weights` is bucket-major like the file format.
 */
export function quantize(weights: Float32Array, k: number, clip = 0.9999): { q: Int8Array; scale: number[] } {
  const scale: number[] = [];
  for (let j = 0; j < k; j++) {
    const mags: number[] = [];
    for (let i = j; i < weights.length; i += k) {
      const a = Math.abs(weights[i]!);
      if (a > 0) mags.push(a);
    }
    mags.sort((x, y) => x - y);
    const m = mags.length > 0 ? mags[Math.min(mags.length - 1, Math.floor(clip * mags.length))]! : 0;
    scale.push(m > 0 ? m / 127 : 1);
  }
  const q = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const v = Math.round(weights[i]! / scale[i % k]!);
    q[i] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return { q, scale };
}
