/**
 * Safegate's own offline classifiers (`models/<kind>/model.bin`) as a
 * back-end. Scoring is synchronous and in-process: no network, no secrets,
 * a few tens of microseconds per kilobyte.
 *
 * Results for identical texts are remembered (keyed by SHA-256, bounded), so
 * a system prompt repeated on every request is scored once; the models are
 * deterministic, so the cache never changes an answer.
 */
import type { ClassifiedItem } from '../../pipeline/types.js';
import type { ClassifierKind } from '../../shared/classifier-backend-config.js';
import type { Classifier } from '../model.js';
import { loadClassifier } from '../registry.js';
import { contentKey, TtlCache } from './ttl-cache.js';
import type { Backend } from './types.js';

/** Texts shorter than this are scored directly: hashing them costs about as much as scoring. */
const CACHE_MIN_CHARS = 256;

export class LocalBackend implements Backend {
  readonly id = 'local';
  private readonly models = new Map<ClassifierKind, Classifier>();
  private readonly cache = new TtlCache<ClassifiedItem>(Number.POSITIVE_INFINITY, 4096);

  /** `load` defaults to the shipped models in `modelsDir` (or the package's models/). */
  constructor(
    private readonly modelsDir?: string,
    private readonly load: (kind: ClassifierKind, modelsDir?: string) => Classifier = (kind, dir) => loadClassifier(kind, dir),
  ) {}

  /** The classifier for `kind`, loaded once. Throws when the model file is missing or malformed. */
  classifier(kind: ClassifierKind): Classifier {
    let c = this.models.get(kind);
    if (!c) {
      c = this.load(kind, this.modelsDir);
      this.models.set(kind, c);
    }
    return c;
  }

  score(kind: ClassifierKind, texts: readonly string[]): ClassifiedItem[] {
    const c = this.classifier(kind);
    return texts.map((text) => {
      if (text.length < CACHE_MIN_CHARS) return scoreOne(c, text);
      const key = contentKey(kind, text);
      const hit = this.cache.get(key);
      if (hit) return hit;
      const item = scoreOne(c, text);
      this.cache.set(key, item);
      return item;
    });
  }
}

function scoreOne(c: Classifier, text: string): ClassifiedItem {
  const scores = c.score(text);
  return { scores, flagged: c.flagged(scores), by: 'local' };
}
