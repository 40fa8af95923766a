/**
 * Reads a V8 `.cpuprofile` and lists where the CPU time went: the functions
 * with the most self time, the same grouped by source file or package, and
 * the project's own functions by inclusive time (themselves plus callees).
 * Shares are of busy time (idle samples left out).
 *
 * Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
  /** samples per source line (1-based) within this function */
  positionTicks?: Array<{ line: number; ticks: number }>;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const root = pathToFileURL(resolve('.')).href + '/';

function shortUrl(url: string): string {
  if (!url) return '';
  const local = url.startsWith(root) ? url.slice(root.length) : url;
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(local);
  return pkg ? `${pkg[1]}/${pkg[2]}` : local;
}

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const local = url.startsWith(root) ? url.slice(root.length) : url;
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(local);
  if (pkg) return `npm: ${pkg[1]}`;
  if (local.startsWith('node:internal/')) return `node: ${local.slice('node:internal/'.length).split('/')[0]}`;
  if (local.startsWith('node:')) return `node: ${local.slice(5)}`;
  return local;
}

function isProject(url: string): boolean {
  return url.startsWith(root) && !url.includes('/node_modules/');
}

/** The text of `file:line` in the working tree, trimmed to 90 characters. */
function sourceLine(where: string): string {
  const [file, line] = [where.slice(0, where.lastIndexOf(':')), Number(where.slice(where.lastIndexOf(':') + 1))];
  const path = fileURLToPath(root + file);
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8').split('\n')[line - 1]?.trim() ?? '';
  return text.length > 90 ? text.slice(0, 89) + '…' : text;
}

function key(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = shortUrl(url);
  return `${functionName || '(anonymous)'}${where ? `  ${where}:${lineNumber + 1}` : ''}`;
}

/** Hot source lines; only meaningful for a line-preserving build (tsx emits each module on one line). */
function lineSection(selfByLine: Map<string, number>, busy: number, top: number): string[] {
  const lines = [...selfByLine.entries()].sort((a, b) => b[1] - a[1]);
  const distinct = new Set(lines.map(([k]) => k.slice(k.lastIndexOf(':') + 1)));
  if (lines.length === 0 || (distinct.size === 1 && distinct.has('1'))) {
    return ['', 'Source lines: not available from a tsx run (each module is one line); run the bench with --compiled for them.'];
  }
  return [
    '',
    '**Project source lines by self time** (JavaScript built-ins such as JSON.parse or object spread count towards the line that calls them)',
    '',
    '| share of busy | ms | line |',
    '|---:|---:|---|',
    ...lines.slice(0, top).map(([k, us]) => `| ${((us / busy) * 100).toFixed(1)}% | ${(us / 1000).toFixed(0)} | \`${k}\` ${sourceLine(k).replaceAll('|', '\\|').replaceAll('`', "'")} |`),
  ];
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  lines: string[];
}

/** Summarises `file` into printable Markdown lines. */
export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + Math.max(0, dt));
  }

  let idle = 0;
  let busy = 0;
  const selfByFn = new Map<string, number>();
  const selfByLine = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfTime) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const k = key(node);
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + us);
    if (isProject(node.callFrame.url)) {
      const ticks = node.positionTicks ?? [];
      const all = ticks.reduce((a, t) => a + t.ticks, 0);
      for (const t of ticks) {
        const line = `${shortUrl(node.callFrame.url)}:${t.line}`;
        selfByLine.set(line, (selfByLine.get(line) ?? 0) + (us * t.ticks) / all);
      }
    }
    const a = area(node.callFrame.url, node.callFrame.functionName);
    selfByArea.set(a, (selfByArea.get(a) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!isProject(n.callFrame.url)) continue;
      const fk = key(n);
      if (seen.has(fk)) continue;
      seen.add(fk);
      inclusive.set(fk, (inclusive.get(fk) ?? 0) + us);
    }
  }

  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| ${((us / busy) * 100).toFixed(1)}% | ${(us / 1000).toFixed(0)} | \`${k}\` |`);
  const header = (what: string) => [`| share of busy | ms | ${what} |`, '|---:|---:|---|'];
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    lines: [
      `Profile ${file}: ${(busy / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle.`,
      '',
      '**Self time by function**',
      '',
      ...header('function'),
      ...rows(selfByFn, top),
      '',
      '**Self time by file or package**',
      '',
      ...header('file / package'),
      ...rows(selfByArea, top),
      '',
      '**Project code by inclusive time (the function and everything it calls)**',
      '',
      ...header('function'),
      ...rows(inclusive, top),
      '',
      ...lineSection(selfByLine, busy, top),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(summarizeProfile(file, Number(process.argv[3] ?? 20)).lines.join('\n') + '\n');
}
