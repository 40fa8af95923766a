/**
 * The link from a safety identifier back to the user id the app passed, for
 * abuse notices: a provider reports an identifier, and only this deployment
 * (holding the HMAC secret and the master key) can say who it is.
 *
 * The raw user id is stored only encrypted (see `SecretBox`), bound to its
 * safety identifier. The other direction needs no table: the safety
 * identifier of a user id is the HMAC itself (`SafetyIds.derive`).
 */
import type { SafetyIds } from '../identity/safety-id.js';
import type { IdentityRepo } from '../storage/types.js';
import type { SecretBox } from './secret-box.js';

export interface IdentityView {
  safetyId: string;
  /** the user id the app passed, decrypted; show it only to administrators */
  rawUserId: string;
  source: string;
  keyId: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface IdentitiesOptions {
  repo: IdentityRepo;
  box: SecretBox;
  safetyIds: SafetyIds;
  now?: () => number;
  /** Least time between two writes for one identity from this process, in ms. Default 10 minutes. */
  refreshMs?: number;
  /** Most identities remembered as recently written. Default 50,000. */
  maxRemembered?: number;
}

export function identityContext(safetyId: string): string {
  return `identity:${safetyId}`;
}

export class Identities {
  readonly #repo: IdentityRepo;
  readonly #box: SecretBox;
  readonly #safetyIds: SafetyIds;
  readonly #now: () => number;
  readonly #refresh: number;
  readonly #max: number;
  /** safety id → when this process last wrote it; keeps the request path from writing every time */
  readonly #written = new Map<string, number>();

  constructor(options: IdentitiesOptions) {
    this.#repo = options.repo;
    this.#box = options.box;
    this.#safetyIds = options.safetyIds;
    this.#now = options.now ?? Date.now;
    this.#refresh = options.refreshMs ?? 600_000;
    this.#max = Math.max(1, options.maxRemembered ?? 50_000);
  }

  /** The safety identifier Safegate sends upstream for this user id. */
  safetyIdOf(rawUserId: string): string {
    return this.#safetyIds.derive(rawUserId.trim());
  }

  /**
   * Records that `safetyId` stands for `rawUserId`. Writes at most once per
   * `refreshMs` per identity from this process; lastSeen is accurate to that.
   * Resolves when stored; callers on the request path do not await it.
   */
  async remember(input: { safetyId: string; rawUserId: string; source: string; keyId: string | null }): Promise<void> {
    const now = this.#now();
    const last = this.#written.get(input.safetyId);
    if (last !== undefined && now - last < this.#refresh) return;
    this.#written.delete(input.safetyId);
    this.#written.set(input.safetyId, now);
    if (this.#written.size > this.#max) this.#written.delete(this.#written.keys().next().value!);
    try {
      await this.#repo.upsert({
        safetyId: input.safetyId,
        userCipher: this.#box.encrypt(input.rawUserId, identityContext(input.safetyId)),
        source: input.source,
        keyId: input.keyId,
        firstSeen: now,
        lastSeen: now,
      });
    } catch (err) {
      this.#written.delete(input.safetyId);
      throw err;
    }
  }

  /** The user behind a safety identifier, or undefined when Safegate has not seen it with a user id. */
  async lookup(safetyId: string): Promise<IdentityView | undefined> {
    const record = await this.#repo.get(safetyId);
    if (!record) return undefined;
    return {
      safetyId,
      rawUserId: this.#box.decrypt(record.userCipher, identityContext(safetyId)),
      source: record.source,
      keyId: record.keyId,
      firstSeen: record.firstSeen,
      lastSeen: record.lastSeen,
    };
  }

  /** Re-encrypts every stored user id not yet under the current master key; returns how many changed. */
  async reencrypt(): Promise<number> {
    let after: string | null = null;
    let changed = 0;
    for (;;) {
      const page = await this.#repo.page(after, 500);
      if (page.length === 0) return changed;
      for (const record of page) {
        if (this.#box.isCurrent(record.userCipher)) continue;
        const context = identityContext(record.safetyId);
        await this.#repo.setCipher(record.safetyId, this.#box.encrypt(this.#box.decrypt(record.userCipher, context), context));
        changed += 1;
      }
      after = page[page.length - 1]!.safetyId;
    }
  }
}
