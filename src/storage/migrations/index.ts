/**
 * Every schema migration, in order. Kysely's `Migrator` applies them by name
 * (sorted), so names start with a zero-padded number and a new migration is
 * always appended with the next number. The list is static rather than read
 * from the file system so that it works unchanged from `dist/`.
 *
 * A migration never edits an earlier one: installations that already ran it
 * would not see the change.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { ColumnTypes } from '../tables.js';
import { initial } from './0001-initial.js';
import { security } from './0002-security.js';
import { accounts } from './0003-accounts.js';

export const MIGRATIONS: ReadonlyArray<readonly [name: string, build: (types: ColumnTypes) => Migration]> = [
  ['0001_initial', initial],
  ['0002_security', security],
  ['0003_accounts', accounts],
];

export function migrationProvider(types: ColumnTypes): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(MIGRATIONS.map(([name, build]) => [name, build(types)]));
    },
  };
}
