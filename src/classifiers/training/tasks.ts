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
import type { DenseTrainOptions } from './dense.js';
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
  /**
   * Sub-category → category pairs of the taxonomy (e.g. `hate/threatening` →
   * `hate`). Training only: a record with the sub-category = 1 is a positive
   * for the category, and a record with the category = 0 is a negative for
   * the sub-category, when the record leaves that label absent.
   */
  hierarchy?: readonly (readonly [Label, Label])[];
  /**
   * Labels the taxonomy defines as the conjunction of others, stored in the
   * model and applied to its calibrated scores (see `ModelHeader.conjunctions`).
   */
  conjunctions?: readonly { label: Label; of: readonly Label[] }[];
  /** Sample weight per dataset (default 1; 0 leaves the dataset out), e.g. to keep request-style data from dominating content labels. */
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
  /**
   * Seed averaging: fit this many models on the same examples with different
   * shuffling seeds and average their float weights before quantisation
   * (variance reduction at no cost at run time). Default 1.
   */
  seedAverage?: number;
  /**
   * A dense head over pretrained word vectors (see `dense-head.ts`): the
   * vectors file relative to the models folder (read at training only), how
   * to fit it, and the blend weights to try on the calibration slice.
   */
  dense?: {
    vectors: string;
    train: DenseTrainOptions;
    blendGrid: readonly number[];
    /** Per-dataset sample weights for the head alone; absent datasets take `datasetWeights`. */
    datasetWeights?: Readonly<Record<string, number>>;
  };
  /** Short-text evidence pseudo-count stored in the model (see `ModelHeader.evidence`); default 16. */
  evidence?: number;
  /**
   * What short texts are pulled towards: `fixed` (-4 for every label, the
   * default) or `benign-median` (per label, the median logit of the benign
   * calibration texts; see `ModelHeader.evidencePrior`).
   */
  evidencePrior?: 'fixed' | 'benign-median';
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

/** Sub-category → category pairs of OpenAI's moderation taxonomy. */
const MODERATION_HIERARCHY: readonly (readonly [Label, Label])[] = [
  ['sexual/minors', 'sexual'], ['hate/threatening', 'hate'], ['harassment/threatening', 'harassment'],
  ['self-harm/intent', 'self-harm'], ['self-harm/instructions', 'self-harm'], ['violence/graphic', 'violence'],
  ['illicit/violent', 'illicit'],
];

/**
 * Windows of long texts, the same for every model: with the same features but
 * for table size, one extraction of a text serves them all at run time
 * (`shared-features.ts`).
 */
const WINDOWS: WindowSpec = { block: 50, sizes: [2, 4], stride: 1 };

const FEATURES: FeatureSpec = { version: 1, bits: 20, charMin: 3, charMax: 5, wordNgrams: 2 };

export const TASKS: Record<ClassifierName, TaskSpec> = {
  injection: {
    name: 'injection',
    description: 'Prompt injection and jailbreak attempts, direct (user input) and indirect (documents, tool results).',
    labels: CLASSIFIER_LABELS.injection,
    features: { ...FEATURES, bits: 22, repeatMarker: true },
    windows: WINDOWS,
    impliedNegatives: [],
    // Everyday prompts to an assistant are the negatives the 1% target is about, and a small share of the benign data:
    // weighted 8× (1, 2, 4, 8 and 16 compared on validation; see the model card). The extra Vietnamese and Swahili
    // prompts were written for moderation's and harmful_request's false positives in those languages; this model
    // flags 1 of the 40 held-out prompts in those languages without them, so it is not trained on them (see the card).
    // The hand-written moderation content (insults, threats, explicit and graphic texts, and benign texts on those
    // subjects) and harmful requests were written for those models' misses; this model flagged 1 of the 240 held-out
    // moderation texts, so it is not trained on either and stays as it was; nor on the short chat messages.
    datasetWeights: { benign_prompts: 8, 'extra:benign-vietnamese-swahili': 0, 'extra:moderation-content': 0, 'extra:moderation-content-2': 0, 'extra:moderation-content-4': 0, 'extra:harmful-request': 0, 'extra:harmful-request-2': 0, 'extra:harmful-request-3': 0, 'extra:moderation-short-threats': 0, 'extra:moderation-short-benign': 0, 'extra:moderation-short-insults': 0 },
    augment: { positive: 0.6, negative: 0.25, methods: ALL_METHODS, weight: 0.5 },
    // No class re-weighting, a stronger L2 and more short-text shrinkage: fewer confident
    // scores on short chat turns, so recall at a fixed false-positive rate rises.
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 1e-5, balance: 0 },
    evidence: 32,
    // Half the 1% budget on the (permissive-only, narrower) calibration slice, so broader traffic stays near 1%.
    thresholds: { injection: { kind: 'fpr', fpr: 0.005, hardNegativeRate: 0.04 } },
    defaultThreshold: { kind: 'fpr', fpr: 0.005, hardNegativeRate: 0.04 },
  },
  harmful_request: {
    name: 'harmful_request',
    description: 'Requests for dangerous or harmful assistance (as opposed to merely rude or dark language).',
    labels: CLASSIFIER_LABELS.harmful_request,
    features: { ...FEATURES, bits: 22 },
    windows: WINDOWS,
    impliedNegatives: [{ datasets: CONTENT_DATASETS, weight: 1 }],
    // Written for moderation's misses. Its benign texts changed little here (5 instead of 6 of the 240 held-out texts
    // flagged) and raised the benign-but-scary flag rate from 1.3% to 3.8%, so this model is not trained on them, nor on
    // the short chat messages written for moderation's threats.
    datasetWeights: { 'extra:moderation-content': 0, 'extra:moderation-content-2': 0, 'extra:moderation-content-4': 0, 'extra:moderation-short-threats': 0, 'extra:moderation-short-benign': 0, 'extra:moderation-short-insults': 0 },
    augment: { positive: 0.3, negative: 0.1, methods: ALL_METHODS, weight: 0.5 },
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 1e-6, balance: 0.5 },
    evidence: 32,
    // The calibration slice is permissive-only and narrower than real traffic; 1% there lands near 5% on validation.
    // At most 3% of the hand-written benign-but-scary calibration prompts may be flagged.
    thresholds: { harmful_request: { kind: 'fpr', fpr: 0.01, hardNegativeRate: 0.03 } },
    defaultThreshold: { kind: 'fpr', fpr: 0.01, hardNegativeRate: 0.03 },
  },
  moderation: {
    name: 'moderation',
    description: "Content moderation over OpenAI's taxonomy, one calibrated score per category.",
    labels: MODERATION_LABELS,
    // 2^18 buckets (2^19 before the dense head): with the head, halving the table cost 0.004 of mean
    // AUPRC on validation and makes fewer cache misses in the gateway.
    features: { ...FEATURES, bits: 18 },
    windows: WINDOWS,
    impliedNegatives: [],
    weakLabels: [
      { dataset: 'surge_toxicity', when: (r) => r.meta.is_toxic === 1, labels: { harassment: 1 }, weight: 0.5 },
      // Davidson's "offensive" and "hate" tweets are mostly insults aimed at someone; the
      // dataset only labels `hate`, so they are weak `harassment` positives (that label only).
      { dataset: 'davidson_hate_offensive', when: (r) => r.meta.davidson_class !== 'neither', labels: { harassment: 1 }, weight: 0.35 },
    ],
    hierarchy: MODERATION_HIERARCHY,
    // OpenAI's definitions: hateful (harassing) content that also includes violence or serious harm. Measured
    // on validation with the previous model (AUPRC): hate/threatening 0.451 -> 0.495, harassment/threatening
    // 0.708 -> 0.786; a product instead of the minimum, or an average with the label's own score, did less well overall.
    conjunctions: [
      { label: 'hate/threatening', of: ['hate', 'violence'] },
      { label: 'harassment/threatening', of: ['harassment', 'violence'] },
    ],
    // Their moderation labels describe what a request asks for, not harmful content itself.
    // 0.5 (was 0.3): with the averaged fits below, slightly higher "any" AUPRC and fewer flagged benign texts.
    // The benign steering prompts were written for the injection model's false positives (this model flagged none of
    // the held-out ones), the harmful requests for harmful_request's misses: neither is trained here.
    datasetWeights: { harmful_requests: 0.5, multijail_multilingual_requests: 0.5, 'extra:benign-steering': 0, 'extra:harmful-request': 0, 'extra:harmful-request-2': 0, 'extra:harmful-request-3': 0 },
    augment: { positive: 0.1, negative: 0.03, methods: ['leet', 'spaced', 'homoglyph', 'zero-width', 'case'], weight: 0.5 },
    // No class re-weighting (rare categories up-weighted fired on everyday chat), a
    // stronger L2, and strong short-text shrinkage (short chat turns were the main
    // source of confident false positives).
    // Variance reduction at no run-time cost: the weights are averaged over the last 5 epochs
    // of each fit and over 3 fits with different shuffling seeds, before quantisation.
    train: { epochs: 8, warmup: 2, lr: 0.2, l2: 3e-5, balance: 0, average: 5 },
    seedAverage: 3,
    evidence: 64,
    // Rare labels' benign texts score far below -4, so a fixed -4 made short texts look more suspicious than
    // ordinary ones; the median benign logit is what "no evidence" means (validation: 0.888 / 0.724 -> 0.897 / 0.750).
    evidencePrior: 'benign-median',
    // Generalises beyond the training wording (see the model card). The blend is chosen on the calibration slice.
    dense: {
      vectors: 'word-vectors/vectors.bin',
      // One network of 32 units scored like three of 64 on validation, and each unit costs a table byte a word.
      train: { hidden: 32, seeds: 1, epochs: 12, lr: 2e-3, l2: 1e-4 },
      blendGrid: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5],
      // The short chat messages (threats, insults, urgings, look-alikes) train the n-gram weights only: in the head too
      // (weight 1 or 0.3) they caught more short threats but lowered validation AUPRC of `violence`, `self-harm` and the
      // threatening sub-categories (see the model card); in the n-gram weights only, `harassment/threatening` rose.
      datasetWeights: { 'extra:moderation-short-threats': 0, 'extra:moderation-short-benign': 0, 'extra:moderation-short-insults': 0 },
    },
    thresholds: {},
    defaultThreshold: { kind: 'fbeta', beta: 0.5, min: 0.5, maxFpr: 0.005, hardNegativeRate: 0.01 },
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
 * additionally applies the task's dataset rules, weak labels and the
 * taxonomy (`hierarchy`), which are training-only.
 */
export function taskLabels(task: TaskSpec, r: LabelledRecord, impliedNegatives: boolean): Int8Array {
  return taskLabelsWeighted(task, r, impliedNegatives).y;
}

/**
 * `taskLabels` plus per-label weight multipliers: a weak label on a record
 * that also has labels of its own gets the weak rule's weight for that label
 * only (`w` is undefined when every label has weight 1).
 */
export function taskLabelsWeighted(task: TaskSpec, r: LabelledRecord, impliedNegatives: boolean): { y: Int8Array; w?: Float32Array } {
  const y = new Int8Array(task.labels.length);
  let w: Float32Array | undefined;
  const implied = impliedNegatives && task.impliedNegatives.some((g) => g.datasets.includes(r.dataset));
  const weak = impliedNegatives ? task.weakLabels?.find((g) => g.dataset === r.dataset && g.when(r)) : undefined;
  const own = weak !== undefined && task.labels.some((l) => r.labels[l] !== undefined);
  const given = (label: Label): 0 | 1 | undefined => {
    let v = r.labels[label];
    if (v === undefined && impliedNegatives && task.hierarchy !== undefined) {
      for (const [child, parent] of task.hierarchy) {
        if (label === parent && r.labels[child] === 1) v = 1;
        else if (label === child && r.labels[parent] === 0 && v === undefined) v = 0;
      }
    }
    return v;
  };
  task.labels.forEach((label, j) => {
    const v = given(label);
    const wv = v === undefined ? weak?.labels[label] : undefined;
    if (wv !== undefined && own) (w ??= new Float32Array(task.labels.length).fill(1))[j] = weak!.weight;
    const u = v ?? wv;
    y[j] = u !== undefined ? u : r.labels.benign === 1 || implied ? 0 : -1;
  });
  return w !== undefined ? { y, w } : { y };
}
