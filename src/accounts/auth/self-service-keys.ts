/**
 * Gateway keys that signed-in users create for themselves (`/auth/keys`).
 *
 * A self-service key is owned by its account (`owner`): requests with it are
 * requests of that account, whatever user header they carry, so the
 * account's level, limits and standing always apply. Its scopes come from
 * `selfServiceScopes` and never exceed the level's limits; it carries no
 * grants (a user cannot vouch for their own level). The number of active keys
 * per account is capped by the level's `selfServiceKeys` limit.
 *
 * Creation and revocation are recorded as `key.created` / `key.revoked` by
 * `GatewayKeys`, with the account as actor.
 *
 * Creation is serialised per account in this process, so parallel requests
 * cannot exceed the cap here; across replicas two simultaneous requests can
 * overshoot it by one.
 */
import type { LevelLimits, VerificationLevel } from '../../config/access-schema.js';
import type { ApiKeyRecord } from '../../storage/types.js';
import type { CreatedKey, GatewayKeys } from '../gateway-keys.js';
import { selfServiceScopes } from '../key-scopes.js';
import type { AccountLevels } from '../levels.js';

export interface SelfServiceKeysOptions {
  keys: GatewayKeys;
  levels: AccountLevels;
  limits: Record<VerificationLevel, LevelLimits>;
  /** key lifetime in ms; 0 for keys that do not expire */
  expiresInMs: number;
  now?: () => number;
}

export type CreateOutcome =
  | { ok: true; created: CreatedKey; level: VerificationLevel }
  | { ok: false; reason: 'limit'; level: VerificationLevel; limit: number };

export function isActive(record: ApiKeyRecord, now: number): boolean {
  return record.revokedAt === null && (record.expiresAt === null || record.expiresAt > now);
}

export class SelfServiceKeys {
  readonly #o: SelfServiceKeysOptions;
  readonly #now: () => number;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: SelfServiceKeysOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Keys the account owns, revoked and expired ones included, oldest first. */
  async list(accountId: string): Promise<ApiKeyRecord[]> {
    return (await this.#o.keys.list()).filter((k) => k.owner === accountId);
  }

  /** The level's cap and how many active keys the account holds. */
  async quota(accountId: string): Promise<{ level: VerificationLevel; limit: number; active: number }> {
    const level = await this.#o.levels.levelOf(accountId);
    const now = this.#now();
    const active = (await this.list(accountId)).filter((k) => isActive(k, now)).length;
    return { level, limit: this.#o.limits[level].selfServiceKeys, active };
  }

  create(accountId: string, input: { name: string; models?: string[] }, addr: string | null): Promise<CreateOutcome> {
    return this.#serial(accountId, async () => {
      this.#o.levels.invalidate(accountId);
      const { level, limit, active } = await this.quota(accountId);
      if (active >= limit) return { ok: false, reason: 'limit', level, limit };
      const now = this.#now();
      const created = await this.#o.keys.create(
        {
          name: input.name,
          owner: accountId,
          scopes: selfServiceScopes(this.#o.limits[level], input.models?.length ? { models: input.models } : {}),
          expiresAt: this.#o.expiresInMs > 0 ? now + this.#o.expiresInMs : null,
        },
        { actor: `user:${accountId}`, addr, reason: 'self-service' },
      );
      return { ok: true, created, level };
    });
  }

  /** Revokes one of the account's own keys; false when the account owns no such key. */
  async revoke(accountId: string, keyId: string, addr: string | null): Promise<boolean> {
    const record = await this.#o.keys.get(keyId);
    if (!record || record.owner !== accountId) return false;
    await this.#o.keys.revoke(keyId, { actor: `user:${accountId}`, addr });
    return true;
  }

  async #serial<T>(accountId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(accountId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(accountId, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(accountId) === settled) this.#locks.delete(accountId);
    }
  }
}
