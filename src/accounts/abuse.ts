/**
 * Abuse isolation per end user (safety identifier). Each blocked or flagged
 * request adds strikes; strikes decay exponentially (they halve every
 * `halfLifeMs`). The decayed score moves a user through the states:
 *
 * - `ok`
 * - `throttled` at `throttle` strikes: the user keeps `throttleFactor` of
 *   their level's request rate. Lifts by itself as strikes decay.
 * - `suspended` at `suspend` strikes: every request is refused with 403
 *   `user_suspended`, whose message says how to appeal. Only an administrator
 *   lifts it (`safegate users restore`).
 * - `review` at `review` strikes: as suspended, and put up for an
 *   administrator's review. Requests a suspended user keeps sending count
 *   (`weights.refused`), so persistent abuse reaches review.
 *
 * Only the user's own requests add strikes: other users of the same app and
 * key are unaffected. State is durable (the `user_state` table); writes use
 * compare-and-set, so replicas adding strikes at once lose none.
 */
import type { SecurityEventRepo, UserStateName, UserStateRecord, UserStateRepo } from '../storage/types.js';

export interface StrikePolicy {
  weights: { block: number; flag: number; review: number; refused?: number };
  halfLifeMs: number;
  throttle: number;
  suspend: number;
  review: number;
  throttleFactor: number;
}

/** The strike policy of the `access.strikes` configuration section. */
export function strikePolicy(s: {
  weights: StrikePolicy['weights'];
  halfLife: number;
  throttle: number;
  suspend: number;
  review: number;
  throttleFactor: number;
}): StrikePolicy {
  return { weights: s.weights, halfLifeMs: s.halfLife, throttle: s.throttle, suspend: s.suspend, review: s.review, throttleFactor: s.throttleFactor };
}

export interface UserStanding {
  state: UserStateName;
  /** decayed strikes now */
  strikes: number;
  /** short machine reason of the last transition (`strikes`, `admin`), never user content */
  reason: string | null;
}

export interface Transition {
  safetyId: string;
  from: UserStateName;
  to: UserStateName;
  strikes: number;
  actor: string;
}

export interface AbuseTrackerOptions {
  repo: UserStateRepo;
  events: SecurityEventRepo;
  policy: StrikePolicy;
  now?: () => number;
  /** how long a looked-up state is trusted without asking the database, ms; default 5,000 */
  cacheTtlMs?: number;
  /** most cached states; default 100,000 */
  cacheMaxEntries?: number;
  /** called after a state change is stored (notifications); must not throw */
  onTransition?: (transition: Transition) => void;
}

/** Strikes `strikes` recorded at `from`, decayed to `to`. */
export function decayStrikes(strikes: number, from: number, to: number, halfLifeMs: number): number {
  if (strikes <= 0) return 0;
  if (to <= from || halfLifeMs <= 0) return strikes;
  return strikes * 2 ** (-(to - from) / halfLifeMs);
}

const BLOCKING: ReadonlySet<UserStateName> = new Set(['suspended', 'review']);
const RANK: Record<UserStateName, number> = { ok: 0, throttled: 1, suspended: 2, review: 3 };
/** Strikes below this are stored as zero, so decayed scores do not linger as tiny numbers. */
const NEGLIGIBLE = 1e-3;
const CAS_ATTEMPTS = 8;

export class AbuseTracker {
  readonly #repo: UserStateRepo;
  readonly #events: SecurityEventRepo;
  readonly #policy: StrikePolicy;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #max: number;
  readonly #onTransition: ((t: Transition) => void) | undefined;
  readonly #cache = new Map<string, { record: UserStateRecord | null; until: number }>();

  constructor(options: AbuseTrackerOptions) {
    this.#repo = options.repo;
    this.#events = options.events;
    this.#policy = options.policy;
    this.#now = options.now ?? Date.now;
    this.#ttl = options.cacheTtlMs ?? 5000;
    this.#max = Math.max(1, options.cacheMaxEntries ?? 100_000);
    this.#onTransition = options.onTransition;
  }

  get policy(): StrikePolicy {
    return this.#policy;
  }

  /** The user's standing now. Uses the cache; throws only when the store fails. */
  async standing(safetyId: string): Promise<UserStanding> {
    return this.#standingOf(await this.#load(safetyId, true), this.#now());
  }

  /** True for states whose requests are refused. */
  static refuses(state: UserStateName): boolean {
    return BLOCKING.has(state);
  }

  /** Adds strikes for one request outcome (`block`, `flag`, `review`, `refused`); other outcomes add none. */
  async strike(safetyId: string, outcome: string): Promise<Transition | null> {
    const weight = (this.#policy.weights as Record<string, number | undefined>)[outcome] ?? 0;
    if (!(weight > 0)) return null;
    return this.#update(safetyId, 'system', (current, now) => {
      const strikes = this.#decayed(current, now) + weight;
      const earned = this.#stateFor(strikes);
      // Automatic changes only escalate a suspension; lifting one is an administrator's decision.
      const state = BLOCKING.has(current?.state ?? 'ok') && RANK[earned] < RANK[current!.state] ? current!.state : earned;
      return { state, strikes, reason: state === (current?.state ?? 'ok') ? (current?.reason ?? null) : 'strikes' };
    });
  }

  /** Suspends a user (administrator action). */
  suspend(safetyId: string, actor: string): Promise<Transition | null> {
    return this.#update(safetyId, actor, (current, now) => ({ state: 'suspended', strikes: this.#decayed(current, now), reason: 'admin' }));
  }

  /** Lifts a suspension, review or throttle and clears the user's strikes (administrator action). */
  restore(safetyId: string, actor: string): Promise<Transition | null> {
    return this.#update(safetyId, actor, () => ({ state: 'ok', strikes: 0, reason: 'admin' }));
  }

  /** Forgets cached states (tests; or after an out-of-band change). */
  clearCache(): void {
    this.#cache.clear();
  }

  #stateFor(strikes: number): UserStateName {
    const p = this.#policy;
    if (strikes >= p.review) return 'review';
    if (strikes >= p.suspend) return 'suspended';
    if (strikes >= p.throttle) return 'throttled';
    return 'ok';
  }

  #decayed(record: UserStateRecord | null | undefined, now: number): number {
    if (!record) return 0;
    return decayStrikes(record.strikes, record.strikesAt, now, this.#policy.halfLifeMs);
  }

  #standingOf(record: UserStateRecord | null, now: number): UserStanding {
    const strikes = this.#decayed(record, now);
    if (!record) return { state: 'ok', strikes: 0, reason: null };
    if (BLOCKING.has(record.state)) return { state: record.state, strikes, reason: record.reason };
    // Throttling lifts by itself: recompute from the decayed score rather than trusting the stored state.
    const computed = this.#stateFor(strikes);
    return { state: computed === 'throttled' ? 'throttled' : 'ok', strikes, reason: record.reason };
  }

  async #load(safetyId: string, useCache: boolean): Promise<UserStateRecord | null> {
    const now = this.#now();
    if (useCache) {
      const hit = this.#cache.get(safetyId);
      if (hit && hit.until > now) return hit.record;
    }
    const record = (await this.#repo.get(safetyId)) ?? null;
    this.#remember(safetyId, record, now);
    return record;
  }

  #remember(safetyId: string, record: UserStateRecord | null, now: number): void {
    if (this.#ttl <= 0) return;
    this.#cache.delete(safetyId);
    this.#cache.set(safetyId, { record, until: now + this.#ttl });
    if (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value!);
  }

  async #update(
    safetyId: string,
    actor: string,
    next: (current: UserStateRecord | null, now: number) => { state: UserStateName; strikes: number; reason: string | null },
  ): Promise<Transition | null> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.#load(safetyId, false);
      const now = this.#now();
      const before = this.#standingOf(current, now).state;
      const change = next(current, now);
      const record: UserStateRecord = {
        safetyId,
        state: change.state,
        strikes: change.strikes < NEGLIGIBLE ? 0 : change.strikes,
        strikesAt: now,
        reason: change.reason,
        updatedAt: now,
        updatedBy: actor,
        version: (current?.version ?? 0) + 1,
      };
      if (!(await this.#repo.compareAndSet(record, current ? current.version : null))) continue;
      this.#remember(safetyId, record, now);
      const after = this.#standingOf(record, now).state;
      if (after === before && actor === 'system') return null;
      const transition: Transition = { safetyId, from: before, to: after, strikes: record.strikes, actor };
      await this.#events.record({
        type: eventType(before, after),
        actor,
        subject: safetyId,
        addr: null,
        details: { from: before, to: after, strikes: Math.round(record.strikes * 100) / 100, reason: record.reason },
      });
      this.#onTransition?.(transition);
      return transition;
    }
    throw new Error('user state kept changing under concurrent writers; gave up');
  }
}

function eventType(_from: UserStateName, to: UserStateName): string {
  if (to === 'ok') return 'user.restored';
  if (to === 'throttled') return 'user.throttled';
  if (to === 'suspended') return 'user.suspended';
  return 'user.review';
}
