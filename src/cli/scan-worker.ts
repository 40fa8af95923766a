/**
 * Worker thread of `safegate scan`: loads the offline models once, then
 * scores batches of raw JSONL lines with the checks' default configuration
 * (the local back-end), so `flagged` is exactly the default policy's
 * decision. Bad lines are returned as problems with their line numbers; the
 * worker never stops on one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ClassifierHub } from '../classifiers/backends/hub.js';
import { scoreLine, scanChecks, type ScanBatch, type ScanBatchResult, type ScanWorkerData } from './scan-lines.js';

const data = workerData as ScanWorkerData;
const hub = new ClassifierHub({ config: data.modelsDir ? { modelsDir: data.modelsDir } : {} });
const checks = scanChecks(data.checks);
const port = parentPort!;

try {
  for (const c of checks) hub.local.classifier(c.kind);
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'fatal', message: (err as Error).message });
}

port.on('message', async (batch: ScanBatch) => {
  const result: ScanBatchResult = { type: 'batch', seq: batch.seq, out: '', problems: [], scored: 0, flagged: 0 };
  const lines: string[] = [];
  for (let i = 0; i < batch.lines.length; i++) {
    const r = await scoreLine(batch.lines[i]!, checks, hub);
    if (r === null) continue;
    if ('problem' in r) {
      result.problems.push({ line: batch.firstLine + i, problem: r.problem });
      continue;
    }
    result.scored++;
    if (r.flagged) result.flagged++;
    lines.push(r.json);
  }
  result.out = lines.length > 0 ? lines.join('\n') + '\n' : '';
  port.postMessage(result);
});
