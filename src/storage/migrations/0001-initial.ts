/** Keys, audit log and settings. */
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../tables.js';

export function initial(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('policy', 'text')
        .addColumn('scopes', types.json, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_addr', 'text')
        .execute();
      await db.schema.createIndex('api_keys_hash_key').on('api_keys').column('hash').unique().execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('safety_id', 'text')
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('policy', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('blocked_by', 'text')
        .addColumn('checks', types.json, (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .addColumn('upstream_latency_ms', 'double precision')
        .addColumn('stream', types.boolean, (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('content', types.json)
        .addColumn('content_expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('audit_log_time_idx').on('audit_log').column('time').execute();
      await db.schema.createIndex('audit_log_key_time_idx').on('audit_log').columns(['key_id', 'time']).execute();
      await db.schema.createIndex('audit_log_safety_time_idx').on('audit_log').columns(['safety_id', 'time']).execute();
      await db.schema
        .createIndex('audit_log_content_expires_idx')
        .on('audit_log')
        .column('content_expires_at')
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('settings').execute();
      await db.schema.dropTable('audit_log').execute();
      await db.schema.dropTable('api_keys').execute();
    },
  };
}
