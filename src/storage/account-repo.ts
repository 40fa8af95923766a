/**
 * `AccountRepo` over the better-auth tables of migration 0003. better-auth
 * owns the writes of sign-up, sign-in and linking; this repository reads those
 * rows and writes only Safegate's own columns (role, verified level) and the
 * webhook event ids.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { AUTH_TABLES, timestampToMs, type AuthDatabase, type AuthUserTable } from './auth-schema.js';
import type { StoreDialect } from './tables.js';
import type { AccountQuery, AccountRecord, AccountRepo, AccountRole } from './types.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export function accountRepo(base: Kysely<any>, dialect: Pick<StoreDialect, 'decodeBool'>): AccountRepo {
  const db = base as Kysely<AuthDatabase>;

  const providersOf = async (ids: string[]): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const rows = await db
      .selectFrom(AUTH_TABLES.account)
      .select(['user_id', 'provider_id'])
      .where('user_id', 'in', ids)
      .orderBy('provider_id')
      .execute();
    for (const row of rows) out.get(row.user_id)?.push(row.provider_id);
    return out;
  };

  const toRecord = (row: Selectable<AuthUserTable>, providers: string[]): AccountRecord => ({
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: dialect.decodeBool(row.email_verified),
    role: row.role === 'admin' ? 'admin' : 'user',
    verifiedLevel: row.verified_level,
    providers: [...new Set(providers)],
    createdAt: timestampToMs(row.created_at as Date | string) ?? 0,
  });

  const withProviders = async (rows: Selectable<AuthUserTable>[]): Promise<AccountRecord[]> => {
    const providers = await providersOf(rows.map((r) => r.id));
    return rows.map((row) => toRecord(row, providers.get(row.id) ?? []));
  };

  return {
    async get(id) {
      const row = await db.selectFrom(AUTH_TABLES.user).selectAll().where('id', '=', id).executeTakeFirst();
      return row ? (await withProviders([row]))[0] : undefined;
    },
    async findByEmail(email) {
      // better-auth stores emails lower-cased; lower() on both sides also covers rows written otherwise.
      const row = await db
        .selectFrom(AUTH_TABLES.user)
        .selectAll()
        .where(sql`lower(email)`, '=', email.trim().toLowerCase())
        .executeTakeFirst();
      return row ? (await withProviders([row]))[0] : undefined;
    },
    async list(q: AccountQuery) {
      const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 0), MAX_LIMIT);
      if (limit === 0) return [];
      let query = db.selectFrom(AUTH_TABLES.user).selectAll();
      if (q.email) {
        const pattern = `%${q.email.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        query = query.where(sql<boolean>`lower(email) like ${pattern} escape '\\'`);
      }
      if (q.role) query = query.where('role', '=', q.role);
      if (q.verifiedLevel === 'none') query = query.where('verified_level', 'is', null);
      else if (q.verifiedLevel) query = query.where('verified_level', '=', q.verifiedLevel);
      if (q.after) query = query.where('id', '>', q.after);
      const rows = await query.orderBy('id', 'asc').limit(limit).execute();
      return withProviders(rows);
    },
    async setVerifiedLevel(id, level, onlyFrom) {
      let query = db.updateTable(AUTH_TABLES.user).set({ verified_level: level, updated_at: new Date().toISOString() }).where('id', '=', id);
      if (onlyFrom) {
        const values = onlyFrom.filter((v): v is string => v !== null);
        const allowNull = onlyFrom.includes(null);
        query = query.where((eb) => {
          const alternatives = [];
          if (values.length > 0) alternatives.push(eb('verified_level', 'in', values));
          if (allowNull) alternatives.push(eb('verified_level', 'is', null));
          return alternatives.length > 0 ? eb.or(alternatives) : eb.val(false);
        });
      }
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async setRole(id, role: AccountRole) {
      const result = await db
        .updateTable(AUTH_TABLES.user)
        .set({ role, updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async countByRole(role) {
      const row = await db
        .selectFrom(AUTH_TABLES.user)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('role', '=', role)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async claimWebhookEvent(id, at) {
      const result = await db
        .insertInto(AUTH_TABLES.webhookEvents)
        .values({ id, received_at: at })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async purgeWebhookEvents(before) {
      const result = await db.deleteFrom(AUTH_TABLES.webhookEvents).where('received_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
