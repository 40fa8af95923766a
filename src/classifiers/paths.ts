/**
 * Locations of shipped model files. Resolved from this module's URL up to the
 * folder holding `package.json`, so the same code works from `src/` (tsx,
 * vitest) and from the compiled `dist/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The package root (the nearest ancestor folder with a package.json). */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the classifiers module');
    dir = up;
  }
}

/** Default folder of the shipped models: `<package root>/models`. */
export function defaultModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** Path of a model file: `<modelsDir>/<name>/model.bin`. */
export function modelPath(name: string, modelsDir = defaultModelsDir()): string {
  return join(modelsDir, name, 'model.bin');
}
