/**
 * State of one proxied request from arrival to its audit record: timings,
 * check results, tokens and outcome. `finish()` writes exactly one audit
 * record and the request metrics, whatever path the request took.
 */
import type { AuditRecord } from '../storage/types.js';
import type { CheckResult, Decision } from '../pipeline/types.js';
import type { Metrics } from '../observability/metrics.js';
import { strictness } from '../pipeline/types.js';

export interface AuditSink {
  /** Never throws and never blocks the request path. */
  write(record: AuditRecord): void;
}

export class Exchange {
  readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  upstreamMs: number | null = null;
  results: CheckResult[] = [];
  outcome: Decision | 'error' = 'allow';
  blockedBy: string | null = null;
  errorCode: string | null = null;
  status = 200;
  promptTokens: number | null = null;
  completionTokens: number | null = null;
  model: string | null = null;
  policy: string | null = null;
  safetyId: string | null = null;
  content: AuditRecord['content'] = null;
  contentRetentionMs = 0;
  private done = false;

  constructor(
    readonly requestId: string,
    readonly endpoint: string,
    readonly keyId: string | null,
    readonly stream: boolean,
    private readonly sink: AuditSink,
    private readonly metrics: Metrics,
  ) {}

  addResults(results: Iterable<CheckResult>): void {
    for (const r of results) {
      this.results.push(r);
      // An error outcome stays; otherwise the strictest enforced decision wins.
      if (this.outcome !== 'error' && !r.shadow && strictness(r.decision) > strictness(this.outcome)) this.outcome = r.decision;
    }
  }

  block(checkId: string): void {
    this.outcome = 'block';
    this.blockedBy = checkId;
  }

  fail(code: string, status: number): void {
    this.errorCode = code;
    this.status = status;
    if (this.outcome !== 'block') this.outcome = 'error';
  }

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    const latencyMs = this.elapsedMs();
    const statusClass = `${Math.floor(this.status / 100)}xx`;
    this.metrics.request(this.endpoint, statusClass, this.outcome, this.stream, latencyMs / 1000, this.upstreamMs === null ? null : Math.max(0, latencyMs - this.upstreamMs) / 1000);
    for (const r of this.results) this.metrics.check(r.checkId, r.stage, r.decision, r.status, r.shadow, r.latencyMs / 1000);
    this.sink.write({
      requestId: this.requestId,
      time: this.startedAt,
      keyId: this.keyId,
      safetyId: this.safetyId,
      endpoint: this.endpoint,
      model: this.model,
      policy: this.policy,
      status: this.status,
      outcome: this.outcome,
      blockedBy: this.blockedBy,
      checks: this.results,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      upstreamLatencyMs: this.upstreamMs === null ? null : Math.round(this.upstreamMs * 1000) / 1000,
      stream: this.stream,
      errorCode: this.errorCode,
      content: this.content,
      contentExpiresAt: this.content ? this.startedAt + this.contentRetentionMs : null,
    });
  }
}
