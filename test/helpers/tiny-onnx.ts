/**
 * Builds a tiny text-classification model folder in the layout the ONNX
 * back-end (and transformers.js) reads: `onnx/model.onnx`, `config.json`,
 * `tokenizer.json`, `tokenizer_config.json`.
 *
 * The graph is Gather(embedding) → ReduceMean(axis 1) → MatMul(identity) →
 * Add(zero bias) → `logits`, so a text's logits are the mean of its tokens'
 * embedding rows (special tokens included): easy to compute by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

export interface TinyModelSpec {
  tokenizer: 'WordLevel' | 'WordPiece';
  /** token → embedding row (one value per label); the special tokens are added with zero rows */
  vocab: Record<string, number[]>;
  labels: string[];
  problemType?: 'single_label_classification' | 'multi_label_classification';
  maxLength?: number;
}

export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];

function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function dims(...d: Array<number | string>) {
  return onnx.TensorShapeProto.create({
    dim: d.map((x) => onnx.TensorShapeProto.Dimension.create(typeof x === 'number' ? { dimValue: x } : { dimParam: x })),
  });
}

function valueInfo(name: string, elemType: number, shape: ReturnType<typeof dims>) {
  return onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType, shape }) }) });
}

/** Token ids in vocab order: the specials first, then `spec.vocab`'s keys. */
export function tokenIds(spec: TinyModelSpec): Record<string, number> {
  return Object.fromEntries([...SPECIALS, ...Object.keys(spec.vocab)].map((t, i) => [t, i]));
}

export function modelBytes(spec: TinyModelSpec): Uint8Array {
  const L = spec.labels.length;
  const rows = [...SPECIALS.map(() => new Array<number>(L).fill(0)), ...Object.values(spec.vocab)];
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const identity = Array.from({ length: L * L }, (_, i) => (i % (L + 1) === 0 ? 1 : 0));
  const graph = onnx.GraphProto.create({
    name: 'tiny-classifier',
    node: [
      onnx.NodeProto.create({ opType: 'Gather', input: ['embedding', 'input_ids'], output: ['embedded'] }),
      onnx.NodeProto.create({
        opType: 'ReduceMean', input: ['embedded'], output: ['pooled'],
        attribute: [
          onnx.AttributeProto.create({ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }),
          onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
        ],
      }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['pooled', 'weight'], output: ['projected'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['projected', 'bias'], output: ['logits'] }),
    ],
    initializer: [
      onnx.TensorProto.create({ name: 'embedding', dims: [rows.length, L], dataType: FLOAT, rawData: f32(rows.flat()) }),
      onnx.TensorProto.create({ name: 'weight', dims: [L, L], dataType: FLOAT, rawData: f32(identity) }),
      onnx.TensorProto.create({ name: 'bias', dims: [L], dataType: FLOAT, rawData: f32(new Array<number>(L).fill(0)) }),
    ],
    input: [valueInfo('input_ids', 7, dims('batch', 'sequence')), valueInfo('attention_mask', 7, dims('batch', 'sequence'))],
    output: [valueInfo('logits', 1, dims('batch', L))],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [onnx.OperatorSetIdProto.create({ version: 13 })], graph, producerName: 'safegate-tests' });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the model folder into `dir`. */
export function writeTinyModel(dir: string, spec: TinyModelSpec): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), modelBytes(spec));
  const id2label = Object.fromEntries(spec.labels.map((l, i) => [String(i), l]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    model_type: 'bert', architectures: ['BertForSequenceClassification'], id2label,
    label2id: Object.fromEntries(spec.labels.map((l, i) => [l, i])),
    ...(spec.problemType ? { problem_type: spec.problemType } : {}),
  }));
  const vocab = tokenIds(spec);
  const wordPiece = spec.tokenizer === 'WordPiece';
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0',
    truncation: spec.maxLength ? { direction: 'Right', max_length: spec.maxLength, strategy: 'LongestFirst', stride: 0 } : null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: wordPiece ? { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true } : { type: 'Lowercase' },
    pre_tokenizer: wordPiece ? { type: 'BertPreTokenizer' } : { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: null,
    model: wordPiece
      ? { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab }
      : { type: 'WordLevel', unk_token: '[UNK]', vocab },
  }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: spec.maxLength ?? 512, tokenizer_class: 'BertTokenizer' }));
}
