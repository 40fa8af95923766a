/**
 * Label names shared by the data files, the models and the scores they return.
 * They match the keys of `labels` in ../shared/data and OpenAI's moderation
 * categories, so `safegate scan` output and labelled data line up.
 */

/** OpenAI moderation categories, in the order the moderation model outputs them. */
export const MODERATION_LABELS = [
  'sexual',
  'sexual/minors',
  'hate',
  'hate/threatening',
  'harassment',
  'harassment/threatening',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'violence',
  'violence/graphic',
  'illicit',
  'illicit/violent',
] as const;

export type ModerationLabel = (typeof MODERATION_LABELS)[number];

/** Every label key that may appear in labelled data. */
export const ALL_LABELS = ['injection', 'harmful_request', 'benign', ...MODERATION_LABELS] as const;

export type Label = (typeof ALL_LABELS)[number];

/** The classifiers Safegate ships. */
export const CLASSIFIER_NAMES = ['moderation', 'injection', 'harmful_request'] as const;

export type ClassifierName = (typeof CLASSIFIER_NAMES)[number];

/** Labels each classifier outputs. */
export const CLASSIFIER_LABELS: Record<ClassifierName, readonly Label[]> = {
  moderation: MODERATION_LABELS,
  injection: ['injection'],
  harmful_request: ['harmful_request'],
};
