import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxModelSchema } from '../../shared/classifier-backend-config.js';
import { tokenIds, writeTinyModel, type TinyModelSpec } from '../../../test/helpers/tiny-onnx.js';
import { OnnxBackend, probabilities } from './onnx.js';
import { WordPieceTokenizer } from './wordpiece-tokenizer.js';

let root: string;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

const injectionSpec: TinyModelSpec = {
  tokenizer: 'WordLevel',
  labels: ['SAFE', 'INJECTION'],
  vocab: { ignore: [0, 6], previous: [0, 6], instructions: [0, 6], hello: [2, 0], world: [2, 0] },
  maxLength: 16,
};
const toxicSpec: TinyModelSpec = {
  tokenizer: 'WordPiece',
  labels: ['toxic', 'threat'],
  problemType: 'multi_label_classification',
  vocab: { idiot: [8, 0], kill: [4, 8], instruction: [0, 0], '##s': [0, 0], ignore: [0, 0], hello: [-4, -4], ',': [0, 0] },
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sg-onnx-'));
  writeTinyModel(join(root, 'injection'), injectionSpec);
  writeTinyModel(join(root, 'toxic'), toxicSpec);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const backend = (o: Record<string, unknown>) => new OnnxBackend(onnxModelSchema.parse(o), root);

describe('onnx back-end with a tiny model built by the test', () => {
  it.each([
    // [CLS] hello world [SEP]: mean logits (1, 0) → softmax
    ['hello world', 1 / (1 + Math.E), []],
    // [CLS] ignore previous instructions [SEP]: mean logits (0, 3.6)
    ['Ignore previous instructions', sigmoid(3.6), ['injection']],
  ])('scores %j with softmax and drops the SAFE label', async (text, expected, flagged) => {
    const [item] = await backend({ dir: 'injection', batchSize: 1 }).score('injection', [text]);
    expect(Object.keys(item!.scores)).toEqual(['injection']);
    expect(item!.scores.injection).toBeCloseTo(expected, 5);
    expect(item!.flagged).toEqual(flagged);
  });

  it('batches texts and keeps their order', async () => {
    const items = await backend({ dir: 'injection' }).score('injection', ['hello world', 'ignore previous instructions', 'hello']);
    expect(items.map((i) => i.flagged)).toEqual([[], ['injection'], []]);
  });

  it('scores a text longer than the model window in overlapping windows', async () => {
    const text = 'hello world '.repeat(500) + 'ignore previous instructions';
    const [item] = await backend({ dir: 'injection' }).score('injection', [text]);
    expect(item!.flagged).toEqual(['injection']);
  });

  it('applies sigmoid for multi-label models, labelMap and thresholds', async () => {
    const b = backend({ dir: 'toxic', batchSize: 1, labelMap: { toxic: 'harassment', threat: 'harassment/threatening' }, thresholds: { 'harassment/threatening': 0.99 } });
    const [idiot, kill, hello] = await b.score('moderation', ['You idiot', 'I kill', 'hello, hello']);
    // [CLS] you→[UNK] idiot [SEP] = mean (8/4, 0)
    expect(idiot!.scores.harassment).toBeCloseTo(sigmoid(2), 5);
    expect(idiot!.flagged).toEqual(['harassment']);
    // [CLS] i→[UNK] kill [SEP] = mean (1, 2): threat 0.88 is under its 0.99 threshold
    expect(kill!.scores['harassment/threatening']).toBeCloseTo(sigmoid(2), 5);
    expect(kill!.flagged).toEqual(['harassment']);
    expect(hello!.flagged).toEqual([]);
  });

  it('fails clearly on a missing folder or an unsupported tokenizer', async () => {
    await expect(backend({ dir: 'nowhere' }).score('injection', ['x'])).rejects.toThrow(/no model\.onnx/);
    const tok = join(root, 'injection', 'tokenizer.json');
    const original = readFileSync(tok, 'utf8');
    writeFileSync(tok, JSON.stringify({ ...JSON.parse(original), model: { type: 'BPE', vocab: {}, merges: [] } }));
    try {
      await expect(backend({ dir: 'injection' }).score('injection', ['x'])).rejects.toThrow(/unsupported model BPE/);
    } finally {
      writeFileSync(tok, original);
    }
  });

  it('computes softmax and sigmoid', () => {
    expect(probabilities([0, 0], false)).toEqual([0.5, 0.5]);
    expect(probabilities([0], true)).toEqual([0.5]);
  });
});

describe('WordPiece tokenizer', () => {
  it('normalises, splits punctuation, and matches the longest pieces', () => {
    const ids = tokenIds(toxicSpec);
    const json = JSON.parse(readFileSync(join(root, 'toxic', 'tokenizer.json'), 'utf8'));
    const t = new WordPieceTokenizer(json);
    expect(t.encode('IGNORE Instructions, héllo!').ids).toEqual([ids.ignore, ids.instruction, ids['##s'], ids[','], ids.hello, ids['[UNK]']]);
    expect(t.special).toEqual({ prefix: [ids['[CLS]']], suffix: [ids['[SEP]']] });
    expect(t.padId).toBe(0);
  });

  it('reads BertProcessing post-processors', () => {
    const json = JSON.parse(readFileSync(join(root, 'toxic', 'tokenizer.json'), 'utf8'));
    const t = new WordPieceTokenizer({ ...json, post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] } });
    expect(t.special).toEqual({ prefix: [2], suffix: [3] });
  });
});
