/**
 * Brute-force throttling of password sign-in, per account and per client
 * address (NIST SP 800-63B-4 §3.2.2 rate limiting; OWASP Authentication
 * Cheat Sheet). An attempt is refused while the account, or the address, has
 * `maxFailures` failures within its window; the refusal is the same for both,
 * and for addresses that belong to no account, so throttling reveals nothing
 * about which accounts exist.
 *
 * Accounts are keyed by a keyed hash of the email address (never the address
 * itself), so attempts against unknown addresses are throttled exactly like
 * attempts against real ones.
 *
 * A successful sign-in clears the account's failures but not the address's:
 * otherwise an attacker holding one valid account could reset their address
 * counter between guesses at other accounts.
 *
 * Trade-off: anyone can lock an account's password sign-in for one window by
 * failing on purpose. The lock is temporary, per window, and does not affect
 * OAuth sign-in, existing sessions or password reset.
 *
 * Failure: when a limiter cannot count (shared store unreachable), `begin`
 * rejects and the sign-in is refused, never let through uncounted. Taking
 * attempts back (`succeeded`, `abandoned`) does not fail the sign-in: a missed
 * take-back only leaves a count too high until the window passes, so it is
 * reported to `onError` instead.
 */
import { MemoryAttemptLimiter, type AttemptDecision, type AttemptLimiter } from './attempt-limiter.js';

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
}

export type ThrottleScope = 'account' | 'address';

export type ThrottleVerdict =
  | { allowed: true; ticket: AttemptTicket }
  | { allowed: false; retryAfterMs: number; scope: ThrottleScope };

/** What `begin` counted, to settle with `succeeded` or `failed`. */
export interface AttemptTicket {
  accountKey: string;
  addressKey: string | null;
  at: number;
  /** failures in the window including this attempt */
  accountCount: number;
  addressCount: number;
}

export interface LoginThrottleOptions {
  account: ThrottleRule;
  address: ThrottleRule;
  /** limiters to use instead of in-memory ones (e.g. shared through Redis) */
  limiters?: { account: AttemptLimiter; address: AttemptLimiter };
  /** a take-back that failed (the attempt stays counted); default: ignored */
  onError?: (err: unknown, scope: ThrottleScope) => void;
  now?: () => number;
}

/**
 * The unit an address is throttled as: IPv4 addresses (also IPv4-mapped IPv6)
 * as they are, IPv6 addresses by their /64 network, since one subscriber
 * usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressUnit(addr: string): string {
  const text = addr.trim().toLowerCase().replace(/^\[|\]$/g, '').split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped) return mapped[1]!;
  if (!text.includes(':')) return text;
  const [head = '', tail = ''] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = text.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = text.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class LoginThrottle {
  readonly #account: AttemptLimiter;
  readonly #address: AttemptLimiter;
  readonly #rules: { account: ThrottleRule; address: ThrottleRule };
  readonly #now: () => number;
  readonly #onError: (err: unknown, scope: ThrottleScope) => void;

  constructor(options: LoginThrottleOptions) {
    this.#rules = { account: options.account, address: options.address };
    this.#account = options.limiters?.account ?? new MemoryAttemptLimiter({ max: options.account.maxFailures, windowMs: options.account.windowMs });
    this.#address = options.limiters?.address ?? new MemoryAttemptLimiter({ max: options.address.maxFailures, windowMs: options.address.windowMs });
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * Counts an attempt before the password is checked; refuses when either
   * limit is reached. `accountRef` is the email's keyed hash; `addr` may be
   * null when the address is unknown (then only the account limit applies).
   */
  async begin(accountRef: string, addr: string | null): Promise<ThrottleVerdict> {
    const at = this.#now();
    const addressKey = addr ? `addr:${addressUnit(addr)}` : null;
    let addressCount = 0;
    if (addressKey) {
      const byAddress = await this.#address.consume(addressKey, at);
      if (!byAddress.allowed) return { allowed: false, retryAfterMs: byAddress.retryAfterMs, scope: 'address' };
      addressCount = byAddress.count;
    }
    const accountKey = `acct:${accountRef}`;
    let byAccount: AttemptDecision;
    try {
      byAccount = await this.#account.consume(accountKey, at);
    } catch (err) {
      if (addressKey) await this.#takeBack('address', () => this.#address.release(addressKey, at));
      throw err;
    }
    if (!byAccount.allowed) {
      if (addressKey) await this.#takeBack('address', () => this.#address.release(addressKey, at));
      return { allowed: false, retryAfterMs: byAccount.retryAfterMs, scope: 'account' };
    }
    return { allowed: true, ticket: { accountKey, addressKey, at, accountCount: byAccount.count, addressCount } };
  }

  /** The password was right: the account starts afresh and the attempt does not count against the address. */
  async succeeded(ticket: AttemptTicket): Promise<void> {
    const { addressKey } = ticket;
    await Promise.all([
      this.#takeBack('account', () => this.#account.reset(ticket.accountKey)),
      addressKey ? this.#takeBack('address', () => this.#address.release(addressKey, ticket.at)) : undefined,
    ]);
  }

  /** The attempt failed: it stays counted. Returns which limits it has just reached. */
  failed(ticket: AttemptTicket): ThrottleScope[] {
    const reached: ThrottleScope[] = [];
    if (ticket.accountCount === this.#rules.account.maxFailures) reached.push('account');
    if (ticket.addressKey && ticket.addressCount === this.#rules.address.maxFailures) reached.push('address');
    return reached;
  }

  /** The attempt ended without a verdict on the password (bad request, server error): take it back. */
  async abandoned(ticket: AttemptTicket): Promise<void> {
    const { addressKey } = ticket;
    await Promise.all([
      this.#takeBack('account', () => this.#account.release(ticket.accountKey, ticket.at)),
      addressKey ? this.#takeBack('address', () => this.#address.release(addressKey, ticket.at)) : undefined,
    ]);
  }

  async #takeBack(scope: ThrottleScope, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#onError(err, scope);
    }
  }
}
