/**
 * Tiny stand-ins for Safegate's shipped classifiers: each label scores high
 * when one of its trigger phrases occurs (case-insensitive) and low
 * otherwise. They implement the real `Classifier` interface, so checks and
 * back-ends are tested without the trained model files.
 */
import type { Classifier, ModelHeader, Scores } from '../../src/classifiers/model.js';
import { MODERATION_LABELS } from '../../src/classifiers/labels.js';
import { ClassifierHub, type HubOptions } from '../../src/classifiers/backends/hub.js';
import { LocalBackend } from '../../src/classifiers/backends/local.js';
import type { ClassifierKind } from '../../src/shared/classifier-backend-config.js';

/** phrase → score, per label */
export type Rules = Record<string, Record<string, number>>;

export const LOW = 0.01;
export const THRESHOLD = 0.6;

export function keywordClassifier(name: string, labels: readonly string[], rules: Rules): Classifier & { calls: number } {
  const thresholds = Object.fromEntries(labels.map((l) => [l, THRESHOLD]));
  const header = { formatVersion: 1, name, labels: [...labels], thresholds } as unknown as ModelHeader;
  const c = {
    name,
    labels,
    thresholds,
    header,
    calls: 0,
    score(text: string): Scores {
      c.calls++;
      const lower = text.toLowerCase();
      const out: Scores = {};
      for (const l of labels) {
        let s = LOW;
        for (const [phrase, value] of Object.entries(rules[l] ?? {})) if (lower.includes(phrase) && value > s) s = value;
        out[l] = s;
      }
      return out;
    },
    scoreBatch(texts: readonly string[]): Scores[] {
      return texts.map((t) => c.score(t));
    },
    logits(text: string): Float64Array {
      const s = c.score(text);
      return Float64Array.from(labels.map((l) => Math.log(s[l]! / (1 - s[l]!))));
    },
    flagged(scores: Scores): string[] {
      return labels.filter((l) => (scores[l] ?? 0) >= THRESHOLD);
    },
  };
  return c;
}

/** The three test models. `uncertain` phrases score 0.5: inside the default cascade band, below the threshold. */
export function testModels(): Record<ClassifierKind, Classifier & { calls: number }> {
  return {
    injection: keywordClassifier('injection', ['injection'], {
      injection: { 'ignore previous instructions': 0.97, 'developer mode': 0.93, 'maybe-injection': 0.5 },
    }),
    moderation: keywordClassifier('moderation', MODERATION_LABELS, {
      'harassment/threatening': { 'i will kill you': 0.95 },
      violence: { 'i will kill you': 0.9, 'uncertain-violence': 0.5 },
      hate: { 'hateword': 0.92 },
    }),
    harmful_request: keywordClassifier('harmful_request', ['harmful_request'], {
      harmful_request: { 'build a bomb': 0.96, 'maybe-harmful': 0.5 },
    }),
  };
}

/** A hub whose local back-end serves the test models. */
export function testHub(options: HubOptions = {}, models = testModels()): ClassifierHub {
  return new ClassifierHub({ ...options, local: new LocalBackend(undefined, (kind) => models[kind]) });
}
