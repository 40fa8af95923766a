import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageContract } from './contract.js';
import { SQLITE_FILE_NAME } from './dialects/sqlite.js';
import { MIGRATIONS } from './migrations/index.js';
import { openStore } from './open.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safegate-sqlite-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDir(): string {
  counter += 1;
  return join(root, `store-${counter}`);
}

runStorageContract('sqlite', async () => {
  const dataDir = freshDir();
  return { store: await openStore({ dataDir }), reopen: () => openStore({ dataDir }) };
});

describe('sqlite store', () => {
  it('creates a private data directory holding safegate.db in WAL mode', async () => {
    const dataDir = join(freshDir(), 'nested');
    const store = await openStore({ dataDir });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const file = join(dataDir, SQLITE_FILE_NAME);
      expect(existsSync(file)).toBe(true);
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
        const indexes = raw.prepare(`select name from sqlite_master where type = 'index' and sql is not null`).all();
        expect(indexes.map((r) => (r as { name: string }).name).sort()).toEqual([
          'api_keys_hash_key',
          'api_keys_owner_idx',
          'audit_log_content_expires_idx',
          'audit_log_key_time_idx',
          'audit_log_safety_time_idx',
          'audit_log_time_idx',
          'auth_account_provider_key',
          'auth_account_user_id_idx',
          'auth_session_user_id_idx',
          'auth_user_role_idx',
          'auth_verification_identifier_idx',
          'auth_webhook_events_received_idx',
          'security_events_subject_idx',
          'security_events_time_idx',
          'security_events_type_idx',
          'upstream_keys_fingerprint_key',
          'user_state_state_idx',
        ]);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('treats an empty database URL as unset and rejects other schemes', async () => {
    const store = await openStore({ dataDir: freshDir(), databaseUrl: ' ' });
    expect(store.dialect).toBe('sqlite');
    await store.close();
    await expect(openStore({ dataDir: freshDir(), databaseUrl: 'mysql://x@y/z' })).rejects.toThrow(/postgres/);
  });

  it('lists migrations with names in strictly increasing order', () => {
    const names = MIGRATIONS.map(([name]) => name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^\d{4}_[a-z0-9_]+$/);
  });

  it('migrates safely when several processes start at once', async () => {
    const dataDir = freshDir();
    const openTs = fileURLToPath(new URL('./open.ts', import.meta.url));
    const script = join(root, `open-${counter}.mts`);
    await writeFile(
      script,
      `import { openStore } from ${JSON.stringify(openTs)};\n` +
        // All processes wait for the same moment so that their migrations overlap.
        `await new Promise((r) => setTimeout(r, Number(process.argv[3]) - Date.now()));\n` +
        `const store = await openStore({ dataDir: process.argv[2] });\n` +
        `await store.settings.set('pid-' + process.pid, 'ok');\n` +
        `await store.close();\n`,
    );
    const startAt = String(Date.now() + 3000);
    const runs = Array.from({ length: 4 }, () => runNode(['--import', 'tsx', script, dataDir, startAt]));
    const results = await Promise.all(runs);
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

    const raw = new BetterSqlite3(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const applied = raw.prepare('select name from kysely_migration order by name').all();
      expect(applied).toEqual(MIGRATIONS.map(([name]) => ({ name })));
      const pids = raw.prepare(`select count(*) as n from settings where key like 'pid-%'`).get() as { n: number };
      expect(pids.n).toBe(4);
    } finally {
      raw.close();
    }
  }, 60_000);
});

function runNode(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
