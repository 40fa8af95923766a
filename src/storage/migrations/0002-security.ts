/**
 * Security: the security event log, end-user identities (safety identifier →
 * encrypted user id), per-user abuse state, encrypted upstream provider keys,
 * and the owner of self-service gateway keys.
 */
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../tables.js';

export function security(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('security_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('subject', 'text')
        .addColumn('addr', 'text')
        .addColumn('details', types.json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('security_events_time_idx').on('security_events').column('time').execute();
      await db.schema.createIndex('security_events_type_idx').on('security_events').columns(['type', 'time']).execute();
      await db.schema
        .createIndex('security_events_subject_idx')
        .on('security_events')
        .columns(['subject', 'time'])
        .execute();

      await db.schema
        .createTable('identities')
        .addColumn('safety_id', 'text', (c) => c.primaryKey())
        .addColumn('user_cipher', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('user_state')
        .addColumn('safety_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('strikes', 'double precision', (c) => c.notNull())
        .addColumn('strikes_at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('user_state_state_idx').on('user_state').column('state').execute();

      await db.schema
        .createTable('upstream_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('upstream', 'text', (c) => c.notNull())
        .addColumn('cipher', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('upstream_keys_fingerprint_key')
        .on('upstream_keys')
        .columns(['upstream', 'fingerprint'])
        .unique()
        .execute();

      await db.schema.alterTable('api_keys').addColumn('owner', 'text').execute();
      await db.schema.createIndex('api_keys_owner_idx').on('api_keys').column('owner').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('api_keys_owner_idx').execute();
      await db.schema.alterTable('api_keys').dropColumn('owner').execute();
      await db.schema.dropTable('upstream_keys').execute();
      await db.schema.dropTable('user_state').execute();
      await db.schema.dropTable('identities').execute();
      await db.schema.dropTable('security_events').execute();
    },
  };
}
