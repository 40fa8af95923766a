/**
 * Opens the configured store: PostgreSQL when `databaseUrl` is a
 * `postgres://` or `postgresql://` URL, otherwise SQLite in `dataDir`.
 * Pending migrations are applied before the store is returned.
 */
import { createKyselyStore } from './kysely-store.js';
import { createPostgresDialect, isPostgresUrl } from './dialects/postgres.js';
import { createSqliteDialect } from './dialects/sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** Directory of the SQLite file; created with mode 0700 when missing. */
  dataDir: string;
  /** PostgreSQL URL; unset or empty selects SQLite. */
  databaseUrl?: string;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.databaseUrl?.trim();
  let store: Store;
  if (url) {
    if (!isPostgresUrl(url)) {
      throw new Error('the database URL must start with postgres:// or postgresql:// (leave it unset for SQLite)');
    }
    store = createKyselyStore(await createPostgresDialect({ url }));
  } else {
    store = createKyselyStore(createSqliteDialect(options.dataDir));
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
