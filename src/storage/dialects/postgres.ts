/**
 * PostgreSQL through a `pg` pool, for deployments with several gateway replicas.
 *
 * - Tables live in the connection's current schema (the first existing entry
 *   of `search_path`; set it with `?options=-c%20search_path%3Dname` in the URL).
 *   Kysely's migration tables are pinned to that schema too, so two
 *   installations in different schemas of one database never see each other's
 *   migration state.
 * - `bigint` columns (epoch milliseconds) come back as JavaScript numbers
 *   instead of pg's default strings; epoch milliseconds stay far below 2^53.
 * - `jsonb` columns come back already parsed.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database, StoreDialect } from '../tables.js';

const INT8_OID = 20;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint out of the safe integer range: ${text}`);
  return value;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export interface PostgresDialectOptions {
  url: string;
  /** Maximum pooled connections per process. */
  maxConnections?: number;
}

export async function createPostgresDialect(options: PostgresDialectOptions): Promise<StoreDialect> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: 'safegate',
    types: typeParsers,
  });
  // An idle client that loses its connection is dropped from the pool and the
  // next query gets a fresh one; without a listener the 'error' event would
  // end the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('PostgreSQL: no schema of the search_path exists; create it or fix search_path');
    return {
      name: 'postgres',
      db,
      columnTypes: { json: 'jsonb', boolean: 'boolean', timestamp: 'timestamptz' },
      migrationSchema: schema,
      decodeJson: (raw) => raw,
      encodeBool: (value) => value,
      decodeBool: (raw) => raw === true,
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
