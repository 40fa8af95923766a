/**
 * Safegate's offline classifiers: prompt injection, harmful requests and
 * moderation over OpenAI's categories. Pure TypeScript at run time; each model
 * is one file under `models/<name>/` with its model card beside it.
 *
 * @example
 * import { loadClassifier } from './classifiers/index.js';
 * const moderation = loadClassifier('moderation');
 * const scores = moderation.score(text);        // { hate: 0.01, violence: 0.02, ... }
 * const flagged = moderation.flagged(scores);   // labels at or above their default threshold
 */
export { loadClassifier, clearClassifierCache } from './registry.js';
export { loadModel, saveModel, HashedLinearModel, type Classifier, type Scores, type ModelHeader } from './model.js';
export { normalizeText, foldText, FeatureExtractor, type FeatureSpec, type WindowSpec } from './features.js';
export {
  CLASSIFIER_NAMES, CLASSIFIER_LABELS, MODERATION_LABELS, ALL_LABELS,
  type ClassifierName, type Label, type ModerationLabel,
} from './labels.js';
export { defaultModelsDir } from './paths.js';
