/**
 * Accounts: better-auth's user, session, account (sign-in methods) and
 * verification tables, with Safegate's role and verification-level columns on
 * the user, and the ids of applied verification webhook events.
 *
 * Written by hand rather than generated at start so that the schema is
 * versioned and reviewed like every other table; it mirrors what better-auth
 * 1.7's `getMigrations()` creates for the configuration in
 * `accounts/auth/better-auth.ts` (a test checks that better-auth finds nothing
 * to add on both SQLite and PostgreSQL). Names come from `../auth-schema.ts`.
 */
import type { Kysely, Migration } from 'kysely';
import { AUTH_TABLES } from '../auth-schema.js';
import type { ColumnTypes } from '../tables.js';

export function accounts(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable(AUTH_TABLES.user)
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('email_verified', types.boolean, (c) => c.notNull())
        .addColumn('image', 'text')
        .addColumn('created_at', types.timestamp, (c) => c.notNull())
        .addColumn('updated_at', types.timestamp, (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('verified_level', 'text')
        .execute();
      await db.schema.createIndex('auth_user_role_idx').on(AUTH_TABLES.user).column('role').execute();

      await db.schema
        .createTable(AUTH_TABLES.session)
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('expires_at', types.timestamp, (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', types.timestamp, (c) => c.notNull())
        .addColumn('updated_at', types.timestamp, (c) => c.notNull())
        .addColumn('ip_address', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${AUTH_TABLES.user}.id`).onDelete('cascade'))
        .execute();
      await db.schema.createIndex('auth_session_user_id_idx').on(AUTH_TABLES.session).column('user_id').execute();

      await db.schema
        .createTable(AUTH_TABLES.account)
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${AUTH_TABLES.user}.id`).onDelete('cascade'))
        .addColumn('access_token', 'text')
        .addColumn('refresh_token', 'text')
        .addColumn('id_token', 'text')
        .addColumn('access_token_expires_at', types.timestamp)
        .addColumn('refresh_token_expires_at', types.timestamp)
        .addColumn('scope', 'text')
        .addColumn('password', 'text')
        .addColumn('created_at', types.timestamp, (c) => c.notNull())
        .addColumn('updated_at', types.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('auth_account_user_id_idx').on(AUTH_TABLES.account).column('user_id').execute();
      // One local account per provider identity: two concurrent first sign-ins cannot create two.
      await db.schema
        .createIndex('auth_account_provider_key')
        .on(AUTH_TABLES.account)
        .columns(['provider_id', 'account_id'])
        .unique()
        .execute();

      await db.schema
        .createTable(AUTH_TABLES.verification)
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('expires_at', types.timestamp, (c) => c.notNull())
        .addColumn('created_at', types.timestamp, (c) => c.notNull())
        .addColumn('updated_at', types.timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_verification_identifier_idx')
        .on(AUTH_TABLES.verification)
        .column('identifier')
        .execute();

      await db.schema
        .createTable(AUTH_TABLES.webhookEvents)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_webhook_events_received_idx')
        .on(AUTH_TABLES.webhookEvents)
        .column('received_at')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable(AUTH_TABLES.webhookEvents).execute();
      await db.schema.dropTable(AUTH_TABLES.verification).execute();
      await db.schema.dropTable(AUTH_TABLES.account).execute();
      await db.schema.dropTable(AUTH_TABLES.session).execute();
      await db.schema.dropTable(AUTH_TABLES.user).execute();
    },
  };
}
