/**
 * Checks streamed output before the client sees it.
 *
 * Text arrives per key (a chat choice, a Responses content part, a tool call's
 * arguments). Until a key finishes, its last `holdBack` characters are never
 * released. Whenever enough new text has gathered, the output checks run over
 * a window made of the last `overlap` released characters (context only) and
 * all unreleased text; what passes is released, minus the held-back tail.
 *
 * Guarantees:
 * - every character is checked, by every output check, before it is released;
 * - a match no longer than `holdBack` is wholly inside one window before any
 *   part of it is released, so it can be redacted or blocked entirely;
 * - checks that declare `streaming: false` see the whole text: the guard then
 *   holds everything back until the key finishes;
 * - after a block, nothing more is released.
 */
import { applySpans, mergeRedactions } from './segments.js';
import type { StageOutcome } from './run.js';
import { strictness, type CheckResult, type TextSegment } from './types.js';

export interface StreamGuardOptions {
  holdBack: number;
  overlap: number;
  /** hold every key back until it finishes (an output check needs the whole text) */
  holdAll: boolean;
  /** most characters a check may keep unreleased with `holdFrom` (default 8 × holdBack) */
  maxHold?: number;
  /** runs the output checks over one window per key */
  check: (segments: TextSegment[], window: { offset: number; final: boolean }) => Promise<StageOutcome>;
}

interface KeyState {
  released: string;
  pending: string;
  /** characters released so far (offset of `pending` in the whole text) */
  offset: number;
  holdAll: boolean;
  finished: boolean;
}

export type GuardStep =
  | { blocked: false; release: ReadonlyArray<{ key: string; text: string }> }
  | { blocked: true; outcome: StageOutcome };

/** A step that releases nothing (shared: callers only read it). */
const NOTHING: GuardStep = Object.freeze({ blocked: false as const, release: Object.freeze([]) });

/** Index at or before `i` that does not split a UTF-16 surrogate pair. */
function safeCut(text: string, i: number): number {
  if (i <= 0 || i >= text.length) return Math.max(0, Math.min(i, text.length));
  const code = text.charCodeAt(i - 1);
  return code >= 0xd800 && code <= 0xdbff ? i - 1 : i;
}

export class StreamGuard {
  private readonly keys = new Map<string, KeyState>();
  private readonly step: number;
  private readonly maxHold: number;
  private blockedOutcome: StageOutcome | null = null;
  /** strictest result per check across all windows, for the audit record */
  readonly results = new Map<string, CheckResult>();
  windows = 0;

  constructor(private readonly options: StreamGuardOptions) {
    // Each window re-reads the overlap and the held-back tail, so a step of a whole hold-back keeps the re-checked share near 2×.
    this.step = Math.max(16, options.holdBack);
    this.maxHold = options.maxHold ?? options.holdBack * 8;
  }

  get blocked(): boolean {
    return this.blockedOutcome !== null;
  }

  /** Keys that have released text, in the order they first appeared. */
  releasedKeys(): string[] {
    return [...this.keys].filter(([, s]) => s.released !== '').map(([k]) => k);
  }

  /** Full released text of a key so far. */
  releasedText(key: string): string {
    return this.keys.get(key)?.released ?? '';
  }

  /**
   * Adds text for `key`; releases what has passed the checks. `more`: further
   * text has already arrived, so the window waits for it (up to `maxHold`
   * pending characters): a burst is checked in one window, not piece by piece.
   */
  push(key: string, text: string, opts: { holdAll?: boolean; more?: boolean } = {}): GuardStep | Promise<GuardStep> {
    // Synchronous unless a window runs: the common case, once per streamed token.
    if (this.blockedOutcome) return { blocked: true, outcome: this.blockedOutcome };
    let state = this.keys.get(key);
    if (!state) {
      state = { released: '', pending: '', offset: 0, holdAll: opts.holdAll ?? false, finished: false };
      this.keys.set(key, state);
    }
    state.pending += text;
    if (state.holdAll || this.options.holdAll) return NOTHING;
    const due = this.options.holdBack + this.step;
    if (state.pending.length < (opts.more === true ? Math.max(due, this.maxHold) : due)) return NOTHING;
    return this.runWindow([key], false);
  }

  /** The key is complete: check and release all its remaining text. */
  async finishKey(key: string): Promise<GuardStep> {
    if (this.blockedOutcome) return { blocked: true, outcome: this.blockedOutcome };
    const state = this.keys.get(key);
    if (!state || state.finished) return NOTHING;
    state.finished = true;
    if (state.pending === '') return NOTHING;
    return this.runWindow([key], true);
  }

  /** The stream ended: finish every key, in one window run. */
  async finish(): Promise<GuardStep> {
    if (this.blockedOutcome) return { blocked: true, outcome: this.blockedOutcome };
    const open = [...this.keys].filter(([, s]) => !s.finished && s.pending !== '').map(([k]) => k);
    for (const s of this.keys.values()) s.finished = true;
    if (open.length === 0) return NOTHING;
    return this.runWindow(open, true);
  }

  private record(outcome: StageOutcome): void {
    for (const r of outcome.results) {
      const prev = this.results.get(r.checkId);
      if (!prev) {
        this.results.set(r.checkId, { ...r, reasons: [...r.reasons] });
        continue;
      }
      const worse = strictness(r.decision) > strictness(prev.decision) || (r.status !== 'ok' && prev.status === 'ok');
      const scores = { ...prev.scores };
      for (const [k, v] of Object.entries(r.scores ?? {})) scores[k] = Math.max(scores[k] ?? 0, v);
      this.results.set(r.checkId, {
        ...(worse ? r : prev),
        reasons: [...new Set([...prev.reasons, ...r.reasons])].slice(0, 10),
        scores,
        latencyMs: prev.latencyMs + r.latencyMs,
      });
    }
  }

  private async runWindow(keys: string[], final: boolean): Promise<GuardStep> {
    const states = keys.map((k) => this.keys.get(k)!);
    const contexts = states.map((s) => s.released.slice(safeCut(s.released, s.released.length - this.options.overlap)));
    const segments: TextSegment[] = states.map((s, i) => ({ text: contexts[i]! + s.pending, role: 'output', source: 'output', path: keys[i]! }));
    const offset = Math.min(...states.map((s, i) => s.offset - contexts[i]!.length));
    this.windows++;
    const outcome = await this.options.check(segments, { offset, final });
    this.record(outcome);
    if (outcome.decision === 'block') {
      this.blockedOutcome = outcome;
      return { blocked: true, outcome };
    }
    const release: Array<{ key: string; text: string }> = [];
    // Redactions come back as new window texts; the released context cannot change, so only the unreleased part is taken.
    const maxHold = this.maxHold;
    states.forEach((s, i) => {
      const ctx = contexts[i]!;
      const ctxLen = ctx.length;
      const done = final || s.finished;
      let original = segments[i]!.text;
      let text = outcome.changed ? outcome.texts[i]! : original;
      let heldTail = '';
      const hold = done ? undefined : outcome.holdFrom?.get(i);
      if (hold !== undefined) {
        // A check saw a possible match running into text not received yet: keep it back (bounded).
        const base = outcome.normalized?.[i] ?? original;
        const h = Math.max(hold, base.length - maxHold, Math.min(ctxLen, base.length));
        if (h < base.length) {
          original = base.slice(0, h);
          text = applySpans(original, mergeRedactions(outcome.redactions.filter((r) => r.segment === i && r.end <= h)).get(i) ?? []);
          heldTail = base.slice(h);
        }
      }
      const pending = text.startsWith(ctx) ? text.slice(ctxLen) : this.clipRedaction(original, text, ctxLen);
      const keep = Math.max(0, this.options.holdBack - heldTail.length);
      const cut = done ? pending.length : safeCut(pending, pending.length - keep);
      const out = pending.slice(0, cut);
      s.pending = pending.slice(cut) + heldTail;
      s.released += out;
      s.offset += out.length;
      if (out) release.push({ key: keys[i]!, text: out });
    });
    return { blocked: false, release };
  }

  /**
   * A redaction reached into already released context. Keep the released part
   * as sent and take the redacted text from the first changed position on.
   */
  private clipRedaction(original: string, redacted: string, ctxLen: number): string {
    let i = 0;
    while (i < original.length && i < redacted.length && original[i] === redacted[i]) i++;
    let j = 0;
    while (j < original.length - i && j < redacted.length - i && original[original.length - 1 - j] === redacted[redacted.length - 1 - j]) j++;
    // original[i, len-j) became redacted[i, rlen-j); the unreleased text starts at ctxLen.
    const replacement = redacted.slice(i, redacted.length - j);
    return replacement + original.slice(Math.max(ctxLen, original.length - j));
  }
}

