/**
 * `POST /auth/webhooks/verification`: a payment or identity provider (or a
 * small adapter in front of one) tells Safegate that an account passed a
 * check, and the account's granted level is raised.
 *
 * Body (JSON; other fields are ignored):
 *
 *   {"id": "evt_123", "type": "payment.verified" | "identity.verified",
 *    "email": "a@example.com"}            // or "user_id": "acct_..."
 *
 * Order of checks: signature (constant time, any configured secret), then
 * the timestamp tolerance, then the body, then the account, then the event id
 * (claimed atomically: exactly one delivery of an id is applied; a repeat is
 * refused as a replay). Raising is idempotent and never lowers a level, so
 * deliveries may arrive in any order.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AccountRepo } from '../../storage/types.js';
import type { AccountLevels, GrantedLevel, LevelChange } from '../levels.js';
import type { SecurityLog } from './security-log.js';
import { verifySignature } from './webhook-signature.js';

const EVENT_LEVELS: Record<string, GrantedLevel> = { 'payment.verified': 'payment_verified', 'identity.verified': 'id_verified' };

const eventSchema = z
  .object({
    id: z.string().min(1).max(200),
    type: z.enum(['payment.verified', 'identity.verified']),
    email: z.email().max(320).optional(),
    user_id: z.string().min(1).max(200).optional(),
  })
  .refine((e) => Boolean(e.email) !== Boolean(e.user_id), 'exactly one of email or user_id');

export interface WebhookResult {
  received: true;
  event: string;
  account: string;
  level: LevelChange['to'];
  changed: boolean;
}

export interface VerificationWebhookOptions {
  secrets: readonly string[];
  toleranceMs: number;
  repo: AccountRepo;
  levels: AccountLevels;
  log: SecurityLog;
  now?: () => number;
}

/** Keeps event ids for this long; older deliveries fail the timestamp check before they reach the id. */
const EVENT_RETENTION_MS = 7 * 86_400_000;
/** At most one `auth.webhook_rejected` event per reason per interval, so a flood of junk cannot flood the log. */
const REJECTION_LOG_INTERVAL_MS = 60_000;

export class VerificationWebhook {
  readonly #o: VerificationWebhookOptions;
  readonly #now: () => number;
  readonly #lastRejectionLog = new Map<string, number>();
  #lastPurge = 0;

  constructor(options: VerificationWebhookOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get configured(): boolean {
    return this.#o.secrets.length > 0;
  }

  /** Throws a GatewayError for every refusal; resolves when the event was applied. */
  async handle(rawBody: string, signature: string | undefined, addr: string | null): Promise<WebhookResult> {
    if (!this.configured) throw new GatewayError('WEBHOOK_NOT_CONFIGURED');
    const now = this.#now();
    const check = verifySignature({ header: signature, body: rawBody, secrets: this.#o.secrets, toleranceMs: this.#o.toleranceMs, nowMs: now });
    if (!check.ok) {
      this.#rejected(check.reason, addr, now);
      throw new GatewayError(check.reason === 'stale' ? 'WEBHOOK_TIMESTAMP_STALE' : 'WEBHOOK_SIGNATURE_INVALID');
    }

    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new GatewayError('INVALID_JSON');
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) {
      throw new GatewayError('INVALID_REQUEST', { message: `Invalid verification event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` });
    }
    const event = parsed.data;
    const account = event.user_id ? await this.#o.repo.get(event.user_id) : await this.#o.repo.findByEmail(event.email!);
    if (!account) throw new GatewayError('ACCOUNT_NOT_FOUND', { message: 'No account matches the event; it was not recorded and may be sent again.' });

    if (!(await this.#o.repo.claimWebhookEvent(event.id, now))) {
      this.#o.log.record({ type: 'auth.webhook_replayed', actor: 'webhook:verification', subject: account.id, addr, details: { event: event.id } });
      throw new GatewayError('WEBHOOK_REPLAYED');
    }
    const change = await this.#o.levels.raise(account.id, EVENT_LEVELS[event.type]!, { actor: 'webhook:verification', addr, cause: event.type });
    this.#purge(now);
    return { received: true, event: event.id, account: account.id, level: change?.to ?? 'registered', changed: change?.changed ?? false };
  }

  #rejected(reason: string, addr: string | null, now: number): void {
    const last = this.#lastRejectionLog.get(reason) ?? 0;
    if (now - last < REJECTION_LOG_INTERVAL_MS) return;
    this.#lastRejectionLog.set(reason, now);
    this.#o.log.record({ type: 'auth.webhook_rejected', actor: 'webhook:verification', subject: null, addr, details: { reason } });
  }

  #purge(now: number): void {
    if (now - this.#lastPurge < 3_600_000) return;
    this.#lastPurge = now;
    this.#o.repo.purgeWebhookEvents(now - EVENT_RETENTION_MS).catch(() => undefined);
  }
}
