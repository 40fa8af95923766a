/**
 * Where CLI commands find the store. Kept in one function so that it can be
 * replaced by the configuration loader without touching the commands.
 *
 * Order: `--data-dir`, then `SAFEGATE_DATA_DIR`, then `.safegate`; the
 * database URL comes from `DATABASE_URL` (empty means unset: SQLite).
 */
import type { OpenStoreOptions } from '../storage/open.js';

export interface StoreCliOptions {
  dataDir?: string;
}

export function resolveStoreOptions(
  opts: StoreCliOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): OpenStoreOptions {
  const dataDir = opts.dataDir || env.SAFEGATE_DATA_DIR || '.safegate';
  const databaseUrl = env.DATABASE_URL?.trim();
  return databaseUrl ? { dataDir, databaseUrl } : { dataDir };
}
