/**
 * The physical schema of the accounts tables that better-auth reads and
 * writes: table names, and for every better-auth field the snake_case column
 * that holds it. Migration 0003 creates exactly these columns, the better-auth
 * configuration maps its fields onto them, and `account-repo.ts` queries them,
 * so all three read their names from here.
 *
 * better-auth validates the live schema against its configuration on first
 * use and refuses to serve when a table or column is missing, so a drift
 * between this file and the migration fails loudly rather than at an insert.
 */
import type { ColumnType } from 'kysely';

export const AUTH_TABLES = {
  user: 'auth_user',
  session: 'auth_session',
  account: 'auth_account',
  verification: 'auth_verification',
  /** Safegate's own: ids of verification webhook events already applied (replay protection) */
  webhookEvents: 'auth_webhook_events',
} as const;

/** better-auth field name → column, per model (id and single-word fields keep their names). */
export const AUTH_FIELDS = {
  user: { emailVerified: 'email_verified', createdAt: 'created_at', updatedAt: 'updated_at' },
  session: {
    expiresAt: 'expires_at',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    ipAddress: 'ip_address',
    userAgent: 'user_agent',
    userId: 'user_id',
  },
  account: {
    accountId: 'account_id',
    providerId: 'provider_id',
    userId: 'user_id',
    accessToken: 'access_token',
    refreshToken: 'refresh_token',
    idToken: 'id_token',
    accessTokenExpiresAt: 'access_token_expires_at',
    refreshTokenExpiresAt: 'refresh_token_expires_at',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  verification: { expiresAt: 'expires_at', createdAt: 'created_at', updatedAt: 'updated_at' },
} as const;

/** Columns Safegate adds to better-auth's user table (declared to better-auth as `additionalFields`). */
export const AUTH_USER_EXTRA_COLUMNS = {
  /** `user` or `admin` */
  role: 'role',
  /** verification level granted by an administrator or a signed webhook: `payment_verified`, `id_verified` or null */
  verifiedLevel: 'verified_level',
} as const;

/** better-auth writes `Date`s: PostgreSQL returns `Date`, SQLite returns the ISO text it stored. */
type Timestamp = ColumnType<Date | string, Date | string, Date | string>;
type Bool = ColumnType<unknown, number | boolean, number | boolean>;

export interface AuthUserTable {
  id: string;
  name: string;
  email: string;
  email_verified: Bool;
  image: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  role: string;
  verified_level: string | null;
}

export interface AuthSessionTable {
  id: string;
  expires_at: Timestamp;
  token: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  ip_address: string | null;
  user_agent: string | null;
  user_id: string;
}

export interface AuthAccountTable {
  id: string;
  account_id: string;
  provider_id: string;
  user_id: string;
  access_token: string | null;
  refresh_token: string | null;
  id_token: string | null;
  access_token_expires_at: Timestamp | null;
  refresh_token_expires_at: Timestamp | null;
  scope: string | null;
  password: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuthWebhookEventsTable {
  id: string;
  received_at: number;
}

export interface AuthDatabase {
  auth_user: AuthUserTable;
  auth_session: AuthSessionTable;
  auth_account: AuthAccountTable;
  auth_webhook_events: AuthWebhookEventsTable;
}

/** Epoch ms from a timestamp column as either driver returns it. */
export function timestampToMs(value: Date | string | number | null): number | null {
  if (value === null) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
