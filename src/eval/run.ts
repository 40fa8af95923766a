/**
 * Command line: evaluates the shipped classifiers on the validation split of
 * ../shared/data and writes `docs/classifier-eval.md` and `docs/classifier-eval.json`.
 *
 *   node --import tsx src/eval/run.ts [--data <dir>] [--jsonl <file>] [--models <dir>]
 *     [--split validation|train|calibration|all] [--out <file.md>] [--json <file.json>] [--no-cards]
 *
 * Also refreshes the generated block of each `models/<name>/card.md` (unless
 * `--no-cards` or `--jsonl` is given).
 */
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadClassifier } from '../classifiers/registry.js';
import type { ClassifierName } from '../classifiers/labels.js';
import { defaultModelsDir, packageRoot } from '../classifiers/paths.js';
import { loadJsonl, type LabelledRecord, type Split } from '../classifiers/training/data.js';
import { evaluate } from './evaluate.js';
import { renderJson, renderMarkdown } from './report.js';
import { cardMetrics, updateCard } from './cards.js';
import { renderRobustness, robustness } from './robustness.js';
import { languageFlags, renderLanguageFlags } from './languages.js';
import { contentCatches, renderContentCatches } from './content.js';
import type { Classifier } from '../classifiers/model.js';
import { modelTargets, type HeldoutSets, type TargetResult } from './targets.js';

function targetTable(results: TargetResult[]): string {
  const rows = results.map((t) => {
    const v = t.name.includes('AUPRC') ? t.value.toFixed(4) : `${(t.value * 100).toFixed(1)}%`;
    const goal = t.name.includes('AUPRC') ? t.target.toFixed(2) : `${(t.target * 100).toFixed(1)}%`;
    const n = t.positives !== undefined ? ` (${t.positives} pos / ${t.negatives} neg)` : '';
    return `| ${t.name} | ${v} | ${t.direction} ${goal} | ${t.met ? 'met' : '**not met**'} | ${t.definition}${n} |`;
  });
  return ['| target | measured | goal | status | measured on |', '|---|---:|---:|---|---|', ...rows].join('\n');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      jsonl: { type: 'string', multiple: true },
      models: { type: 'string' },
      split: { type: 'string', default: 'validation' },
      out: { type: 'string' },
      json: { type: 'string' },
      'no-cards': { type: 'boolean', default: false },
    },
  });
  const root = packageRoot();
  const extraDir = join(root, 'src', 'classifiers', 'training', 'extra');
  const heldoutPath = join(extraDir, 'benign-scary.heldout.jsonl');
  const multilingualPath = join(extraDir, 'benign-multilingual.heldout.jsonl');
  const identityPath = join(extraDir, 'benign-identity.heldout.jsonl');
  const steeringPath = join(extraDir, 'benign-steering.heldout.jsonl');
  const contentPath = join(extraDir, 'moderation-content.heldout.jsonl');
  const tasksPath = join(extraDir, 'benign-tasks.heldout.jsonl');
  const responsesPath = join(extraDir, 'benign-responses.heldout.jsonl');
  const multilingual: LabelledRecord[] = loadJsonl(multilingualPath);
  // Hand-written, never fitted or used for thresholds (see the README beside them).
  const sets: HeldoutSets = {
    scary: loadJsonl(heldoutPath),
    multilingual,
    identity: loadJsonl(identityPath),
    steering: loadJsonl(steeringPath),
    hijack: loadJsonl(join(extraDir, 'injection-hijack.heldout.jsonl')),
    tasks: loadJsonl(tasksPath),
    taskAttacks: loadJsonl(join(extraDir, 'injection-tasks.heldout.jsonl')),
    responses: loadJsonl(responsesPath),
    content: loadJsonl(contentPath),
    shortThreats: loadJsonl(join(extraDir, 'moderation-short-threats.heldout.jsonl')),
    requests: loadJsonl(join(extraDir, 'harmful-request.heldout.jsonl')),
  };
  const scored = new Map<ClassifierName, Classifier>();
  const targets: TargetResult[] = [];
  const robust = new Map<ClassifierName, string>();
  const modelsDir = values.models !== undefined ? resolve(values.models) : undefined;
  const t0 = Date.now();
  const report = evaluate({
    ...(values.jsonl !== undefined ? { jsonl: values.jsonl } : { dataDir: values.data, split: values.split as Split | 'all' }),
    modelsDir,
    extraSets: [heldoutPath, multilingualPath, identityPath, steeringPath, tasksPath, responsesPath],
    onScores: (name: ClassifierName, records, scores) => {
      const rows = records.map((r, i) => ({ r, s: scores[i]! }));
      const model = loadClassifier(name, modelsDir);
      targets.push(...modelTargets(name, model, rows, sets));
      scored.set(name, model);
      if (name !== 'moderation') robust.set(name, renderRobustness(name, robustness(model, name, records)));
    },
  });
  report.data.source = report.data.source.split(', ').map((p) => relative(root, p) || '.').join(', ');
  const preamble = [
    '',
    '## Targets',
    '',
    'Measured on the validation split made from ../shared/data (20% of groups, never used for fitting, calibration or ' +
      'threshold choice; it includes records whose licences keep them out of training), or where a row says so on a ' +
      'hand-written held-out set (`src/classifiers/training/extra/*.heldout.jsonl`, never fitted). The project\'s own ' +
      'held-out data may differ.',
    '',
    targetTable(targets),
    '',
    '## Obfuscation robustness',
    '',
    ...robust.values(),
    '## Other languages',
    '',
    renderLanguageFlags(
      `Benign everyday prompts in other languages (\`${relative(root, multilingualPath)}\`, hand-written, never fitted), flagged by any label at the default thresholds:`,
      languageFlags(scored, multilingual),
    ),
    '## Clear-cut content',
    '',
    renderContentCatches(
      `Hand-written violating texts and benign texts on the same subjects (\`${relative(root, contentPath)}\`, never fitted), moderation at its default thresholds:`,
      contentCatches(scored.get('moderation') ?? loadClassifier('moderation', modelsDir), sets.content ?? []),
    ),
  ].join('\n');
  const md = join(root, 'docs', 'classifier-eval.md');
  const json = join(root, 'docs', 'classifier-eval.json');
  writeFileSync(resolve(values.out ?? md), renderMarkdown(report, preamble));
  writeFileSync(resolve(values.json ?? json), renderJson({ ...report, targets } as typeof report));
  if (!values['no-cards'] && values.jsonl === undefined) {
    const dir = modelsDir ?? defaultModelsDir();
    for (const m of report.models) {
      const mine = targets.filter((t) => t.model === m.name);
      const note = `the \`${report.data.split}\` split of ${report.data.records} records (${report.generatedAt.slice(0, 10)})`;
      updateCard(dir, m.name, cardMetrics(m.name, loadClassifier(m.name, modelsDir), m, mine, note, robust.get(m.name)));
    }
  }
  for (const t of targets) console.log(`${t.met ? 'met    ' : 'NOT MET'} ${t.name}: ${t.value.toFixed(4)} (goal ${t.direction} ${t.target})`);
  console.log(`evaluated ${report.data.records} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main();
