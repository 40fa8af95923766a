/**
 * What each shipped classifier is trained on and how: labels, features,
 * label derivation, augmentation, optimiser settings and threshold policy.
 * Changing a value here and re-running `train.ts` reproduces a model.
 */
import type { FeatureSpec, WindowSpec } from '../features.js';
import { CLASSIFIER_LABELS, MODERATION_LABELS, type ClassifierName, type Label } from '../labels.js';
import type { AugmentMethod } from './augment.js';
import type { ThresholdPolicy } from './calibrate.js';
import type { LabelledRecord } from './data.js';
import type { TrainOptions } from './sgd.js';

export interface TaskSpec {
  name: ClassifierName;
  description: string;
  labels: readonly Label[];
  features: FeatureSpec;
  windows?: WindowSpec;
  /**
   * Datasets whose records are, by construction, negatives for this task
   * although the label is absent (e.g. tweets are not prompt injections),
   * with the sample weight such records get. Training only; evaluation uses
   * the labels as given.
   */
  impliedNegatives: readonly { datasets: readonly string[]; weight: number }[];
  /**
   * Weak labels a dataset's README suggests for records it leaves unlabelled
   * (e.g. Surge's toxic comments as weak harassment positives), with the
   * sample weight such records get. Training only.
   */
  weakLabels?: readonly { dataset: string; when: (r: LabelledRecord) => boolean; labels: Partial<Record<Label, 0 | 1>>; weight: number }[];
  /** Sample weight per dataset (default 1), e.g. to keep request-style data from dominating content labels. */
  datasetWeights?: Readonly<Record<string, number>>;
  augment: {
    /** Probability of adding one obfuscated copy of a training record, by its label. */
    positive: number;
    negative: number;
    methods: readonly AugmentMethod[];
    /** Sample weight of an augmented copy. */
    weight: number;
  };
  train: Omit<TrainOptions, 'seed' | 'log'>;
  thresholds: Partial<Record<Label, ThresholdPolicy>>;
  /** Policy for labels not listed in `thresholds`. */
  defaultThreshold: ThresholdPolicy;
}

/** Social-media, testimony and reference corpora: statements, not requests or instructions to a model. */
const CONTENT_DATASETS = [
  'davidson_hate_offensive', 'toxigen_prompt_sentences', 'hatecheck_functional_tests', 'surge_toxicity',
  'olid_offensive', 'gab_hate_corpus', 'ethos_hate_violence', 'germeval_violence_de',
  'genocide_transcripts_violence', 'sdcnl_suicide_depression', 'medquad_medical_answers',
];

const ALL_METHODS: readonly AugmentMethod[] = [
  'base64', 'hex', 'rot13', 'leet', 'spaced', 'homoglyph', 'zero-width', 'reversed', 'url', 'fullwidth',
  'binary', 'morse', 'case',
];

const FEATURES: FeatureSpec = { version: 1, bits: 20, charMin: 3, charMax: 5, wordNgrams: 2 };

export const TASKS: Record<ClassifierName, TaskSpec> = {
  injection: {
    name: 'injection',
    description: 'Prompt injection and jailbreak attempts, direct (user input) and indirect (documents, tool results).',
    labels: CLASSIFIER_LABELS.injection,
    features: { ...FEATURES, bits: 22, repeatMarker: true },
    windows: { block: 50, sizes: [2, 4], stride: 1 },
    impliedNegatives: [],
    augment: { positive: 0.6, negative: 0.25, methods: ALL_METHODS, weight: 0.5 },
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 1e-6, balance: 0.5 },
    // Half the 1% budget on the (permissive-only, narrower) calibration slice, so broader traffic stays near 1%.
    thresholds: { injection: { kind: 'fpr', fpr: 0.005, hardNegativeRate: 0.04 } },
    defaultThreshold: { kind: 'fpr', fpr: 0.005, hardNegativeRate: 0.04 },
  },
  harmful_request: {
    name: 'harmful_request',
    description: 'Requests for dangerous or harmful assistance (as opposed to merely rude or dark language).',
    labels: CLASSIFIER_LABELS.harmful_request,
    features: { ...FEATURES, bits: 22 },
    windows: { block: 50, sizes: [2, 4], stride: 1 },
    impliedNegatives: [{ datasets: CONTENT_DATASETS, weight: 1 }],
    augment: { positive: 0.3, negative: 0.1, methods: ALL_METHODS, weight: 0.5 },
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 1e-6, balance: 0.5 },
    // The calibration slice is permissive-only and narrower than real traffic; 1% there lands near 5% on validation.
    thresholds: { harmful_request: { kind: 'fpr', fpr: 0.01, hardNegativeRate: 0.04 } },
    defaultThreshold: { kind: 'fpr', fpr: 0.01, hardNegativeRate: 0.04 },
  },
  moderation: {
    name: 'moderation',
    description: "Content moderation over OpenAI's taxonomy, one calibrated score per category.",
    labels: MODERATION_LABELS,
    features: { ...FEATURES, bits: 19 },
    windows: { block: 50, sizes: [2, 4], stride: 1 },
    impliedNegatives: [],
    weakLabels: [
      { dataset: 'surge_toxicity', when: (r) => r.meta.is_toxic === 1, labels: { harassment: 1 }, weight: 0.5 },
    ],
    // Their moderation labels describe what a request asks for, not harmful content itself.
    datasetWeights: { harmful_requests: 0.3, multijail_multilingual_requests: 0.3 },
    augment: { positive: 0.1, negative: 0.03, methods: ['leet', 'spaced', 'homoglyph', 'zero-width', 'case'], weight: 0.5 },
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 1e-6, balance: 0.25 },
    thresholds: {},
    defaultThreshold: { kind: 'fbeta', beta: 0.5, min: 0.5, hardNegativeRate: 0.01 },
  },
};

/** Weight of a record whose labels are implied by its dataset, or undefined when no rule applies. */
export function impliedWeight(task: TaskSpec, r: LabelledRecord): number | undefined {
  return task.impliedNegatives.find((g) => g.datasets.includes(r.dataset))?.weight ??
    task.weakLabels?.find((g) => g.dataset === r.dataset && g.when(r))?.weight;
}

/**
 * Labels of a record for a task: 1, 0, or -1 (unknown). A record marked
 * `benign = 1` is a negative for every task label; `impliedNegatives`
 * additionally applies the task's dataset rules.
 */
export function taskLabels(task: TaskSpec, r: LabelledRecord, impliedNegatives: boolean): Int8Array {
  const y = new Int8Array(task.labels.length);
  const implied = impliedNegatives && task.impliedNegatives.some((g) => g.datasets.includes(r.dataset));
  const weak = impliedNegatives ? task.weakLabels?.find((g) => g.dataset === r.dataset && g.when(r)) : undefined;
  task.labels.forEach((label, j) => {
    const v = r.labels[label] ?? weak?.labels[label];
    y[j] = v !== undefined ? v : r.labels.benign === 1 || implied ? 0 : -1;
  });
  return y;
}
