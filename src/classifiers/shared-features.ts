/**
 * One feature extraction per text for every model that hashes it the same way.
 *
 * The shipped models differ only in table size (`bits`) and in whether runs of
 * a repeated character or word collapse into a marker (`repeatMarker`). Hashes
 * are kept at full 32 bits (each model shifts them to its own table size), and
 * an extraction made with markers that placed none equals the one without, so
 * a prompt scored by the injection and the moderation model is normalised,
 * decoded and hashed once.
 *
 * Contract: results are views into reused buffers; a caller uses one at once,
 * before any other call here (it stays valid for at least the next RECENT - 1
 * texts, which is what lets a second model reuse it). Deterministic: the
 * memory never changes a result, only whether it is computed again.
 */
import { FeatureExtractor, type Extraction, type FeatureSpec, type WindowSpec } from './features.js';

/** Texts remembered per feature shape: a request's segments, scored by two or three models in turn. */
const RECENT = 8;
/** Longer texts are not remembered (their features take about 14 bytes a character); the hub chunks at 4,096 by default. */
const REMEMBER_MAX_CHARS = 16_384;

/** A full-hash extraction of one text. `idx` holds 32-bit hashes, not bucket indices. */
export type RawExtraction = Extraction;

interface Slot {
  text: string | null;
  readonly extractor: FeatureExtractor;
  result: RawExtraction | null;
}

class Shape {
  /** Recent extractions, each in its own extractor's buffers, reused round-robin: no copies. */
  private readonly slots: Slot[] = [];
  private next = 0;
  private plain: FeatureExtractor | undefined;
  private long: FeatureExtractor | undefined;

  constructor(
    private readonly spec: FeatureSpec,
    readonly windows: WindowSpec | undefined,
  ) {}

  /**
   * Extractions are made with repeat markers and remembered; one that placed
   * none also serves models without markers. Otherwise those get their own,
   * not remembered (long runs of one character are rare).
   */
  get(text: string, markers: boolean): RawExtraction {
    let hit: RawExtraction | null = null;
    for (const slot of this.slots) {
      if (slot.text === text) {
        hit = slot.result;
        break;
      }
    }
    if (!hit && text.length > REMEMBER_MAX_CHARS) {
      // Not remembered, and kept out of the slots so that only one set of buffers grows that large.
      this.long ??= new FeatureExtractor({ ...this.spec, repeatMarker: true }, this.windows, { raw: true });
      hit = this.long.extract(text);
    } else if (!hit) {
      const slot = this.slot();
      hit = slot.extractor.extract(text);
      slot.text = text;
      slot.result = hit;
    }
    if (markers || !hit.repeated) return hit;
    this.plain ??= new FeatureExtractor({ ...this.spec, repeatMarker: false }, this.windows, { raw: true });
    return this.plain.extract(text);
  }

  private slot(): Slot {
    if (this.slots.length < RECENT) {
      const slot: Slot = { text: null, extractor: new FeatureExtractor({ ...this.spec, repeatMarker: true }, this.windows, { raw: true }), result: null };
      this.slots.push(slot);
      return slot;
    }
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % RECENT;
    return slot;
  }
}

const shapes = new Map<string, Shape>();
/** A model passes the same spec object every time: skips building the key. */
const bySpec = new WeakMap<FeatureSpec, Shape>();

/** Everything of a spec but the table size and the repeat markers, plus the windows. */
function shapeKey(spec: FeatureSpec, windows: WindowSpec | undefined): string {
  return JSON.stringify([spec.version, spec.charMin, spec.charMax, spec.wordNgrams, spec.skipBigrams === true, windows ?? null]);
}

/**
 * Full-hash features of `text` for models with this spec and windows; a model
 * with `bits` b uses bucket `idx[i] >>> (32 - b)`.
 */
export function sharedFeatures(spec: FeatureSpec, windows: WindowSpec | undefined, text: string): RawExtraction {
  let shape = bySpec.get(spec);
  if (!shape || shape.windows !== windows) {
    const key = shapeKey(spec, windows);
    shape = shapes.get(key);
    if (!shape) {
      shape = new Shape(spec, windows);
      shapes.set(key, shape);
    }
    bySpec.set(spec, shape);
  }
  return shape.get(text, spec.repeatMarker === true);
}
