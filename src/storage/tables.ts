/**
 * Row shapes of the SQL tables, as Kysely sees them. Only the storage layer
 * uses these; the rest of the code base sees the records in `types.ts`.
 *
 * JSON columns are written as JSON text and read back as whatever the driver
 * returns (text on SQLite, parsed values on PostgreSQL); see `StoreDialect`.
 */
import type { ColumnDataType, ColumnType, Kysely } from 'kysely';

/** JSON document: written as JSON text, read back through `StoreDialect.decodeJson`. */
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null, string | null>;
/** Boolean: `StoreDialect.encodeBool` on write, `decodeBool` on read. */
type Bool = ColumnType<unknown, number | boolean, number | boolean>;

export interface ApiKeysTable {
  id: string;
  name: string;
  hash: string;
  prefix: string;
  policy: string | null;
  scopes: Json;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_addr: string | null;
  /** account that owns a self-service key; added by migration 0002 */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditLogTable {
  request_id: string;
  time: number;
  key_id: string | null;
  safety_id: string | null;
  endpoint: string;
  model: string | null;
  policy: string | null;
  status: number;
  outcome: string;
  blocked_by: string | null;
  checks: Json;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number;
  upstream_latency_ms: number | null;
  stream: Bool;
  error_code: string | null;
  content: NullableJson;
  content_expires_at: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface SecurityEventsTable {
  id: string;
  time: number;
  type: string;
  actor: string | null;
  subject: string | null;
  addr: string | null;
  details: Json;
}

export interface IdentitiesTable {
  safety_id: string;
  user_cipher: string;
  source: string;
  key_id: string | null;
  first_seen: number;
  last_seen: number;
}

export interface UserStateTable {
  safety_id: string;
  state: string;
  strikes: number;
  strikes_at: number;
  reason: string | null;
  updated_at: number;
  updated_by: string | null;
  version: number;
}

export interface UpstreamKeysTable {
  id: string;
  upstream: string;
  cipher: string;
  fingerprint: string;
  hint: string;
  status: string;
  created_at: number;
  revoked_at: number | null;
}

export interface Database {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  security_events: SecurityEventsTable;
  identities: IdentitiesTable;
  user_state: UserStateTable;
  upstream_keys: UpstreamKeysTable;
}

/** Column types that differ between dialects; migrations are written against these. */
export interface ColumnTypes {
  json: ColumnDataType;
  boolean: ColumnDataType;
  /** date and time as libraries such as better-auth write it: `timestamptz` on PostgreSQL, `date` (ISO text) on SQLite */
  timestamp: ColumnDataType;
}

/**
 * What one SQL dialect contributes to the shared Kysely store: the connection
 * and the few places where SQLite and PostgreSQL really differ. Everything
 * else (queries, upserts, migrations) is written once in `kysely-store.ts`.
 */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  readonly columnTypes: ColumnTypes;
  /** Schema that holds Kysely's migration bookkeeping tables, when the dialect has schemas. */
  readonly migrationSchema?: string;
  /** Turns a JSON column value as returned by the driver into a JavaScript value. */
  decodeJson(raw: unknown): unknown;
  encodeBool(value: boolean): number | boolean;
  decodeBool(raw: unknown): boolean;
}
