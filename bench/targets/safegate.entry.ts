/**
 * Child process: the real gateway, built by `createGateway` as `safegate serve`
 * builds it, with the default policy (every check `src/checks/index.ts`
 * registers), the mock as its only upstream, SQLite in a temporary data
 * directory, authentication on with a freshly created key, access control on
 * with limits no benchmark reaches, and `warn` logging.
 *
 * Runs the compiled `dist/` when it is at least as new as every source file,
 * the TypeScript sources through tsx otherwise (or the compiled tree named by
 * BENCH_SAFEGATE_BUILD); the ready message says which.
 * On `profile-start` / `profile-stop` it records a V8 CPU profile of exactly
 * the measured window (no start-up or module loading in it).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as inspector from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fail, send, serveParent } from './child.js';

type AppModule = typeof import('../../src/app.js');
type SchemaModule = typeof import('../../src/config/schema.js');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const profiling = process.env.BENCH_PROFILE === '1';
// Source maps let a profile name TypeScript lines; enabled only when profiling, and before the app is loaded.
if (profiling) process.setSourceMapsEnabled(true);

interface ProfileNode {
  callFrame: { url: string; lineNumber: number; columnNumber: number };
  positionTicks?: Array<{ line: number; ticks: number }>;
}

/** Rewrites generated positions of source-mapped files (functions and per-line ticks) to the original TypeScript lines. */
function mapToSources(profile: { nodes: ProfileNode[] }): void {
  for (const node of profile.nodes) {
    const { callFrame } = node;
    if (!callFrame.url.startsWith('file:') || callFrame.lineNumber < 0) continue;
    const map = findSourceMap(callFrame.url);
    if (!map) continue;
    // tsx emits a module on one line: per-line ticks then say nothing, so they are dropped.
    if (callFrame.lineNumber === 0 && (node.positionTicks ?? []).every((t) => t.line === 1)) delete node.positionTicks;
    for (const tick of node.positionTicks ?? []) {
      // Ticks carry a 1-based line only; the last mapping on that generated line names its source line.
      const line = map.findEntry(tick.line - 1, 1_000_000) as { originalLine?: number };
      if (line.originalLine !== undefined) tick.line = line.originalLine + 1;
    }
    const entry = map.findEntry(callFrame.lineNumber, callFrame.columnNumber) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalLine !== undefined) {
      callFrame.lineNumber = entry.originalLine;
      callFrame.columnNumber = entry.originalColumn ?? 0;
      if (entry.originalSource?.startsWith('file:')) callFrame.url = entry.originalSource;
    }
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** BENCH_SAFEGATE_BUILD (a compiled tree) when given; else `dist` when the build is current, `src` otherwise. */
function pickBuild(): { base: string; ext: string; label: string } {
  const given = process.env.BENCH_SAFEGATE_BUILD;
  if (given) return { base: resolve(given), ext: '.js', label: `compiled by tsc into ${given}` };
  const compiled = join(root, 'dist', 'app.js');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource(join(root, 'src'))) return { base: join(root, 'dist'), ext: '.js', label: 'dist/ (compiled)' };
  return { base: join(root, 'src'), ext: '.ts', label: existsSync(compiled) ? 'src/ through tsx (dist/ is older than src/)' : 'src/ through tsx (no dist/)' };
}

/**
 * Access control stays on (its cost is part of every request), but every
 * level's limits are raised beyond what a load test sends: the whole run comes
 * from one user, who would otherwise be rate-limited within a second.
 */
async function unthrottledAccess(load: (path: string) => Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  let levels: readonly string[];
  try {
    levels = ((await load('config/access-schema')) as { VERIFICATION_LEVELS: readonly string[] }).VERIFICATION_LEVELS;
  } catch {
    return undefined;
  }
  const high = { requestsPerMinute: 1_000_000_000, tokensPerDay: 1_000_000_000_000 };
  return { levels: Object.fromEntries(levels.map((level) => [level, high])) };
}

const CLASSIFIER_CHECK_IDS = ['injection', 'moderation', 'harmful-request'];

/**
 * BENCH_CHECKS: `all` (default: the built-in policy as shipped), `no-classifiers`
 * (the built-in policy without the offline classifier checks) or `none` (no
 * check at all): to see what the checks themselves cost.
 */
async function checksPolicy(load: (path: string) => Promise<unknown>): Promise<Record<string, unknown>> {
  const which = process.env.BENCH_CHECKS ?? 'all';
  if (which === 'all') return {};
  const { checks } = (await load('checks/index')) as { checks: ReadonlyArray<{ id: string; stage: string }> };
  const off = (stage: 'input' | 'output') =>
    Object.fromEntries(checks.filter((c) => (c.stage === stage || c.stage === 'both') && (which === 'none' || CLASSIFIER_CHECK_IDS.includes(c.id))).map((c) => [c.id, null]));
  return { policies: { default: { extends: 'builtin', input: off('input'), output: off('output') } } };
}

try {
  const upstream = process.env.BENCH_UPSTREAM;
  if (!upstream) throw new Error('BENCH_UPSTREAM is not set');
  const build = pickBuild();
  const load = (path: string) => import(pathToFileURL(join(build.base, path + build.ext)).href);
  const { createGateway } = (await load('app')) as AppModule;
  const { configSchema } = (await load('config/schema')) as SchemaModule;

  const dataDir = mkdtempSync(join(tmpdir(), 'safegate-bench-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const config = configSchema.parse({
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    upstreams: { mock: { baseUrl: upstream } },
    auth: { required: true },
    access: await unthrottledAccess(load),
    logging: { level: 'warn' },
    ...(await checksPolicy(load)),
  });
  const gateway = await createGateway({ config, file: null, env: {} });
  const { port } = await gateway.listen(0, '127.0.0.1');
  const created = await gateway.keys.create({ name: 'bench' });

  let profiler: inspector.Session | null = null;
  serveParent(
    () => gateway.close(),
    (m) => {
      if (m.type === 'profile-start') {
        const p = new inspector.Session();
        profiler = p;
        p.connect();
        void p.post('Profiler.enable').then(() => p.post('Profiler.setSamplingInterval', { interval: 200 })).then(() => p.post('Profiler.start'));
      } else if (m.type === 'profile-stop' && profiler) {
        const s = profiler;
        void s.post('Profiler.stop').then(({ profile }) => {
          mapToSources(profile as unknown as { nodes: ProfileNode[] });
          writeFileSync(m.file, JSON.stringify(profile));
          s.disconnect();
          send({ type: 'profile-written', file: m.file });
        });
      }
    },
  );
  const policy = gateway.policies.get(null);
  send({
    type: 'ready',
    url: `http://127.0.0.1:${port}/v1`,
    facts: {
      server: 'Safegate (createGateway, default policy, SQLite, auth on)',
      build: build.label,
      key: created.key,
      policy: policy.name,
      inputChecks: policy.input.map((c) => c.definition.id).join(', '),
      outputChecks: policy.output.map((c) => c.definition.id).join(', '),
    },
  });
} catch (err) {
  fail(err);
}
