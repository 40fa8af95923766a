/**
 * The one `Store` implementation, written once against Kysely and run on
 * SQLite or PostgreSQL through a `StoreDialect` (see `dialects/`).
 */
import { randomBytes } from 'node:crypto';
import { Migrator, type Kysely, type Selectable } from 'kysely';
import type { CheckResult } from '../pipeline/types.js';
import { accountRepo } from './account-repo.js';
import { migrationProvider } from './migrations/index.js';
import type {
  ApiKeysTable,
  AuditLogTable,
  Database,
  IdentitiesTable,
  SecurityEventsTable,
  StoreDialect,
  UpstreamKeysTable,
  UserStateTable,
} from './tables.js';
import type {
  ApiKeyRecord,
  ApiKeyRepo,
  AuditQuery,
  AuditRecord,
  AuditRepo,
  IdentityRecord,
  IdentityRepo,
  SecurityEvent,
  SecurityEventRepo,
  SettingsRepo,
  Store,
  UpstreamKeyRecord,
  UpstreamKeyRepo,
  UpstreamKeyStatus,
  UserStateName,
  UserStateRecord,
  UserStateRepo,
} from './types.js';

/** Default and maximum number of records one `AuditRepo.query` returns. */
export const AUDIT_QUERY_DEFAULT_LIMIT = 100;
export const AUDIT_QUERY_MAX_LIMIT = 1000;
/**
 * Rows per INSERT statement in `insertMany`: 19 columns × 200 rows stays far
 * below SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
 */
const INSERT_CHUNK = 200;

export function createKyselyStore(dialect: StoreDialect): Store {
  const { db } = dialect;
  return {
    dialect: dialect.name,
    keys: apiKeyRepo(db, dialect),
    audit: auditRepo(db, dialect),
    settings: settingsRepo(db),
    securityEvents: securityEventRepo(db, dialect),
    identities: identityRepo(db),
    userState: userStateRepo(db),
    upstreamKeys: upstreamKeyRepo(db),
    accounts: accountRepo(db, dialect),
    kysely: () => db,
    async migrate() {
      const migrator = new Migrator({
        db,
        provider: migrationProvider(dialect.columnTypes),
        ...(dialect.migrationSchema ? { migrationTableSchema: dialect.migrationSchema } : {}),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        throw new Error(`database migration ${failed ?? '(setup)'} failed: ${describe(error)}`, { cause: error });
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function apiKeyRepo(db: Kysely<Database>, dialect: StoreDialect): ApiKeyRepo {
  const toRecord = (row: Selectable<ApiKeysTable>): ApiKeyRecord => ({
    id: row.id,
    name: row.name,
    hash: row.hash,
    prefix: row.prefix,
    policy: row.policy,
    scopes: dialect.decodeJson(row.scopes) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    expiresAt: nullableNumber(row.expires_at),
    revokedAt: nullableNumber(row.revoked_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    lastUsedAddr: row.last_used_addr,
    ...(row.owner != null ? { owner: row.owner } : {}),
  });
  return {
    async create(r) {
      await db
        .insertInto('api_keys')
        .values({
          id: r.id,
          name: r.name,
          hash: r.hash,
          prefix: r.prefix,
          policy: r.policy,
          scopes: JSON.stringify(r.scopes),
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          revoked_at: r.revokedAt,
          last_used_at: r.lastUsedAt,
          last_used_addr: r.lastUsedAddr,
          owner: r.owner ?? null,
        })
        .execute();
    },
    async findByHash(hash) {
      const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && toRecord(row);
    },
    async get(id) {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async list() {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      // One statement: the first revocation time wins and a repeat is a no-op.
      const result = await db
        .updateTable('api_keys')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async touch(id, at, addr) {
      // Never moves lastUsedAt backwards when touches arrive out of order.
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at, last_used_addr: addr })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
        .execute();
    },
    async setExpiry(id, expiresAt) {
      await db.updateTable('api_keys').set({ expires_at: expiresAt }).where('id', '=', id).execute();
    },
  };
}

function auditRepo(db: Kysely<Database>, dialect: StoreDialect): AuditRepo {
  const toRecord = (row: Selectable<AuditLogTable>): AuditRecord => ({
    requestId: row.request_id,
    time: Number(row.time),
    keyId: row.key_id,
    safetyId: row.safety_id,
    endpoint: row.endpoint,
    model: row.model,
    policy: row.policy,
    status: Number(row.status),
    outcome: row.outcome,
    blockedBy: row.blocked_by,
    checks: dialect.decodeJson(row.checks) as CheckResult[],
    promptTokens: nullableNumber(row.prompt_tokens),
    completionTokens: nullableNumber(row.completion_tokens),
    latencyMs: Number(row.latency_ms),
    upstreamLatencyMs: nullableNumber(row.upstream_latency_ms),
    stream: dialect.decodeBool(row.stream),
    errorCode: row.error_code,
    content: row.content === null ? null : (dialect.decodeJson(row.content) as AuditRecord['content']),
    contentExpiresAt: nullableNumber(row.content_expires_at),
  });
  const toRow = (r: AuditRecord) => ({
    request_id: r.requestId,
    time: r.time,
    key_id: r.keyId,
    safety_id: r.safetyId,
    endpoint: r.endpoint,
    model: r.model,
    policy: r.policy,
    status: r.status,
    outcome: r.outcome,
    blocked_by: r.blockedBy,
    checks: JSON.stringify(r.checks),
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    latency_ms: r.latencyMs,
    upstream_latency_ms: r.upstreamLatencyMs,
    stream: dialect.encodeBool(r.stream),
    error_code: r.errorCode,
    content: r.content === null ? null : JSON.stringify(r.content),
    content_expires_at: r.content === null ? null : r.contentExpiresAt,
  });
  return {
    async insertMany(records) {
      if (records.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < records.length; i += INSERT_CHUNK) {
          await trx
            .insertInto('audit_log')
            .values(records.slice(i, i + INSERT_CHUNK).map(toRow))
            .onConflict((oc) => oc.column('request_id').doNothing())
            .execute();
        }
      });
    },
    async get(requestId) {
      const row = await db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).executeTakeFirst();
      return row && toRecord(row);
    },
    async query(q: AuditQuery) {
      let query = db.selectFrom('audit_log').selectAll();
      if (q.since !== undefined) query = query.where('time', '>=', q.since);
      if (q.until !== undefined) query = query.where('time', '<', q.until);
      if (q.keyId !== undefined) query = query.where('key_id', '=', q.keyId);
      if (q.safetyId !== undefined) query = query.where('safety_id', '=', q.safetyId);
      if (q.outcome !== undefined) query = query.where('outcome', '=', q.outcome);
      const limit = Math.min(Math.max(Math.trunc(q.limit ?? AUDIT_QUERY_DEFAULT_LIMIT), 0), AUDIT_QUERY_MAX_LIMIT);
      if (limit === 0) return [];
      const rows = await query.orderBy('time', 'desc').orderBy('request_id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },
    async purgeExpiredContent(now) {
      const result = await db
        .updateTable('audit_log')
        .set({ content: null, content_expires_at: null })
        .where('content_expires_at', '<=', now)
        .where('content', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

function settingsRepo(db: Kysely<Database>): SettingsRepo {
  return {
    async get(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async set(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    },
  };
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? AUDIT_QUERY_DEFAULT_LIMIT), 0), AUDIT_QUERY_MAX_LIMIT);
}

/** Base32 digits in ASCII order, so that ids compare as their numbers do. */
const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz';
let lastEventMs = 0;

/**
 * `sev_` + 10 characters of a millisecond clock that never repeats or goes back
 * within this process + 10 random characters (50 bits). Ordering by
 * (time, id) therefore keeps events of the same millisecond in the order they
 * were recorded.
 */
function newEventId(): string {
  let t = Math.max(Date.now(), lastEventMs + 1);
  lastEventMs = t;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = SORTABLE[t % 32] + head;
    t = Math.floor(t / 32);
  }
  let tail = '';
  for (const byte of randomBytes(10)) tail += SORTABLE[byte & 31];
  return `sev_${head}${tail}`;
}

function securityEventRepo(db: Kysely<Database>, dialect: StoreDialect): SecurityEventRepo {
  const toEvent = (row: Selectable<SecurityEventsTable>): SecurityEvent => ({
    id: row.id,
    time: Number(row.time),
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    addr: row.addr,
    details: (dialect.decodeJson(row.details) as Record<string, unknown>) ?? {},
  });
  return {
    async record(input) {
      const event: SecurityEvent = {
        id: input.id ?? newEventId(),
        time: input.time ?? Date.now(),
        type: input.type,
        actor: input.actor ?? null,
        subject: input.subject ?? null,
        addr: input.addr ?? null,
        details: input.details ?? {},
      };
      await db
        .insertInto('security_events')
        .values({ ...event, details: JSON.stringify(event.details) })
        .execute();
      return event;
    },
    async query(q) {
      const limit = clampLimit(q.limit);
      if (limit === 0) return [];
      let query = db.selectFrom('security_events').selectAll();
      if (q.since !== undefined) query = query.where('time', '>=', q.since);
      if (q.until !== undefined) query = query.where('time', '<', q.until);
      if (q.type !== undefined) query = query.where('type', '=', q.type);
      if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toEvent);
    },
  };
}

function identityRepo(db: Kysely<Database>): IdentityRepo {
  const toRecord = (row: Selectable<IdentitiesTable>): IdentityRecord => ({
    safetyId: row.safety_id,
    userCipher: row.user_cipher,
    source: row.source,
    keyId: row.key_id,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
  });
  return {
    async upsert(r) {
      await db
        .insertInto('identities')
        .values({
          safety_id: r.safetyId,
          user_cipher: r.userCipher,
          source: r.source,
          key_id: r.keyId,
          first_seen: r.firstSeen,
          last_seen: r.lastSeen,
        })
        .onConflict((oc) =>
          oc
            .column('safety_id')
            .doUpdateSet((eb) => ({
              last_seen: eb.ref('excluded.last_seen'),
              key_id: eb.ref('excluded.key_id'),
              source: eb.ref('excluded.source'),
            }))
            .where('identities.last_seen', '<', r.lastSeen),
        )
        .execute();
    },
    async get(safetyId) {
      const row = await db.selectFrom('identities').selectAll().where('safety_id', '=', safetyId).executeTakeFirst();
      return row && toRecord(row);
    },
    async page(after, limit) {
      let query = db.selectFrom('identities').selectAll();
      if (after !== null) query = query.where('safety_id', '>', after);
      const rows = await query.orderBy('safety_id', 'asc').limit(Math.max(0, Math.trunc(limit))).execute();
      return rows.map(toRecord);
    },
    async setCipher(safetyId, userCipher) {
      await db.updateTable('identities').set({ user_cipher: userCipher }).where('safety_id', '=', safetyId).execute();
    },
  };
}

function userStateRepo(db: Kysely<Database>): UserStateRepo {
  const toRecord = (row: Selectable<UserStateTable>): UserStateRecord => ({
    safetyId: row.safety_id,
    state: row.state as UserStateName,
    strikes: Number(row.strikes),
    strikesAt: Number(row.strikes_at),
    reason: row.reason,
    updatedAt: Number(row.updated_at),
    updatedBy: row.updated_by,
    version: Number(row.version),
  });
  return {
    async get(safetyId) {
      const row = await db.selectFrom('user_state').selectAll().where('safety_id', '=', safetyId).executeTakeFirst();
      return row && toRecord(row);
    },
    async compareAndSet(next, expectedVersion) {
      const values = {
        state: next.state,
        strikes: next.strikes,
        strikes_at: next.strikesAt,
        reason: next.reason,
        updated_at: next.updatedAt,
        updated_by: next.updatedBy,
        version: next.version,
      };
      if (expectedVersion === null) {
        const result = await db
          .insertInto('user_state')
          .values({ safety_id: next.safetyId, ...values })
          .onConflict((oc) => oc.column('safety_id').doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
      }
      const result = await db
        .updateTable('user_state')
        .set(values)
        .where('safety_id', '=', next.safetyId)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async list(q) {
      const limit = clampLimit(q.limit);
      if (limit === 0) return [];
      let query = db.selectFrom('user_state').selectAll();
      if (q.state !== undefined) query = query.where('state', '=', q.state);
      const rows = await query.orderBy('updated_at', 'desc').orderBy('safety_id', 'asc').limit(limit).execute();
      return rows.map(toRecord);
    },
  };
}

function upstreamKeyRepo(db: Kysely<Database>): UpstreamKeyRepo {
  const toRecord = (row: Selectable<UpstreamKeysTable>): UpstreamKeyRecord => ({
    id: row.id,
    upstream: row.upstream,
    cipher: row.cipher,
    fingerprint: row.fingerprint,
    hint: row.hint,
    status: row.status as UpstreamKeyStatus,
    createdAt: Number(row.created_at),
    revokedAt: nullableNumber(row.revoked_at),
  });
  return {
    async create(r) {
      await db
        .insertInto('upstream_keys')
        .values({
          id: r.id,
          upstream: r.upstream,
          cipher: r.cipher,
          fingerprint: r.fingerprint,
          hint: r.hint,
          status: r.status,
          created_at: r.createdAt,
          revoked_at: r.revokedAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('upstream_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async list(upstream) {
      let query = db.selectFrom('upstream_keys').selectAll();
      if (upstream !== undefined) query = query.where('upstream', '=', upstream);
      const rows = await query.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      return rows.map(toRecord);
    },
    async setStatus(id, status, at) {
      let query = db
        .updateTable('upstream_keys')
        .set((eb) =>
          status === 'revoked' ? { status, revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) } : { status },
        )
        .where('id', '=', id);
      if (status !== 'revoked') query = query.where('status', '!=', 'revoked');
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async setCipher(id, cipher) {
      await db.updateTable('upstream_keys').set({ cipher }).where('id', '=', id).execute();
    },
  };
}

function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}
