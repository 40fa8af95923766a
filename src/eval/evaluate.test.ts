import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Classifier, Scores } from '../classifiers/model.js';
import { evaluate, evalLabel } from './evaluate.js';
import { renderJson, renderMarkdown } from './report.js';

/** A stand-in classifier: scores a text by whether it contains "attack". */
function keywordModel(): Classifier {
  const score = (t: string): Scores => ({ injection: t.includes('attack') ? 0.9 : t.includes('maybe') ? 0.6 : 0.1 });
  return {
    name: 'injection', labels: ['injection'], thresholds: { injection: 0.5 },
    header: { formatVersion: 1, name: 'injection', labels: ['injection'], features: { version: 1, bits: 8, charMin: 3, charMax: 5, wordNgrams: 2 }, bias: [0], scale: [1], calibration: [{ a: 1, b: 0 }], thresholds: { injection: 0.5 } },
    score, scoreBatch: (ts) => ts.map(score), logits: () => new Float64Array(1),
    flagged: (s) => ((s.injection ?? 0) >= 0.5 ? ['injection'] : []),
  };
}

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-eval-'));
  const path = join(dir, 'data.jsonl');
  const rows = [
    { text: 'an attack on the prompt', labels: { injection: 1 }, source: 'a' },
    { text: 'another attack', labels: { injection: 1 }, source: 'a' },
    { text: 'maybe not', labels: { injection: 0 }, source: 'b' },
    { text: 'hello there, a long benign message '.repeat(5), labels: { benign: 1 }, source: 'b' },
    { text: 'no label at all', labels: {}, source: 'c' },
  ];
  writeFileSync(path, rows.map((r, i) => JSON.stringify({ id: String(i), license: 'MIT', meta: {}, ...r })).join('\n'));
  return path;
}

describe('evaluate', () => {
  it('scores a labelled JSONL file, slices it and skips unknown labels', () => {
    const report = evaluate({ jsonl: fixture(), models: { injection: keywordModel() } });
    expect(report.data.records).toBe(5);
    const m = report.models[0]!.labels[0]!;
    expect(m.label).toBe('injection');
    expect(m.n).toBe(4);
    expect(m.positives).toBe(2);
    expect(m.auc).toBe(1);
    expect(m.atDefault.recall).toBe(1);
    expect(m.atDefault.fpr).toBe(0.5);
    expect(m.bySource.map((s) => s.slice)).toEqual(['a', 'b']);
    expect(m.byLength.map((s) => s.slice)).toEqual(['<100', '100-500']);
    expect(m.table.map((t) => t.threshold)).toContain(0.5);
    const md = renderMarkdown(report);
    expect(md).toContain('## injection');
    expect(md).toContain('| a |');
    expect(JSON.parse(renderJson(report)).models[0].name).toBe('injection');
  });

  it('treats benign records as negatives and absent labels as unknown', () => {
    const r = { id: 'x', text: 't', source: 's', license: 'MIT', dataset: 'd', meta: {} };
    expect(evalLabel({ ...r, labels: { benign: 1 } }, 'hate')).toBe(0);
    expect(evalLabel({ ...r, labels: {} }, 'hate')).toBeUndefined();
    expect(evalLabel({ ...r, labels: { violence: 1 } }, 'any')).toBe(1);
    expect(evalLabel({ ...r, labels: { hate: 0 } }, 'any')).toBeUndefined();
  });
});
