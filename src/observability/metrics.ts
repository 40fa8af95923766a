/**
 * Prometheus metrics for `GET /metrics`. Labels are bounded sets (endpoint,
 * status class, check id, outcome); never user ids, keys or models from
 * unvalidated input.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'safegate_requests_total', help: 'Requests handled, by endpoint, status and outcome', labelNames: ['endpoint', 'status', 'outcome'] as const, registers: [this.registry] });
  readonly requestDuration = new Histogram({ name: 'safegate_request_duration_seconds', help: 'Time from request to the last byte sent', labelNames: ['endpoint', 'stream'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly overhead = new Histogram({ name: 'safegate_overhead_seconds', help: 'Time spent in the gateway outside the upstream call', labelNames: ['endpoint'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly verdicts = new Counter({ name: 'safegate_check_verdicts_total', help: 'Check verdicts by check, stage, decision and status', labelNames: ['check', 'stage', 'decision', 'status', 'shadow'] as const, registers: [this.registry] });
  readonly checkDuration = new Histogram({ name: 'safegate_check_duration_seconds', help: 'Check latency', labelNames: ['check', 'stage'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly upstreamDuration = new Histogram({ name: 'safegate_upstream_duration_seconds', help: 'Upstream latency to response headers', labelNames: ['upstream', 'status'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly auditQueue = new Gauge({ name: 'safegate_audit_queue_length', help: 'Audit records waiting to be written', registers: [this.registry] });
  readonly auditDropped = new Gauge({ name: 'safegate_audit_dropped_total', help: 'Audit records dropped because the queue overflowed', registers: [this.registry] });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'safegate_' });
  }

  // Label children are looked up once per label set and reused: prom-client hashes the label object on every call otherwise.
  private readonly children = new Map<string, { inc(): void } | { observe(v: number): void }>();

  private child<T>(key: string, make: () => T): T {
    let c = this.children.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.children.set(key, c as never);
    }
    return c;
  }

  /** Records one check result: verdict count and latency. */
  check(check: string, stage: string, decision: string, status: string, shadow: boolean, seconds: number): void {
    this.child(`v\0${check}\0${stage}\0${decision}\0${status}\0${shadow}`, () => this.verdicts.labels({ check, stage, decision, status, shadow: String(shadow) })).inc();
    this.child(`d\0${check}\0${stage}`, () => this.checkDuration.labels({ check, stage })).observe(seconds);
  }

  /** Records one finished request. */
  request(endpoint: string, status: string, outcome: string, stream: boolean, seconds: number, overheadSeconds: number | null): void {
    this.child(`r\0${endpoint}\0${status}\0${outcome}`, () => this.requests.labels({ endpoint, status, outcome })).inc();
    this.child(`t\0${endpoint}\0${stream}`, () => this.requestDuration.labels({ endpoint, stream: String(stream) })).observe(seconds);
    if (overheadSeconds !== null) this.child(`o\0${endpoint}`, () => this.overhead.labels({ endpoint })).observe(overheadSeconds);
  }
}
