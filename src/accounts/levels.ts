/**
 * Verification levels of accounts, weakest first:
 *
 *   anonymous < registered < email_verified < account_linked < payment_verified < id_verified
 *
 * The first four follow from account state: an account is `registered`,
 * `email_verified` once its address is verified, `account_linked` once it is
 * verified and an OAuth/OIDC sign-in is linked. The last two are granted: by
 * an administrator (admin API, CLI) or by a signed webhook from a payment or
 * identity provider. An account's level is the higher of the two.
 *
 * `levelOf` is what access control asks on the request path; answers are
 * cached for a few seconds, and a change made through this class is seen at
 * once in this process (other replicas see it within the cache TTL).
 */
import { VERIFICATION_LEVELS, isVerificationLevel, type VerificationLevel } from '../config/access-schema.js';
import type { AccountRecord, AccountRepo } from '../storage/types.js';
import type { SecurityLog } from './auth/security-log.js';

export { VERIFICATION_LEVELS, isVerificationLevel, type VerificationLevel };

/** Levels that are granted rather than derived. */
export const GRANTED_LEVELS = ['payment_verified', 'id_verified'] as const;
export type GrantedLevel = (typeof GRANTED_LEVELS)[number];

export function isGrantedLevel(value: unknown): value is GrantedLevel {
  return typeof value === 'string' && (GRANTED_LEVELS as readonly string[]).includes(value);
}

export function levelRank(level: VerificationLevel): number {
  return VERIFICATION_LEVELS.indexOf(level);
}

export function atLeast(level: VerificationLevel, minimum: VerificationLevel): boolean {
  return levelRank(level) >= levelRank(minimum);
}

export function higher(a: VerificationLevel, b: VerificationLevel): VerificationLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}

/** The provider id better-auth gives a password sign-in method. */
export const PASSWORD_PROVIDER = 'credential';

/** The level an account's state gives it. */
export function levelOfAccount(account: Pick<AccountRecord, 'emailVerified' | 'providers' | 'verifiedLevel'>): VerificationLevel {
  let level: VerificationLevel = 'registered';
  if (account.emailVerified) {
    level = account.providers.some((p) => p !== PASSWORD_PROVIDER) ? 'account_linked' : 'email_verified';
  }
  return isGrantedLevel(account.verifiedLevel) ? higher(level, account.verifiedLevel) : level;
}

export interface LevelChange {
  /** false when the account already had this granted level (nothing was written) */
  changed: boolean;
  from: VerificationLevel;
  to: VerificationLevel;
}

export interface AccountLevelsOptions {
  repo: AccountRepo;
  log: SecurityLog;
  /** how long an answer of `levelOf` is reused, in ms; default 5,000; 0 disables the cache */
  cacheTtlMs?: number;
  now?: () => number;
}

export class AccountLevels {
  readonly #repo: AccountRepo;
  readonly #log: SecurityLog;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { level: VerificationLevel; accountId: string | null; until: number }>();

  constructor(options: AccountLevelsOptions) {
    this.#repo = options.repo;
    this.#log = options.log;
    this.#ttl = options.cacheTtlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The level of an account named by its id or its email address (anything
   * containing `@` is taken as an email). Unknown accounts are `anonymous`.
   * Throws only when the store fails.
   */
  async levelOf(idOrEmail: string): Promise<VerificationLevel> {
    const key = idOrEmail.includes('@') ? idOrEmail.trim().toLowerCase() : idOrEmail;
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.level;
    const account = await this.#find(key);
    const level = account ? levelOfAccount(account) : 'anonymous';
    if (this.#ttl > 0) {
      this.#cache.delete(key);
      this.#cache.set(key, { level, accountId: account?.id ?? null, until: now + this.#ttl });
      if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return level;
  }

  /** The account and its level, or undefined. Never cached. */
  async describe(idOrEmail: string): Promise<{ account: AccountRecord; level: VerificationLevel } | undefined> {
    const account = await this.#find(idOrEmail);
    return account && { account, level: levelOfAccount(account) };
  }

  /**
   * Sets the granted level of an account (null removes it); an administrator
   * may lower it. Records `user.level_changed` when the effective level moves.
   */
  async set(accountId: string, granted: GrantedLevel | null, who: { actor: string; addr?: string | null; cause: string }): Promise<LevelChange | undefined> {
    const before = await this.#repo.get(accountId);
    if (!before) return undefined;
    if (before.verifiedLevel === granted) return { changed: false, from: levelOfAccount(before), to: levelOfAccount(before) };
    await this.#repo.setVerifiedLevel(accountId, granted);
    return this.#after(before, who);
  }

  /**
   * Raises the granted level to at least `granted` and never lowers it, in
   * one conditional update (webhook deliveries may arrive in any order).
   */
  async raise(accountId: string, granted: GrantedLevel, who: { actor: string; addr?: string | null; cause: string }): Promise<LevelChange | undefined> {
    const before = await this.#repo.get(accountId);
    if (!before) return undefined;
    const lower = [null, ...GRANTED_LEVELS.slice(0, GRANTED_LEVELS.indexOf(granted))];
    const written = await this.#repo.setVerifiedLevel(accountId, granted, lower);
    if (!written) return { changed: false, from: levelOfAccount(before), to: levelOfAccount(before) };
    return this.#after(before, who);
  }

  /**
   * Records `user.level_changed` when a change of account state (email
   * verified, sign-in method linked or unlinked) moved the level: compares
   * the account as it is now with the same account without that change.
   */
  async noteDerivedChange(accountId: string, cause: 'email_verified' | 'account_linked' | 'account_unlinked', provider?: string): Promise<void> {
    this.invalidate(accountId);
    const account = await this.#repo.get(accountId);
    if (!account) return;
    const previous =
      cause === 'email_verified'
        ? { ...account, emailVerified: false }
        : cause === 'account_linked'
          ? { ...account, providers: account.providers.filter((p) => p !== provider) }
          : { ...account, providers: [...account.providers, provider ?? 'oauth'] };
    const before = levelOfAccount(previous);
    const after = levelOfAccount(account);
    if (after !== before) this.#record(account, before, after, { actor: `user:${account.id}`, cause });
  }

  /** Drops cached answers about an account in this process. */
  invalidate(accountId: string): void {
    for (const [key, entry] of this.#cache) if (entry.accountId === accountId || key === accountId) this.#cache.delete(key);
  }

  async #after(before: AccountRecord, who: { actor: string; addr?: string | null; cause: string }): Promise<LevelChange> {
    this.invalidate(before.id);
    const after = (await this.#repo.get(before.id)) ?? before;
    const from = levelOfAccount(before);
    const to = levelOfAccount(after);
    if (from !== to || before.verifiedLevel !== after.verifiedLevel) this.#record(after, from, to, who, before.verifiedLevel);
    return { changed: true, from, to };
  }

  #record(account: AccountRecord, from: VerificationLevel, to: VerificationLevel, who: { actor: string; addr?: string | null; cause: string }, grantedBefore?: string | null): void {
    this.#log.record({
      type: 'user.level_changed',
      actor: who.actor,
      subject: account.id,
      addr: who.addr ?? null,
      details: {
        from,
        to,
        cause: who.cause,
        ...(grantedBefore !== undefined ? { grantedFrom: grantedBefore, grantedTo: account.verifiedLevel } : {}),
      },
    });
  }

  #find(idOrEmail: string): Promise<AccountRecord | undefined> {
    return idOrEmail.includes('@') ? this.#repo.findByEmail(idOrEmail) : this.#repo.get(idOrEmail);
  }
}
