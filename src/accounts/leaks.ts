/**
 * Leaked-key handling. Safegate recognises its own keys (prefix and checksum)
 * and the upstream keys it holds in any text that passes through it: inputs,
 * outputs, report text.
 *
 * - A Safegate key found there is revoked at once: a key pasted into a
 *   prompt has left its owner's control (chat logs, the provider, other
 *   people's screens). The next request with it gets 401 revoked_api_key.
 * - An upstream key found there cannot be revoked by Safegate (only the
 *   provider can), so administrators get an alert with the steps to do it.
 *
 * Both write a security event and notify administrators. Reports are
 * de-duplicated per key for `dedupeMs`, so a key repeated in a long stream
 * raises one alert. The key itself is never written anywhere: events and
 * notices carry the key id and its display prefix or hint.
 */
import type { Logger } from 'pino';
import { findGatewayKeys } from '../shared/key-format.js';
import type { SecurityEventRepo } from '../storage/types.js';
import { hashGatewayKey, type GatewayKeys } from './gateway-keys.js';
import type { Notifier } from './notifier.js';
import { upstreamKeyFingerprint, type UpstreamKeys } from './upstream-keys.js';

export type LeakKind = 'safegate_key' | 'upstream_key';

export interface LeakReport {
  kind: LeakKind;
  /** the key as found; used for lookup only, never stored or logged */
  value: string;
  /** where it was found */
  stage: 'input' | 'output' | 'report';
  requestId?: string;
}

export type LeakOutcome =
  | { kind: 'safegate_key'; keyId: string; revoked: boolean }
  | { kind: 'upstream_key'; upstreamKeyId: string | null; upstream: string }
  | { kind: 'ignored'; reason: 'unknown' | 'duplicate' };

export interface LeakHandlerOptions {
  keys: GatewayKeys;
  events: SecurityEventRepo;
  notifier: Notifier;
  upstreamKeys?: UpstreamKeys;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
  /** one alert per key within this time, ms; default 10 minutes */
  dedupeMs?: number;
}

/** Where a provider's keys are revoked, by upstream base URL host. */
const PROVIDER_KEY_PAGES: Array<[RegExp, string]> = [
  [/(^|\.)openai\.com$/, 'https://platform.openai.com/api-keys'],
  [/(^|\.)anthropic\.com$/, 'https://console.anthropic.com/settings/keys'],
  [/(^|\.)groq\.com$/, 'https://console.groq.com/keys'],
  [/(^|\.)mistral\.ai$/, 'https://console.mistral.ai/api-keys'],
];

export class LeakHandler {
  readonly #o: LeakHandlerOptions;
  readonly #now: () => number;
  readonly #seen = new Map<string, number>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #upstreamHosts = new Map<string, string>();

  constructor(options: LeakHandlerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Tells alerts where an upstream's keys are managed (its base URL). */
  setUpstreamUrl(upstream: string, baseUrl: string): void {
    try {
      this.#upstreamHosts.set(upstream, new URL(baseUrl).hostname);
    } catch {
      // A bad URL only costs the alert its provider link.
    }
  }

  /** Fire-and-forget form for the request path (the secrets check); never throws. */
  report(leak: LeakReport): void {
    const p = this.handle(leak).catch((err: unknown) => {
      this.#o.logger?.warn({ err: (err as Error)?.message, kind: leak.kind }, 'handling a leaked key failed');
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** True when `value` is one of the upstream keys Safegate holds (for the secrets check's candidates). */
  isUpstreamKey(value: string): boolean {
    return this.#o.upstreamKeys?.isUpstreamKey(value) ?? false;
  }

  /**
   * Looks for Safegate keys and known upstream keys in free text (e.g. a
   * user's report) and reports each. Returns how many were found.
   */
  scanText(text: string, requestId?: string): number {
    let found = 0;
    for (const { key } of findGatewayKeys(text)) {
      found += 1;
      this.report({ kind: 'safegate_key', value: key, stage: 'report', ...(requestId ? { requestId } : {}) });
    }
    if (this.#o.upstreamKeys) {
      for (const token of text.match(/[A-Za-z0-9_\-.]{20,}/g) ?? []) {
        if (this.isUpstreamKey(token)) {
          found += 1;
          this.report({ kind: 'upstream_key', value: token, stage: 'report', ...(requestId ? { requestId } : {}) });
        }
      }
    }
    return found;
  }

  /** Resolves when every report so far has been handled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async handle(leak: LeakReport): Promise<LeakOutcome> {
    const fingerprint = leak.kind === 'safegate_key' ? hashGatewayKey(leak.value) : upstreamKeyFingerprint(leak.value);
    const now = this.#now();
    const last = this.#seen.get(fingerprint);
    if (last !== undefined && now - last < (this.#o.dedupeMs ?? 600_000)) return { kind: 'ignored', reason: 'duplicate' };
    this.#seen.set(fingerprint, now);
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.keys().next().value!);
    return leak.kind === 'safegate_key' ? this.#safegateKey(leak, now) : this.#upstreamKey(leak, now);
  }

  async #safegateKey(leak: LeakReport, now: number): Promise<LeakOutcome> {
    const record = await this.#o.keys.findByKey(leak.value);
    if (!record) return { kind: 'ignored', reason: 'unknown' };
    const wasActive = record.revokedAt === null;
    if (wasActive) await this.#o.keys.revoke(record.id, { actor: 'system', reason: 'leaked' });
    const where = `${leak.stage === 'report' ? 'a report' : `the ${leak.stage}`}${leak.requestId ? ` of request ${leak.requestId}` : ''}`;
    await this.#o.events.record({
      type: 'key.leaked',
      actor: 'system',
      subject: record.id,
      addr: null,
      details: { stage: leak.stage, requestId: leak.requestId ?? null, name: record.name, prefix: record.prefix, revoked: true, wasActive },
    });
    await this.#o.notifier.notify({
      type: 'key.leaked',
      severity: 'critical',
      title: `Safegate key ${record.id} (${record.name}) leaked and was revoked`,
      text: [
        `The Safegate key ${record.prefix}... (id ${record.id}, "${record.name}") appeared in ${where}.`,
        wasActive ? 'Safegate revoked it at once: requests with it now get 401 revoked_api_key.' : 'It was already revoked.',
        '',
        'What to do:',
        `1. Create a replacement: safegate keys create --name "${record.name}"${record.policy ? ` --policy ${record.policy}` : ''} (with the same scopes).`,
        '2. Put the new key into the app\'s secret store and redeploy it.',
        `3. Find how the key got there: ${leak.requestId ? `the audit record of request ${leak.requestId}, ` : ''}the app\'s logs, and who had access.`,
      ].join('\n'),
      details: { keyId: record.id, prefix: record.prefix, stage: leak.stage, requestId: leak.requestId ?? null },
      time: now,
    });
    return { kind: 'safegate_key', keyId: record.id, revoked: true };
  }

  async #upstreamKey(leak: LeakReport, now: number): Promise<LeakOutcome> {
    const known = this.#o.upstreamKeys?.describe(leak.value);
    if (!known) return { kind: 'ignored', reason: 'unknown' };
    const host = this.#upstreamHosts.get(known.upstream);
    const page = host ? PROVIDER_KEY_PAGES.find(([re]) => re.test(host))?.[1] : undefined;
    const where = `${leak.stage === 'report' ? 'a report' : `the ${leak.stage}`}${leak.requestId ? ` of request ${leak.requestId}` : ''}`;
    await this.#o.events.record({
      type: 'upstream_key.leaked',
      actor: 'system',
      subject: known.id ?? `configured:${known.upstream}`,
      addr: null,
      details: { upstream: known.upstream, hint: known.hint, stage: leak.stage, requestId: leak.requestId ?? null },
    });
    const replace = known.id
      ? `safegate upstream-keys rotate ${known.id} --key - (reads the new key from standard input; the old one drains, then is revoked)`
      : `safegate upstream-keys add --upstream ${known.upstream} --key - (stored keys replace the one from the environment), then remove the old key from the environment`;
    await this.#o.notifier.notify({
      type: 'upstream_key.leaked',
      severity: 'critical',
      title: `Upstream key ${known.hint} (${known.upstream}) leaked: revoke it at the provider`,
      text: [
        `The provider key ${known.hint} of upstream "${known.upstream}" appeared in ${where}. Safegate cannot revoke it; anyone who saw it can use it until the provider does.`,
        '',
        'What to do, now:',
        `1. Create a new key at the provider${page ? ` (${page})` : ''}.`,
        `2. Give it to Safegate: ${replace}.`,
        `3. Delete the old key (${known.hint}) at the provider${page ? ` (${page})` : ''}.`,
        `4. Check the provider's usage page for use you do not recognise${leak.requestId ? `, and the audit record of request ${leak.requestId}` : ''}.`,
      ].join('\n'),
      details: { upstreamKeyId: known.id, upstream: known.upstream, hint: known.hint, stage: leak.stage, requestId: leak.requestId ?? null },
      time: now,
    });
    return { kind: 'upstream_key', upstreamKeyId: known.id, upstream: known.upstream };
  }
}
