/**
 * `safegate scan --checks moderation,injection,harmful --in in.jsonl --out out.jsonl`
 *
 * Streams the input (a 1 GB file is never held in memory): lines are read in
 * batches and scored by a pool of worker threads (one per core by default),
 * each loading the models once. Output lines keep the input order through a
 * bounded reorder buffer. Bad lines go to stderr as `line N: <problem>` and
 * are counted; scanning goes on. A progress bar shows on a terminal.
 */
import { existsSync, statSync, createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { SCAN_CHECK_NAMES, scanChecks, type ScanBatch, type ScanBatchResult, type ScanWorkerData } from '../scan-lines.js';

export interface ScanOptions {
  input: string;
  output: string;
  checks: string[];
  workers?: number;
  modelsDir?: string;
  /** lines per batch sent to a worker */
  batchLines?: number;
  /** where problems, the progress bar and the summary go (default stderr) */
  log?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ScanSummary {
  lines: number;
  scored: number;
  flagged: number;
  bad: number;
  seconds: number;
  workers: number;
}

/** The worker script next to this module: compiled `.js` in dist/, `.ts` under tsx or vitest (loaded through tsx). */
function startWorker(data: ScanWorkerData): Worker {
  const js = new URL('../scan-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const ts = new URL('../scan-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(ts)}, ${JSON.stringify(ts)}))`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

export async function scanFile(options: ScanOptions): Promise<ScanSummary> {
  const started = performance.now();
  scanChecks(options.checks);
  const log = options.log ?? process.stderr;
  const count = Math.max(1, options.workers ?? availableParallelism());
  const batchLines = options.batchLines ?? 256;
  const data: ScanWorkerData = { checks: options.checks, ...(options.modelsDir ? { modelsDir: options.modelsDir } : {}) };

  const pool: PoolWorker[] = [];
  const queue: ScanBatch[] = [];
  const dispatch = () => {
    for (const w of pool) {
      if (queue.length === 0) return;
      if (!w.busy) {
        w.busy = true;
        w.worker.postMessage(queue.shift()!);
      }
    }
  };
  let failure: Error | null = null;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const done = new Map<number, ScanBatchResult>();
  const summary: ScanSummary = { lines: 0, scored: 0, flagged: 0, bad: 0, seconds: 0, workers: count };

  const input = options.input === '-' ? process.stdin : createReadStream(options.input);
  const total = options.input === '-' ? 0 : statSync(options.input).size;
  const out: WriteStream | NodeJS.WriteStream = options.output === '-' ? process.stdout : createWriteStream(options.output);
  const tty = log.isTTY === true;
  const bars = tty ? new cliProgress.MultiBar({ stream: log as NodeJS.WriteStream, noTTYOutput: false, hideCursor: true, format: 'scan [{bar}] {percentage}% | {lines} lines | {flagged} flagged | {bad} bad | ETA {eta_formatted}' }, cliProgress.Presets.shades_classic) : null;
  const bar = bars?.create(Math.max(total, 1), 0, { lines: 0, flagged: 0, bad: 0 }) ?? null;
  const report = (text: string) => (bars ? bars.log(text + '\n') : log.write(text + '\n'));
  let shown = 0;
  // The ETA is re-estimated only when the value moves: a repeated value would make it 0/0.
  const progress = (value: number) => {
    if (!bar) return;
    const payload = { lines: summary.lines, flagged: summary.flagged, bad: summary.bad };
    if (value > shown) bar.update((shown = value), payload);
    else bar.update(payload);
  };

  try {
    await Promise.all(
      Array.from({ length: count }, () =>
        new Promise<void>((resolve, reject) => {
          const w: PoolWorker = { worker: startWorker(data), busy: false };
          pool.push(w);
          w.worker.once('error', reject);
          w.worker.on('message', (m: { type: string; message?: string } | ScanBatchResult) => {
            if (m.type === 'ready') return resolve();
            if (m.type === 'fatal') return reject(new Error((m as { message: string }).message));
            w.busy = false;
            done.set((m as ScanBatchResult).seq, m as ScanBatchResult);
            dispatch();
            wake();
          });
          w.worker.on('error', (err) => {
            failure ??= err;
            wake();
          });
        }),
      ),
    );

    let nextToWrite = 0;
    let sent = 0;
    const writeReady = async () => {
      for (let r = done.get(nextToWrite); r; r = done.get(nextToWrite)) {
        done.delete(nextToWrite++);
        for (const p of r.problems) report(`line ${p.line}: ${p.problem}`);
        summary.bad += r.problems.length;
        summary.scored += r.scored;
        summary.flagged += r.flagged;
        if (r.out && !out.write(r.out)) await new Promise<void>((resolve) => out.once('drain', resolve));
      }
      progress(Math.min(total, (input as { bytesRead?: number }).bytesRead ?? 0));
    };
    const wait = () => new Promise<void>((resolve) => waiters.push(resolve));
    // At most this many batches are read but not yet written: memory stays bounded whatever the file size.
    const maxInFlight = count * 3;
    const submit = async (batch: ScanBatch) => {
      queue.push(batch);
      sent++;
      dispatch();
      while (sent - nextToWrite >= maxInFlight) {
        if (failure) throw failure;
        await writeReady();
        // Checking and starting to wait happen in one synchronous step, so no result can slip in between.
        if (sent - nextToWrite >= maxInFlight && !done.has(nextToWrite)) await wait();
      }
    };

    let lines: string[] = [];
    let firstLine = 1;
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      summary.lines++;
      lines.push(line);
      if (lines.length >= batchLines) {
        await submit({ seq: sent, firstLine, lines });
        firstLine += lines.length;
        lines = [];
      }
    }
    if (lines.length > 0) await submit({ seq: sent, firstLine, lines });
    while (nextToWrite < sent) {
      if (failure) throw failure;
      await writeReady();
      if (nextToWrite < sent && !done.has(nextToWrite)) await wait();
    }
    progress(Math.max(total, 1));
  } finally {
    bars?.stop();
    if (input !== process.stdin) input.destroy();
    await Promise.all(pool.map((w) => w.worker.terminate()));
    if (out !== process.stdout) await new Promise<void>((resolve) => (out as WriteStream).end(resolve));
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('Score a JSONL file ({"id","text"} per line) with the offline classifiers; writes {"id","flagged","scores"} per line')
    .requiredOption('--in <file>', 'input JSONL file ("-" for stdin)')
    .requiredOption('--out <file>', 'output JSONL file ("-" for stdout)')
    .option('--checks <list>', `comma-separated checks: ${SCAN_CHECK_NAMES.join(', ')}`, SCAN_CHECK_NAMES.join(','))
    .option('--workers <n>', 'worker threads (default: one per core)', (v) => Number.parseInt(v, 10))
    .option('--models <dir>', 'folder of the model files (default: the shipped models)')
    .action(async (opts: { in: string; out: string; checks: string; workers?: number; models?: string }) => {
      const checkNames = opts.checks.split(',').map((s) => s.trim()).filter(Boolean);
      try {
        scanChecks(checkNames);
        if (opts.in !== '-' && !existsSync(opts.in)) throw new Error(`no such file: ${opts.in}`);
      } catch (err) {
        process.stderr.write(`safegate scan: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const s = await scanFile({ input: opts.in, output: opts.out, checks: checkNames, ...(opts.workers ? { workers: opts.workers } : {}), ...(opts.models ? { modelsDir: opts.models } : {}) });
      const rate = s.seconds > 0 ? Math.round(s.scored / s.seconds) : s.scored;
      process.stderr.write(`scanned ${s.scored} of ${s.lines} lines in ${s.seconds.toFixed(1)} s (${rate} lines/s, ${s.workers} workers): ${s.flagged} flagged, ${s.bad} bad\n`);
    });
}
