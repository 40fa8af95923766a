import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runStorageContract } from './contract.js';
import { MIGRATIONS } from './migrations/index.js';
import { openStore } from './open.js';

const baseUrl = process.env.TEST_DATABASE_URL;
const schemas: string[] = [];

/** A new empty schema and a URL whose connections use it; dropped after the file's tests. */
async function freshSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  schemas.push(schema);
  const url = new URL(baseUrl!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

describe.skipIf(!baseUrl)('postgres store', () => {
  afterAll(async () => {
    if (schemas.length === 0) return;
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  });

  runStorageContract('postgres', async () => {
    const databaseUrl = await freshSchema();
    return {
      store: await openStore({ dataDir: '/nonexistent', databaseUrl }),
      reopen: () => openStore({ dataDir: '/nonexistent', databaseUrl }),
    };
  });

  it('migrates safely when several pools start at once, each schema on its own', async () => {
    const databaseUrl = await freshSchema();
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openStore({ dataDir: '/nonexistent', databaseUrl })),
    );
    try {
      await Promise.all(stores.map((s, i) => s.settings.set(`store-${i}`, 'ok')));
      expect(await stores[0]!.settings.get('store-3')).toBe('ok');
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query('select name from kysely_migration order by name');
        expect(rows).toEqual(MIGRATIONS.map(([name]) => ({ name })));
        const tables = await client.query(
          `select table_name from information_schema.tables where table_schema = current_schema() order by 1`,
        );
        expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual([
          'api_keys',
          'audit_log',
          'auth_account',
          'auth_session',
          'auth_user',
          'auth_verification',
          'auth_webhook_events',
          'identities',
          'kysely_migration',
          'kysely_migration_lock',
          'security_events',
          'settings',
          'upstream_keys',
          'user_state',
        ]);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('uses jsonb, boolean and bigint columns', async () => {
    const databaseUrl = await freshSchema();
    const store = await openStore({ dataDir: '/nonexistent', databaseUrl });
    await store.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select column_name, data_type from information_schema.columns
         where table_schema = current_schema() and table_name = 'audit_log'
           and column_name in ('checks', 'content', 'stream', 'time', 'latency_ms') order by 1`,
      );
      expect(rows).toEqual([
        { column_name: 'checks', data_type: 'jsonb' },
        { column_name: 'content', data_type: 'jsonb' },
        { column_name: 'latency_ms', data_type: 'double precision' },
        { column_name: 'stream', data_type: 'boolean' },
        { column_name: 'time', data_type: 'bigint' },
      ]);
    } finally {
      await client.end();
    }
  });

  it('refuses a search_path without an existing schema', async () => {
    const url = new URL(baseUrl!);
    url.searchParams.set('options', `-c search_path=t_missing_${randomBytes(4).toString('hex')}`);
    await expect(openStore({ dataDir: '/nonexistent', databaseUrl: url.toString() })).rejects.toThrow(/search_path/);
  });
});
