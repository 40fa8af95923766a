/**
 * SQLite through better-sqlite3: one file `<dataDir>/safegate.db`.
 *
 * - WAL lets readers (console, CLI) run while the gateway writes.
 * - `busy_timeout` makes a second process wait for the write lock instead of
 *   failing at once; it is set before anything else so that even switching to
 *   WAL waits.
 * - `synchronous=NORMAL` is durable across process crashes in WAL mode; only
 *   an OS crash can lose the last transactions, an accepted trade for audit
 *   throughput.
 * - Every transaction starts with `BEGIN IMMEDIATE`, taking the write lock up
 *   front. A deferred transaction that reads and then writes can fail with
 *   SQLITE_BUSY when another process wrote in between; an immediate one waits
 *   in `busy_timeout` instead. Migrations rely on this (see
 *   `TransactionalDdlSqliteAdapter`): they all run in one such transaction,
 *   which is what makes concurrent starts safe.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
} from 'kysely';
import type { Database, StoreDialect } from '../tables.js';

export const SQLITE_FILE_NAME = 'safegate.db';
const BUSY_TIMEOUT_MS = 10_000;

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely's SQLite adapter takes no migration lock, because within one process
 * the single connection serialises everything. Across processes that is not
 * enough, so migrations run in one transaction (SQLite's DDL is
 * transactional), and with `ImmediateSqliteDriver` that transaction holds the
 * write lock from its first statement: a second process waits, then finds the
 * migrations already recorded.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SafegateSqliteDialect extends SqliteDialect {
  readonly #database: BetterSqlite3.Database;
  constructor(database: BetterSqlite3.Database) {
    super({ database });
    this.#database = database;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Switching a new database to WAL while another process opens it can fail with
 * SQLITE_BUSY without waiting on busy_timeout (the lock is taken outside the
 * busy handler's reach); retry for a bounded time instead of failing the start.
 */
function withBusyRetry<T>(fn: () => T, deadlineMs = BUSY_TIMEOUT_MS): T {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > until) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
}

/** Opens (creating if needed) the database file in `dataDir`; the directory is created private (0700). */
export function createSqliteDialect(dataDir: string): StoreDialect {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(join(dataDir, SQLITE_FILE_NAME));
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    withBusyRetry(() => database.pragma('journal_mode = WAL'));
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw err;
  }
  return {
    name: 'sqlite',
    db: new Kysely<Database>({ dialect: new SafegateSqliteDialect(database) }),
    columnTypes: { json: 'text', boolean: 'integer', timestamp: 'date' },
    decodeJson: (raw) => (typeof raw === 'string' ? JSON.parse(raw) : raw),
    // better-sqlite3 binds no booleans; SQLite has none either.
    encodeBool: (value) => (value ? 1 : 0),
    decodeBool: (raw) => raw === 1 || raw === 1n || raw === true,
  };
}
