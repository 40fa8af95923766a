/**
 * Turns measurements into the Markdown report: machine facts, one table with
 * ratios against the bare proxy, the streaming time-to-first-byte table and a
 * verdict per target.
 */
import { cpus, totalmem, type as osType, release } from 'node:os';
import type { FirstByteResult, LoadResult } from './load.js';
import type { Mode } from './workload.js';

export const TARGETS = ['direct', 'bare proxy', 'safegate'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface Row {
  target: TargetName;
  mode: Mode;
  result: LoadResult;
  /** CPU time the measured server (mock, proxy or Safegate) spent per 2xx response, ms */
  serverCpuMs: number;
  /** share of the machine used by processes outside the bench during the run (0..1) */
  foreign: number;
}

/** Above this share of the machine used by other processes, a run's wall-clock figures are marked unreliable. */
export const FOREIGN_LOAD_LIMIT = 0.1;

export interface ReportInput {
  rows: Row[];
  firstByte: Map<TargetName, FirstByteResult>;
  facts: Array<[string, string]>;
  connections: number;
  /** Safegate's own p50 overhead budget, ms, and least share of the proxy's throughput */
  targets: { addedP50Ms: number; throughputShare: number };
  notes: string[];
}

const MODE_LABEL: Record<Mode, string> = { json: 'JSON', stream: 'SSE stream' };
const TARGET_LABEL: Record<TargetName, string> = { direct: 'direct to mock', 'bare proxy': 'bare proxy', safegate: 'Safegate' };

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const signedMs = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : 'n/a');
const rps = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : 'n/a');

function problems(r: LoadResult): string {
  const parts = [r.non2xx && `${r.non2xx} non-2xx`, r.errors && `${r.errors} errors`, r.short && `${r.short} cut short`].filter(Boolean);
  return parts.length ? `**${parts.join(', ')}**` : '0';
}

function findRow(rows: Row[], target: TargetName, mode: Mode, connections: number): Row | undefined {
  return rows.find((r) => r.target === target && r.mode === mode && r.result.connections === connections);
}

function find(rows: Row[], target: TargetName, mode: Mode, connections: number): LoadResult | undefined {
  return findRow(rows, target, mode, connections)?.result;
}

const load = (v: number) => (Number.isFinite(v) ? `${v > FOREIGN_LOAD_LIMIT ? '**' : ''}${Math.round(v * 100)}%${v > FOREIGN_LOAD_LIMIT ? '**' : ''}` : 'n/a');

export function machineFacts(): Array<[string, string]> {
  const cpu = cpus();
  return [
    ['CPU', `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`],
    ['Memory', `${Math.round(totalmem() / 2 ** 30)} GiB`],
    ['OS', `${osType()} ${release()}`],
    ['Node', process.version],
  ];
}

export function resultsTable(input: ReportInput): string[] {
  const lines = [
    '| Target | Mode | Connections | req/s | p50 ms | p99 ms | req/s vs bare proxy | p50 added vs bare proxy (ms) | server CPU ms/req | other processes | Failed responses |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const mode of ['json', 'stream'] as const) {
    for (const connections of [1, input.connections]) {
      const base = find(input.rows, 'bare proxy', mode, connections);
      for (const target of TARGETS) {
        const row = findRow(input.rows, target, mode, connections);
        if (!row) continue;
        const r = row.result;
        const ratio = base ? r.rps / base.rps : Number.NaN;
        const added = base ? r.p50 - base.p50 : Number.NaN;
        lines.push(`| ${TARGET_LABEL[target]} | ${MODE_LABEL[mode]} | ${connections} | ${rps(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ratio.toFixed(2)} | ${signedMs(added)} | ${ms(row.serverCpuMs)} | ${load(row.foreign)} | ${problems(r)} |`);
      }
    }
  }
  return lines;
}

function firstByteTable(input: ReportInput): string[] {
  if (input.firstByte.size === 0) return [];
  const base = input.firstByte.get('bare proxy');
  const lines = [
    '| Target | Requests | first byte p50 ms | first byte p99 ms | last byte p50 ms | first byte added vs bare proxy (ms) | Failed responses |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const target of TARGETS) {
    const f = input.firstByte.get(target);
    if (!f) continue;
    lines.push(`| ${TARGET_LABEL[target]} | ${f.requests} | ${ms(f.ttfbP50)} | ${ms(f.ttfbP99)} | ${ms(f.totalP50)} | ${base ? signedMs(f.ttfbP50 - base.ttfbP50) : 'n/a'} | ${f.failed ? `**${f.failed} non-200**` : '0'} |`);
  }
  return lines;
}

/** One line per target and mode; PASS/FAIL only where the issue sets a target (Safegate), and INVALID when a run had failures. */
export function verdicts(input: ReportInput): string[] {
  const out: string[] = [];
  const n = input.connections;
  const flag = (...rs: Array<LoadResult | undefined>) => rs.some((r) => !r || r.non2xx || r.errors || r.short);
  const noisy = (mode: Mode, c: number) => {
    const worst = Math.max(...TARGETS.map((t) => findRow(input.rows, t, mode, c)?.foreign ?? 0));
    return worst > FOREIGN_LOAD_LIMIT ? ` (unreliable: other processes used up to ${Math.round(worst * 100)}% of the machine during these runs)` : '';
  };
  for (const mode of ['json', 'stream'] as const) {
    const label = MODE_LABEL[mode];
    const d1 = find(input.rows, 'direct', mode, 1);
    const dn = find(input.rows, 'direct', mode, n);
    const b1 = find(input.rows, 'bare proxy', mode, 1);
    const bn = find(input.rows, 'bare proxy', mode, n);
    const s1 = find(input.rows, 'safegate', mode, 1);
    const sn = find(input.rows, 'safegate', mode, n);
    if (b1 && bn && d1 && dn) {
      out.push(`- bare proxy, ${label}: adds ${ms(b1.p50 - d1.p50)} ms at p50 over direct (1 connection), keeps ${pct(bn.rps / dn.rps)} of direct throughput (${n} connections); reference only, no target.`);
    }
    if (s1 && b1) {
      const added = s1.p50 - b1.p50;
      const result = flag(s1, b1) ? 'INVALID (failed responses in the run)' : added < input.targets.addedP50Ms ? 'PASS' : 'FAIL';
      out.push(`- Safegate, ${label}: adds ${ms(added)} ms at p50 over the bare proxy at 1 connection (target < ${input.targets.addedP50Ms} ms): ${result}${noisy(mode, 1)}`);
    }
    if (sn && bn) {
      const added = sn.p50 - bn.p50;
      out.push(`- Safegate, ${label}: adds ${ms(added)} ms at p50 over the bare proxy at ${n} connections (queueing included; for information)`);
      const share = sn.rps / bn.rps;
      const result = flag(sn, bn) ? 'INVALID (failed responses in the run)' : share >= input.targets.throughputShare ? 'PASS' : 'FAIL';
      out.push(`- Safegate, ${label}: keeps ${pct(share)} of the bare proxy's throughput at ${n} connections (target >= ${pct(input.targets.throughputShare)}): ${result}${noisy(mode, n)}`);
    }
    const sc = findRow(input.rows, 'safegate', mode, n);
    const bc = findRow(input.rows, 'bare proxy', mode, n);
    if (sc && bc && Number.isFinite(sc.serverCpuMs) && Number.isFinite(bc.serverCpuMs)) {
      out.push(`- Safegate, ${label}: spends ${ms(sc.serverCpuMs)} ms of CPU per request against ${ms(bc.serverCpuMs)} ms for the bare proxy (${(sc.serverCpuMs / bc.serverCpuMs).toFixed(1)}×); CPU time does not depend on other load, so this is the steadiest overhead figure.`);
    }
  }
  return out;
}

/** The short form for the README: one line of context, the table and the verdicts. */
export function renderSummary(input: ReportInput): string {
  const fact = (name: string) => input.facts.find(([k]) => k === name)?.[1] ?? 'unknown';
  return [
    `Measured ${fact('Date')} on ${fact('CPU')}, Node ${fact('Node')}; Safegate from ${fact('Safegate build')}; policy ${fact('Safegate policy')}.`,
    '',
    ...resultsTable(input),
    '',
    ...verdicts(input),
    '',
    'Full report with the streaming first-byte times: `bench/results/latest.md`.',
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  return [
    '## Machine and setup',
    '',
    ...input.facts.map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Results',
    '',
    ...resultsTable(input),
    '',
    '### Streaming: time to first byte (sequential, 1 connection)',
    '',
    ...firstByteTable(input),
    '',
    '## Verdicts',
    '',
    ...verdicts(input),
    ...(input.notes.length ? ['', '## Notes', '', ...input.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}
