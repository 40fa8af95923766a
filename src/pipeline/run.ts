/**
 * Runs the checks of one stage and reduces their verdicts to one decision.
 *
 * Order within a stage: `normalize` checks first, one after another, each
 * seeing the previous one's output; then every other check concurrently on the
 * normalised text. The strictest enforced verdict wins. A check that throws or
 * times out is recorded as an error and its failure policy decides: fail-closed
 * blocks, fail-open allows — never silently. Shadow entries run and are
 * recorded but never change the outcome.
 */
import { redactSegments } from './segments.js';
import { strictness, type CheckContext, type CheckDefinition, type CheckInput, type CheckResult, type Decision, type Redaction, type Stage, type Verdict } from './types.js';

/** A check as a policy enables it: definition, parsed config and run settings. */
export interface ActiveCheck {
  definition: CheckDefinition;
  config: unknown;
  mode: 'enforce' | 'shadow';
  timeoutMs: number;
  onError: 'fail-closed' | 'fail-open';
}

export interface StageOutcome {
  /** strictest enforced decision; `block` when a fail-closed check failed */
  decision: Decision;
  results: CheckResult[];
  /** the check and reasons behind a block */
  blockedBy: { checkId: string; reasons: string[]; failed: boolean } | null;
  /** segment texts after normalisation and redaction (same order as the input) */
  texts: string[];
  /** true when any text differs from the input */
  changed: boolean;
  /** merged request patches of enforced checks (input stage) */
  requestPatch: Record<string, unknown>;
  /** segment texts after the normalisers, before redaction; null when no normaliser changed anything */
  normalized: string[] | null;
  /** redaction spans applied to `texts` (offsets into `normalized` or the input), for callers that map offsets */
  redactions: Redaction[];
  /** earliest hold position per segment requested by enforced checks (streaming windows) */
  holdFrom: Map<number, number> | null;
}

class CheckTimeout extends Error {}

function now(): number {
  return performance.now();
}

/** Awaits `value` for at most `ms`; sync values pass straight through (no timer on the hot path). */
async function withTimeout<T>(value: T | Promise<T>, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      value,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function validVerdict(v: unknown): v is Verdict {
  return typeof v === 'object' && v !== null && typeof (v as Verdict).decision === 'string' && strictness((v as Verdict).decision) >= 0 && Array.isArray((v as Verdict).reasons);
}

interface Ran {
  check: ActiveCheck;
  result: CheckResult;
  verdict: Verdict | null;
}

function failed(check: ActiveCheck, stage: Stage, started: number, err: unknown): Ran {
  const timeout = err instanceof CheckTimeout;
  const failedDecision: Decision = check.onError === 'fail-closed' ? 'block' : 'allow';
  // Only the error's class and a fixed message are kept: messages of third-party errors may carry secrets or content.
  const error = timeout ? `timed out after ${check.timeoutMs} ms` : `failed: ${err instanceof Error ? err.name : 'error'}`;
  return {
    check,
    verdict: null,
    result: { checkId: check.definition.id, stage, shadow: check.mode === 'shadow', status: timeout ? 'timeout' : 'error', decision: failedDecision, reasons: [`check ${error}`], latencyMs: now() - started, error },
  };
}

function succeeded(check: ActiveCheck, stage: Stage, started: number, verdict: unknown): Ran {
  if (!validVerdict(verdict)) return failed(check, stage, started, new Error('the check returned an invalid verdict'));
  const result: CheckResult = { checkId: check.definition.id, stage, shadow: check.mode === 'shadow', status: 'ok', decision: verdict.decision, reasons: verdict.reasons, latencyMs: now() - started };
  if (verdict.scores) result.scores = verdict.scores;
  return { check, verdict, result };
}

/** Runs one check. Synchronous checks complete without a promise or timer (the common, cheap case). */
function runOne(check: ActiveCheck, ctx: CheckContext, input: CheckInput, stage: Stage): Ran | Promise<Ran> {
  const started = now();
  let value: Verdict | Promise<Verdict>;
  try {
    value = check.definition.run(ctx, input, check.config);
  } catch (err) {
    return failed(check, stage, started, err);
  }
  if (!(value instanceof Promise)) return succeeded(check, stage, started, value);
  return withTimeout(value, check.timeoutMs).then(
    (v) => succeeded(check, stage, started, v),
    (err: unknown) => failed(check, stage, started, err),
  );
}

/**
 * Runs `checks` over `input`. The caller gives a context whose `stage` matches.
 * The returned texts hold every enforced redaction unless the stage blocks.
 */
export async function runStage(checks: readonly ActiveCheck[], ctx: CheckContext, input: CheckInput): Promise<StageOutcome> {
  const stage = ctx.stage;
  const results: CheckResult[] = [];
  let texts = input.segments.map((s) => s.text);
  let current = input;
  let changed = false;

  const normalizers: ActiveCheck[] = [];
  const others: ActiveCheck[] = [];
  for (const c of checks) (c.definition.phase === 'normalize' ? normalizers : others).push(c);

  const ran: Ran[] = [];
  for (const n of normalizers) {
    const r0 = runOne(n, ctx, current, stage);
    const r = r0 instanceof Promise ? await r0 : r0;
    ran.push(r);
    if (r.verdict?.redactions?.length && n.mode === 'enforce') {
      texts = redactSegments(current.segments, r.verdict.redactions);
      current = { ...current, segments: current.segments.map((s, i) => (s.text === texts[i] ? s : { ...s, text: texts[i]! })) };
      changed = true;
    }
  }
  const pending: Array<Promise<Ran>> = [];
  for (const c of others) {
    const r = runOne(c, ctx, current, stage);
    if (r instanceof Promise) pending.push(r);
    else ran.push(r);
  }
  if (pending.length) ran.push(...(await Promise.all(pending)));

  let decision: Decision = 'allow';
  let blockedBy: StageOutcome['blockedBy'] = null;
  const redactions: Redaction[] = [];
  const requestPatch: Record<string, unknown> = {};
  let holdFrom: Map<number, number> | null = null;
  for (const r of ran) {
    results.push(r.result);
    if (r.check.mode === 'shadow') continue;
    const d = r.result.decision;
    if (strictness(d) > strictness(decision)) decision = d;
    if (d === 'block' && !blockedBy) blockedBy = { checkId: r.result.checkId, reasons: r.result.reasons, failed: r.result.status !== 'ok' };
    if (r.verdict && r.check.definition.phase !== 'normalize' && r.verdict.redactions?.length) redactions.push(...r.verdict.redactions);
    if (r.verdict?.requestPatch) Object.assign(requestPatch, r.verdict.requestPatch);
    for (const h of r.verdict?.holdFrom ?? []) {
      holdFrom ??= new Map();
      holdFrom.set(h.segment, Math.min(h.index, holdFrom.get(h.segment) ?? Infinity));
    }
  }

  if (decision !== 'block' && redactions.length > 0) {
    texts = redactSegments(current.segments, redactions);
    changed = true;
  }
  const normalized = current === input ? null : current.segments.map((seg) => seg.text);
  return { decision, results, blockedBy, texts, changed, requestPatch, normalized, redactions: decision === 'block' ? [] : redactions, holdFrom };
}
