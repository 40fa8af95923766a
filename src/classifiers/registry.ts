/**
 * Shipped classifiers by name, loaded lazily from `models/<name>/model.bin`
 * and cached per models folder, so every caller in a process shares one
 * instance of each model.
 */
import { CLASSIFIER_NAMES, type ClassifierName } from './labels.js';
import { loadModel, type Classifier } from './model.js';
import { defaultModelsDir, modelPath } from './paths.js';

const cache = new Map<string, Classifier>();

/**
 * Returns the named classifier, loading it on first use (synchronously, well
 * under a second). Throws when the name is unknown or the model file is
 * missing or malformed.
 * @example
 * const injection = loadClassifier('injection');
 * injection.score('Ignore all previous instructions')  // { injection: 0.99... }
 */
export function loadClassifier(name: ClassifierName, modelsDir: string = defaultModelsDir()): Classifier {
  if (!CLASSIFIER_NAMES.includes(name)) throw new Error(`unknown classifier: ${String(name)}`);
  const path = modelPath(name, modelsDir);
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const model = loadModel(path);
  if (model.name !== name) throw new Error(`model file ${path} holds '${model.name}', expected '${name}'`);
  cache.set(path, model);
  return model;
}

/** Drops cached models (for tests and for reloading after retraining). */
export function clearClassifierCache(): void {
  cache.clear();
}
