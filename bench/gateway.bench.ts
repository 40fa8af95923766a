/**
 * `npm run bench`: Safegate's overhead, side by side with a direct call to the
 * provider and a bare pass-through proxy, in one run.
 *
 * The mock provider, the bare proxy and Safegate each run in their own process;
 * autocannon runs here, so the load generator never shares an event loop with
 * what it measures. For each mode (JSON, SSE stream): every target is warmed
 * up, then measured at fixed connections (throughput) and at one connection
 * (latency), in slices interleaved across the targets.
 * A sequential loop then measures streaming time to first byte. Before any of
 * it, one request per target and mode must come back intact.
 *
 * Options: --connections N (16), --duration S (8), --latency-duration S (6),
 * --warmup S (2, the least warm-up), --quick (short runs, report not saved), --profile (CPU
 * profile of Safegate during its throughput runs, summarised at the end),
 * --compiled (compile src/ with tsc into bench/.build/ first and run that:
 * production-like code, and source lines in profiles), --publish (also put the
 * table and verdicts between the bench markers of README.md and docs/benchmark.md),
 * --checks all|no-classifiers|none (Safegate's policy: as shipped, without the
 * offline classifiers, or without any check; only `all` may be published).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { idleCheck, startCpuWindow } from './cpu.js';
import { closePools, measureFirstByte, probe, runLoad, stopLoad, summarize, type FirstByteResult, type LoadSample, type Target } from './load.js';
import { killAll, startServer, type Server } from './processes.js';
import { summarizeProfile } from './profile-summary.js';
import { updateMarkedBlock } from './publish.js';
import { FOREIGN_LOAD_LIMIT, machineFacts, renderReport, renderSummary, TARGETS, type Row, type TargetName } from './report.js';
import { ANSWER_CHARS, buildTextPool, PROMPT_CHARS, STREAM_CHUNK_CHARS, usePool, type Mode } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '16' },
    duration: { type: 'string', default: '8' },
    'latency-duration': { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
    checks: { type: 'string', default: 'all' },
    publish: { type: 'boolean', default: false },
    data: { type: 'string', default: join(here, '..', '..', 'shared', 'data') },
  },
});

const connections = Number(args.connections);
if (!['all', 'no-classifiers', 'none'].includes(args.checks)) {
  process.stderr.write(`--checks must be all, no-classifiers or none (got "${args.checks}")\n`);
  process.exit(2);
}
if (args.publish && args.checks !== 'all') {
  process.stderr.write('--publish measures the policy as shipped: use it without --checks\n');
  process.exit(2);
}
const duration = args.quick ? 2 : Number(args.duration);
const latencyDuration = args.quick ? 1 : Number(args['latency-duration']);
const warmup = args.quick ? 1 : Number(args.warmup);
const firstByteSeconds = args.quick ? 0.5 : 2;
/** slices per measurement, interleaved across targets */
const rounds = args.quick ? 1 : 4;
const TARGET_ADDED_P50_MS = 1;
const TARGET_THROUGHPUT_SHARE = 0.7;

const servers: Server[] = [];
let interrupted = false;

let stopping: Promise<void> | null = null;

/** Stops every server and closes the client connections; safe to call more than once. */
function shutdown(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await closePools().catch(() => undefined);
  })();
  return stopping;
}

process.on('exit', killAll);
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted: stopping the load and the servers\n');
  stopLoad();
  const force = setTimeout(() => {
    killAll();
    process.exit(130);
  }, 3_000);
  force.unref();
  void shutdown().finally(() => process.exit(130));
});

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Loads `target` in short runs until its throughput stops climbing (two runs
 * within 10%), at least `warmup` s and at most 4 × `warmup` s. V8 compiles hot
 * code on background threads, which on a busy machine can take many seconds.
 */
async function warmUp(target: Target, mode: Mode): Promise<number> {
  const slice = Math.max(0.5, warmup / 2);
  let previous = 0;
  let used = 0;
  while (used < warmup * 4 && !interrupted) {
    const rps = summarize([await runLoad(target, mode, connections, slice)]).rps;
    used += slice;
    if (used >= warmup && previous > 0 && Math.abs(rps - previous) / previous < 0.1) break;
    previous = rps;
  }
  return used;
}

async function main(): Promise<number> {
  const began = performance.now();
  const before = await idleCheck();
  if (before > FOREIGN_LOAD_LIMIT) log(`Warning: other processes are using ${Math.round(before * 100)}% of the machine; wall-clock figures will be noisy (see the "other processes" column).`);
  const build: Record<string, string> = {};
  if (args.compiled) {
    const outDir = join(here, '.build', 'dist');
    log('Compiling src/ with tsc into bench/.build/dist ...');
    rmSync(outDir, { recursive: true, force: true });
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(here, '..', 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
    build.BENCH_SAFEGATE_BUILD = relative(process.cwd(), outDir);
  }
  log(`Choosing prompt and answer passages from ${args.data} ...`);
  const pool = buildTextPool(args.data);
  usePool(pool);
  mkdirSync(resultsDir, { recursive: true });
  // The mock picks answers from the same pool; a file in the results folder is how it gets it.
  const poolFile = join(resultsDir, 'text-pool.json');
  writeFileSync(poolFile, JSON.stringify(pool));
  log(`  ${pool.prompts.length} prompt passages, ${pool.answers.length} answer passages`);
  log(`Starting the mock provider, the bare proxy and Safegate (each in its own process)...`);
  const mock = await startServer('mock upstream', 'mock-upstream.entry.ts', { BENCH_POOL: poolFile });
  servers.push(mock);
  const [proxy, safegate] = await Promise.all([
    startServer('bare proxy', 'bare-proxy.entry.ts', { BENCH_UPSTREAM: mock.url }),
    startServer('safegate', 'safegate.entry.ts', { BENCH_UPSTREAM: mock.url, BENCH_PROFILE: args.profile ? '1' : '0', BENCH_CHECKS: args.checks, ...build }),
  ]);
  servers.push(proxy, safegate);

  // Every target gets the same request bytes, including the gateway key (the mock and the proxy ignore it).
  const headers = { authorization: `Bearer ${safegate.facts.key}` };
  const targets: Record<TargetName, Target> = {
    direct: { url: mock.url, headers },
    'bare proxy': { url: proxy.url, headers },
    safegate: { url: safegate.url, headers },
  };

  log('Checking that every target returns the answer intact...');
  let checksHeader = '';
  for (const target of TARGETS) {
    for (const mode of ['json', 'stream'] as const) {
      const result = await probe(targets[target], mode);
      if (!result.ok) {
        log(`  ${target} (${mode}): FAILED: ${result.problem}`);
        log('Not benchmarking error responses; fix the target first.');
        return 1;
      }
      if (target === 'safegate') checksHeader = result.headers['x-safegate-checks'] ?? '';
    }
  }
  log(`  all intact. Safegate checks: ${checksHeader || '(none registered)'}`);

  const serverPid: Record<TargetName, number> = { direct: mock.pid, 'bare proxy': proxy.pid, safegate: safegate.pid };
  const ownPids = [process.pid, ...servers.map((s) => s.pid)];
  const rows: Row[] = [];
  const profiles: string[] = [];
  const warmupSeconds: string[] = [];

  /**
   * Measures every target for `seconds` in `slices` interleaved runs, so
   * that load from outside the bench, which comes and goes, falls on all
   * targets alike rather than on whichever ran at the wrong moment.
   */
  const measureRound = async (mode: Mode, conns: number, seconds: number, slices: number) => {
    const samples = new Map<TargetName, { loads: LoadSample[]; cpuMs: number; foreignSeconds: number }>(TARGETS.map((t) => [t, { loads: [], cpuMs: 0, foreignSeconds: 0 }]));
    for (let slice = 0; slice < slices; slice++) {
      for (const target of TARGETS) {
        if (interrupted) return;
        const end = startCpuWindow(ownPids);
        const load = await runLoad(targets[target], mode, conns, seconds / slices);
        const cpu = end();
        const acc = samples.get(target)!;
        acc.loads.push(load);
        acc.cpuMs += cpu.byPid.get(serverPid[target]) ?? Number.NaN;
        acc.foreignSeconds += cpu.foreign * cpu.seconds;
      }
    }
    for (const [target, acc] of samples) {
      const result = summarize(acc.loads);
      rows.push({ target, mode, result, serverCpuMs: acc.cpuMs / result.ok, foreign: acc.foreignSeconds / result.seconds });
    }
  };

  for (const mode of ['json', 'stream'] as const satisfies readonly Mode[]) {
    for (const target of TARGETS) {
      if (interrupted) return 130;
      const used = await warmUp(targets[target], mode);
      if (interrupted) return 130;
      warmupSeconds.push(`${target} ${mode} ${used} s`);
      log(`${target}, ${mode}: warmed up in ${used} s`);
    }
    log(`${mode}: ${connections} connections, ${duration} s per target in ${rounds} interleaved rounds`);
    if (args.profile) safegate.send({ type: 'profile-start' });
    await measureRound(mode, connections, duration, rounds);
    if (args.profile) {
      const file = join(resultsDir, 'profiles', `safegate-${mode}.cpuprofile`);
      mkdirSync(dirname(file), { recursive: true });
      const written = safegate.next('profile-written', 30_000);
      safegate.send({ type: 'profile-stop', file });
      profiles.push((await written).file);
    }
    log(`${mode}: 1 connection, ${latencyDuration} s per target in ${rounds} interleaved rounds`);
    await measureRound(mode, 1, latencyDuration, rounds);
    if (interrupted) return 130;
  }

  log(`Streaming time to first byte: sequential requests, ${firstByteSeconds} s per target`);
  const firstByte = new Map<TargetName, FirstByteResult>();
  for (const target of TARGETS) {
    if (interrupted) return 130;
    firstByte.set(target, await measureFirstByte(targets[target], firstByteSeconds));
  }
  await shutdown();

  const facts: Array<[string, string]> = [
    ...machineFacts(),
    ['Date', new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'],
    ['Safegate build', safegate.facts.build ?? 'unknown'],
    ['Safegate policy', `${safegate.facts.policy}; input checks: ${safegate.facts.inputChecks || 'none'}; output checks: ${safegate.facts.outputChecks || 'none'}`],
    ['Workload', `Chat Completions, ${PROMPT_CHARS}-character prompt (different on every request), ${ANSWER_CHARS}-character answer; streamed in ${ANSWER_CHARS / STREAM_CHUNK_CHARS} deltas of ${STREAM_CHUNK_CHARS} characters`],
    ['Load', `autocannon in the parent process; per mode, each target warmed up until its throughput settles, then ${connections} connections for ${duration} s and 1 connection for ${latencyDuration} s per target, each in ${rounds} slices interleaved across the targets`],
    ['Warm-up used', warmupSeconds.join(', ')],
    ['Processes', 'mock provider, bare proxy (node:http + undici Pool) and Safegate each in a child process; all share the machine\'s cores with the load generator'],
    ['Bench wall time', `${Math.round((performance.now() - began) / 1000)} s`],
    ['Other processes before the run', `${Number.isFinite(before) ? Math.round(before * 100) + '% of the machine' : 'n/a'}`],
  ];
  const notes: string[] = [];
  if (!safegate.facts.inputChecks && !safegate.facts.outputChecks) notes.push('No checks were registered in src/checks/index.ts when this ran: the Safegate rows measure the gateway without any safety check.');
  if (args.profile) notes.push('Profiled run: the Safegate throughput rows include the CPU profiler\'s own overhead; use a run without --profile for the figures.');
  if (args.quick) notes.push('Quick run (short durations): indicative only.');
  const input = {
    rows, firstByte, facts, connections, notes,
    targets: { addedP50Ms: TARGET_ADDED_P50_MS, throughputShare: TARGET_THROUGHPUT_SHARE },
  };
  const report = renderReport(input);

  process.stdout.write(`\n# Safegate benchmark\n\n${report}`);
  if (!args.quick && !args.profile) {
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, 'latest.md');
    writeFileSync(file, `# Safegate benchmark: latest run\n\nWritten by \`npm run bench\`; see docs/benchmark.md for how to read it.\n\n${report}`);
    log(`\nWrote ${relative(process.cwd(), file)}`);
    if (args.publish) {
      for (const doc of ['README.md', 'docs/benchmark.md']) {
        const done = updateMarkedBlock(join(here, '..', doc), renderSummary(input));
        log(done ? `Updated the benchmark block of ${doc}` : `${doc} has no <!-- bench:start --> / <!-- bench:end --> markers; not updated`);
      }
    }
  } else if (args.publish) log('--publish is ignored for --quick and --profile runs');
  for (const file of profiles) process.stdout.write(`\n## CPU profile: Safegate, ${file.includes('-stream') ? 'SSE stream' : 'JSON'}\n\n${summarizeProfile(relative(process.cwd(), file)).lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    return shutdown();
  },
  async (err: Error) => {
    log(`bench failed: ${err.stack ?? err.message}`);
    process.exitCode = 1;
    await shutdown();
  },
);
