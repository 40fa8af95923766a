/**
 * Scoring of one `safegate scan` line, shared by the worker threads:
 * `{"id","text"}` in, `{"id","flagged","scores"}` out. Score keys are the
 * label names of the data (`injection`, `harmful_request` and the moderation
 * categories); `flagged` is true when any selected check, with its default
 * configuration, would block the text as a user prompt.
 */
import harmfulRequest from '../checks/harmful-request.js';
import injection from '../checks/injection.js';
import moderation from '../checks/moderation.js';
import type { ClassifierHub } from '../classifiers/backends/hub.js';
import type { CheckContext, CheckDefinition, CheckInput } from '../pipeline/types.js';
import type { ClassifierKind } from '../shared/classifier-backend-config.js';

export interface ScanWorkerData {
  checks: string[];
  modelsDir?: string;
}

export interface ScanBatch {
  seq: number;
  /** 1-based line number of `lines[0]` */
  firstLine: number;
  lines: string[];
}

export interface ScanBatchResult {
  type: 'batch';
  seq: number;
  /** output lines, each ending in a newline */
  out: string;
  problems: Array<{ line: number; problem: string }>;
  scored: number;
  flagged: number;
}

export interface ScanCheck {
  name: string;
  kind: ClassifierKind;
  definition: CheckDefinition;
  config: unknown;
}

const AVAILABLE: Record<string, { kind: ClassifierKind; definition: CheckDefinition }> = {
  moderation: { kind: 'moderation', definition: moderation },
  injection: { kind: 'injection', definition: injection },
  'harmful-request': { kind: 'harmful_request', definition: harmfulRequest },
};

/** Accepted spellings of each check name on the command line. */
const ALIASES: Record<string, string> = { harmful: 'harmful-request', harmful_request: 'harmful-request' };

export const SCAN_CHECK_NAMES = ['moderation', 'injection', 'harmful'];

/** Resolves check names; throws naming the unknown ones. */
export function scanChecks(names: readonly string[]): ScanCheck[] {
  const unknown = names.filter((n) => !AVAILABLE[ALIASES[n] ?? n]);
  if (unknown.length > 0) throw new Error(`unknown check(s): ${unknown.join(', ')} (known: ${SCAN_CHECK_NAMES.join(', ')})`);
  return [...new Set(names.map((n) => ALIASES[n] ?? n))].map((name) => {
    const a = AVAILABLE[name]!;
    return { name, kind: a.kind, definition: a.definition, config: a.definition.config.parse({}) };
  });
}

/** Four significant digits: enough to rank and threshold, a third of the output size. */
function round(x: number): number {
  return Number(x.toPrecision(4));
}

const BASE_CTX = { requestId: 'scan', stage: 'input', endpoint: 'chat.completions', model: 'scan', policy: 'builtin', request: {} } as const;

/** Scores one raw line. Null for a blank line; `problem` for a bad one. */
export async function scoreLine(line: string, checks: readonly ScanCheck[], hub: ClassifierHub): Promise<{ json: string; flagged: boolean } | { problem: string } | null> {
  if (line.trim() === '') return null;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message.slice(0, 80)})` };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { problem: 'not a JSON object' };
  const { id, text } = record as { id?: unknown; text?: unknown };
  if (typeof id !== 'string' && typeof id !== 'number') return { problem: '"id" is missing or not a string or number' };
  if (typeof text !== 'string') return { problem: '"text" is missing or not a string' };
  const ctx: CheckContext = { ...BASE_CTX, signal: NEVER, services: { classifiers: hub } };
  const input: CheckInput = { segments: [{ text, role: 'user', source: 'prompt', path: 'text' }], images: [] };
  const scores: Record<string, number> = {};
  let flagged = false;
  for (const c of checks) {
    const v = await c.definition.run(ctx, input, c.config);
    if (v.decision === 'block') flagged = true;
    for (const [k, s] of Object.entries(v.scores ?? {})) scores[k] = round(s);
  }
  return { json: JSON.stringify({ id, flagged, scores }), flagged };
}

const NEVER = new AbortController().signal;
