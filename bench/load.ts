/**
 * Load generation and measurement, in the parent process only.
 *
 * - `runLoad`: autocannon with fixed connections and duration. Latencies are
 *   taken from autocannon's per-response `hrtime` durations (fractions of a
 *   millisecond kept), not from its histogram, which rounds to whole
 *   milliseconds and cannot show a sub-millisecond overhead. `summarize`
 *   merges several runs of one target into one result.
 * - `measureFirstByte`: a sequential undici loop for streaming time to first
 *   byte, which autocannon does not report.
 * - `probe`: one request whose answer must arrive intact, run before any
 *   measurement so an error response is never benchmarked.
 */
import autocannon from 'autocannon';
import { Pool, request } from 'undici';
import { answerFor, extractAnswer, promptFor, requestBody, type Mode } from './workload.js';

/** One sequence over the whole run, so no prompt is sent twice. */
let sequence = 0;
let current: autocannon.Instance | null = null;

/** One autocannon run's raw observations; runs of one target are merged by `summarize`. */
export interface LoadSample {
  connections: number;
  seconds: number;
  /** per 2xx response, ms */
  latencies: number[];
  /** per 2xx response, bytes */
  sizes: number[];
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** 2xx responses */
  ok: number;
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
  /** 2xx responses shorter than 90% of the median size: answers cut off mid-way */
  short: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface Target {
  url: string;
  headers: Record<string, string>;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Merges the runs of one target, mode and connection count into one result. */
export function summarize(samples: LoadSample[]): LoadResult {
  const latencies = Float64Array.from(samples.flatMap((s) => s.latencies)).sort();
  const sizes = samples.flatMap((s) => s.sizes);
  const medianSize = percentile(Float64Array.from(sizes).sort(), 0.5);
  const seconds = samples.reduce((a, s) => a + s.seconds, 0);
  return {
    connections: samples[0]?.connections ?? 0,
    seconds,
    ok: latencies.length,
    non2xx: samples.reduce((a, s) => a + s.non2xx, 0),
    errors: samples.reduce((a, s) => a + s.errors, 0),
    short: sizes.filter((b) => b < medianSize * 0.9).length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Runs autocannon against `target` for `seconds`, recording sub-millisecond latencies. */
export function runLoad(target: Target, mode: Mode, connections: number, seconds: number): Promise<LoadSample> {
  const latencies: number[] = [];
  const sizes: number[] = [];
  let non2xx = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: `${target.url}/chat/completions`,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...target.headers },
            setupRequest: (req) => ({ ...req, body: requestBody(sequence++, mode) }),
          },
        ],
      },
      (err, result) => {
        current = null;
        if (err) return reject(err);
        const elapsed = (performance.now() - started) / 1000;
        resolve({ connections, seconds: result.duration > 0 ? result.duration : elapsed, latencies, sizes, non2xx, errors: result.errors });
      },
    );
    instance.on('response', (_client, status, bytes, ms) => {
      if (status >= 200 && status < 300) {
        latencies.push(ms);
        sizes.push(bytes);
      } else non2xx++;
    });
    current = instance;
  });
}

/** Stops the load run in progress, if any (Ctrl-C). */
export function stopLoad(): void {
  current?.stop();
}

/** Keep-alive connections per target origin for the probes and the first-byte loop. */
const pools = new Map<string, Pool>();

function poolFor(url: string): Pool {
  const origin = new URL(url).origin;
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { keepAliveTimeout: 30_000, connections: 4 });
    pools.set(origin, pool);
  }
  return pool;
}

export interface ProbeResult {
  ok: boolean;
  problem?: string;
  headers: Record<string, string>;
}

/** Sends one request and checks that the answer text arrives unaltered. */
export async function probe(target: Target, mode: Mode): Promise<ProbeResult> {
  const n = sequence++;
  const res = await request(`${target.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: requestBody(n, mode),
    dispatcher: poolFor(target.url),
    signal: AbortSignal.timeout(15_000),
  });
  const raw = await res.body.text();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
  if (res.statusCode !== 200) return { ok: false, problem: `status ${res.statusCode}: ${raw.slice(0, 300)}`, headers };
  const answer = extractAnswer(raw, mode);
  if (!answer.ok) return { ok: false, problem: answer.problem, headers };
  if (answer.text !== answerFor(promptFor(n))) return { ok: false, problem: `answer altered (${answer.text.length} chars: "${answer.text.slice(0, 80)}…")`, headers };
  return { ok: true, headers };
}

export interface FirstByteResult {
  /** requests answered 200 */
  requests: number;
  /** requests answered otherwise (not timed) */
  failed: number;
  /** time to the first body byte, ms */
  ttfbP50: number;
  ttfbP99: number;
  /** time to the last byte, ms */
  totalP50: number;
}

/** Sequential streaming requests for up to `seconds` (at most `max`): time to first and last byte. */
export async function measureFirstByte(target: Target, seconds: number, max = 2_000): Promise<FirstByteResult> {
  const first: number[] = [];
  const total: number[] = [];
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until && first.length + failed < max) {
    const t0 = performance.now();
    const res = await request(`${target.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: requestBody(sequence++, 'stream'),
      dispatcher: poolFor(target.url),
      signal: AbortSignal.timeout(15_000),
    });
    let t1 = 0;
    for await (const chunk of res.body) if (t1 === 0 && (chunk as Buffer).length > 0) t1 = performance.now();
    const t2 = performance.now();
    if (res.statusCode !== 200) {
      failed++;
      continue;
    }
    first.push(t1 - t0);
    total.push(t2 - t0);
  }
  const f = Float64Array.from(first).sort();
  const t = Float64Array.from(total).sort();
  return { requests: first.length, failed, ttfbP50: percentile(f, 0.5), ttfbP99: percentile(f, 0.99), totalP50: percentile(t, 0.5) };
}

export async function closePools(): Promise<void> {
  await Promise.all([...pools.values()].map((p) => p.close()));
  pools.clear();
}
