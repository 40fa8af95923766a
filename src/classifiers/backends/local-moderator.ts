/**
 * Answers `POST /v1/moderations` with Safegate's offline moderation model when
 * no provider is configured, in OpenAI's result shape: every one of the 13
 * categories appears in `categories` and `category_scores`, and
 * `category_applied_input_types` says `["text"]` (the model reads no images).
 */
import type { Classifier } from '../model.js';
import { MODERATION_LABELS } from '../labels.js';

export interface LocalModerationResult {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  category_applied_input_types: Record<string, string[]>;
}

export const LOCAL_MODERATION_MODEL = 'safegate-moderation-local';

/** A `LocalModerator` (see services/moderation.ts) over a loaded moderation classifier. */
export function createLocalModerator(load: () => Classifier): { readonly model: string; moderate(texts: string[]): Promise<LocalModerationResult[]> } {
  return {
    model: LOCAL_MODERATION_MODEL,
    async moderate(texts) {
      const classifier = load();
      return texts.map((text) => {
        const scores = classifier.score(text);
        const flagged = new Set(classifier.flagged(scores));
        const categories: Record<string, boolean> = {};
        const categoryScores: Record<string, number> = {};
        const applied: Record<string, string[]> = {};
        for (const c of MODERATION_LABELS) {
          categories[c] = flagged.has(c);
          categoryScores[c] = scores[c] ?? 0;
          applied[c] = ['text'];
        }
        return { flagged: flagged.size > 0, categories, category_scores: categoryScores, category_applied_input_types: applied };
      });
    },
  };
}
