/**
 * Administrator actions on end users: abuse-notice lookup (safety identifier
 * → the user id the app passed, and their recent flagged activity), suspend
 * and restore. Every action writes a security event; events name the user by
 * safety identifier only, never by the raw id.
 */
import type { SafetyIds } from '../identity/safety-id.js';
import type { AuditRecord, Store } from '../storage/types.js';
import type { AbuseTracker, Transition, UserStanding } from './abuse.js';
import type { Identities, IdentityView } from './identities.js';

export interface LookupResult {
  safetyId: string;
  /** absent when Safegate never saw a request naming this user */
  identity?: IdentityView;
  standing: UserStanding;
  /** recent blocked, flagged or reviewed requests, newest first */
  flagged: AuditRecord[];
}

/** A user named either by the id the app passes or by safety identifier. */
export type UserRef = { userId: string } | { safetyId: string };

export interface UserAdminOptions {
  store: Store;
  abuse: AbuseTracker;
  /** names users by the id the app passes */
  safetyIds: SafetyIds;
  /** needed for lookups only (decrypts raw user ids with the master key) */
  identities?: Identities;
  now?: () => number;
}

const FLAGGED_OUTCOMES = ['block', 'flag', 'review'] as const;

export class UserAdmin {
  readonly #o: UserAdminOptions;

  constructor(options: UserAdminOptions) {
    this.#o = options;
  }

  safetyIdOf(ref: UserRef): string {
    return 'safetyId' in ref ? ref.safetyId.trim() : this.#o.safetyIds.derive(ref.userId.trim());
  }

  /** Finds the user behind a safety identifier, with their standing and recent flagged activity. */
  async lookup(safetyId: string, actor: string, options: { sinceMs?: number; limit?: number } = {}): Promise<LookupResult> {
    const now = (this.#o.now ?? Date.now)();
    const since = now - (options.sinceMs ?? 30 * 86_400_000);
    const limit = options.limit ?? 20;
    const identities = this.#o.identities;
    if (!identities) throw new Error('lookups need the identities service (master key)');
    const [identity, standing, ...flagged] = await Promise.all([
      identities.lookup(safetyId),
      this.#o.abuse.standing(safetyId),
      ...FLAGGED_OUTCOMES.map((outcome) => this.#o.store.audit.query({ safetyId, outcome, since, limit })),
    ]);
    await this.#o.store.securityEvents.record({
      type: 'user.lookup',
      actor,
      subject: safetyId,
      addr: null,
      details: { found: identity !== undefined },
    });
    const records = flagged
      .flat()
      .sort((a, b) => b.time - a.time || (a.requestId < b.requestId ? 1 : -1))
      .slice(0, limit);
    return { safetyId, ...(identity ? { identity } : {}), standing, flagged: records };
  }

  suspend(ref: UserRef, actor: string): Promise<Transition | null> {
    return this.#o.abuse.suspend(this.safetyIdOf(ref), actor);
  }

  restore(ref: UserRef, actor: string): Promise<Transition | null> {
    return this.#o.abuse.restore(this.safetyIdOf(ref), actor);
  }
}
