/**
 * The provider's Moderation API (`omni-moderation-latest` by default) through
 * the configured upstream, via `ctx.services.moderate`.
 *
 * - All texts of one check call go in one request (`input: [text, ...]`, one
 *   result per text); each image goes as multimodal input
 *   (`[{type: "image_url", ...}]`, one combined result), concurrently.
 * - Results are cached by SHA-256 of model and content for `cacheTtlMs`
 *   (bounded), so a repeated prompt costs no second call. Failures are never
 *   cached.
 * - A missing provider, a failed call or a malformed answer rejects (the
 *   check's failure policy decides); it never becomes an allow.
 * - The decision is the API's own: a category is flagged when the API's
 *   `categories[c]` is true (checks may override with thresholds on scores).
 */
import type { CheckContext, ClassifiedItem, ImageRef, ModerationResultLike } from '../../pipeline/types.js';
import type { ClassifierKind } from '../../shared/classifier-backend-config.js';
import { contentKey, TtlCache } from './ttl-cache.js';
import type { Backend } from './types.js';

export interface ProviderOptions {
  model: string;
  cacheTtlMs: number;
  cacheSize: number;
  images: boolean;
}

export class ProviderBackend implements Backend {
  readonly id = 'provider';
  private readonly cache: TtlCache<ClassifiedItem>;

  constructor(private readonly options: ProviderOptions, now?: () => number) {
    this.cache = new TtlCache(options.cacheTtlMs, options.cacheSize, now);
  }

  async score(kind: ClassifierKind, texts: readonly string[], ctx: CheckContext): Promise<ClassifiedItem[]> {
    if (kind !== 'moderation') throw new Error(`the provider back-end scores moderation only, not ${kind}`);
    const moderate = this.moderator(ctx);
    const out: Array<ClassifiedItem | undefined> = [];
    const missing: number[] = [];
    const keys = texts.map((t) => contentKey(this.options.model, 'text', t));
    texts.forEach((_, i) => {
      const hit = this.cache.get(keys[i]!);
      out.push(hit);
      if (!hit) missing.push(i);
    });
    if (missing.length > 0) {
      const results = await moderate({ model: this.options.model, input: missing.map((i) => texts[i]!) }, ctx.signal);
      if (!Array.isArray(results) || results.length !== missing.length) throw new Error('the moderation provider returned the wrong number of results');
      missing.forEach((textIndex, j) => {
        const item = toItem(results[j]);
        this.cache.set(keys[textIndex]!, item);
        out[textIndex] = item;
      });
    }
    return out as ClassifiedItem[];
  }

  async scoreImages(images: readonly ImageRef[], ctx: CheckContext): Promise<ClassifiedItem[]> {
    if (!this.options.images || images.length === 0) return [];
    const moderate = this.moderator(ctx);
    return Promise.all(
      images.map(async (image) => {
        const key = contentKey(this.options.model, 'image', image.url);
        const hit = this.cache.get(key);
        if (hit) return hit;
        const results = await moderate({ model: this.options.model, input: [{ type: 'image_url', image_url: { url: image.url } }] }, ctx.signal);
        if (!Array.isArray(results) || results.length !== 1) throw new Error('the moderation provider returned the wrong number of results');
        const item = toItem(results[0]);
        this.cache.set(key, item);
        return item;
      }),
    );
  }

  private moderator(ctx: CheckContext): NonNullable<CheckContext['services']['moderate']> {
    const moderate = ctx.services.moderate;
    if (!moderate) throw new Error('no moderation provider is configured (the provider back-end needs an upstream)');
    return moderate;
  }
}

/** One Moderation API result → scores and the API's own flags. Throws on a malformed result. */
export function toItem(result: ModerationResultLike | undefined, by = 'provider'): ClassifiedItem {
  if (typeof result !== 'object' || result === null) throw new Error('malformed moderation result');
  const rawScores = result.category_scores;
  if (typeof rawScores !== 'object' || rawScores === null) throw new Error('malformed moderation result: no category_scores');
  const scores: Record<string, number> = {};
  for (const [k, v] of Object.entries(rawScores)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error('malformed moderation result: a score is not a number');
    scores[k] = v;
  }
  const flagged: string[] = [];
  const categories = result.categories;
  if (typeof categories === 'object' && categories !== null) {
    for (const [k, v] of Object.entries(categories)) if (v === true) flagged.push(k);
  }
  // The API's `flagged` with no category set is still a finding; keep it visible.
  if (result.flagged === true && flagged.length === 0) flagged.push('flagged');
  return { scores, flagged, by };
}
