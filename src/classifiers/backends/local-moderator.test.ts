import { describe, expect, it } from 'vitest';
import { MODERATION_LABELS } from '../labels.js';
import { testModels } from '../../../test/helpers/keyword-classifiers.js';
import { createLocalModerator, LOCAL_MODERATION_MODEL } from './local-moderator.js';

describe('local moderator for /v1/moderations', () => {
  const moderator = createLocalModerator(() => testModels().moderation);

  it('answers every text in OpenAI\'s result shape with all 13 categories', async () => {
    const [bad, good] = await moderator.moderate(['I will kill you', 'Nice weather today']);
    expect(moderator.model).toBe(LOCAL_MODERATION_MODEL);
    expect(bad!.flagged).toBe(true);
    expect(Object.entries(bad!.categories).filter(([, v]) => v).map(([k]) => k)).toEqual(['harassment/threatening', 'violence']);
    expect(good).toEqual({
      flagged: false,
      categories: Object.fromEntries(MODERATION_LABELS.map((c) => [c, false])),
      category_scores: Object.fromEntries(MODERATION_LABELS.map((c) => [c, 0.01])),
      category_applied_input_types: Object.fromEntries(MODERATION_LABELS.map((c) => [c, ['text']])),
    });
  });
});
