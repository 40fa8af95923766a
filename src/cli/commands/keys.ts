/**
 * `safegate keys`: create, list and revoke Safegate API keys.
 *
 * A new key is printed once and never again: only its hash is stored.
 * Listings never show hashes or keys, only the display prefix.
 */
import type { Command } from 'commander';
import { GatewayKeys } from '../../accounts/gateway-keys.js';
import { parseDuration } from '../../config/schema.js';
import { openStore } from '../../storage/open.js';
import type { ApiKeyRecord, Store } from '../../storage/types.js';
import { resolveStoreOptions, type StoreCliOptions } from '../store-options.js';

interface CreateOptions extends StoreCliOptions {
  name: string;
  policy?: string;
  expires?: string;
  json?: boolean;
}

interface ListOptions extends StoreCliOptions {
  json?: boolean;
}

export function register(program: Command): void {
  const keys = program.command('keys').description('manage Safegate API keys');

  withDataDir(keys.command('create'))
    .description('create a key; it is shown only once')
    .requiredOption('--name <name>', 'a label for people, e.g. the app or team using the key')
    .option('--policy <policy>', 'policy applied to requests with this key (default: the configured default)')
    .option('--expires <duration>', 'lifetime such as 12h, 30d; default: no expiry')
    .option('--json', 'print {"id","key"} as JSON')
    .action(async (opts: CreateOptions, cmd: Command) => {
      let expiresAt: number | null = null;
      if (opts.expires !== undefined) {
        const ms = durationOrNull(opts.expires);
        if (ms === null || ms <= 0) cmd.error(`error: --expires must be a duration such as 12h or 30d, got "${opts.expires}"`);
        expiresAt = Date.now() + ms;
      }
      const name = opts.name.trim();
      if (!name) cmd.error('error: --name must not be empty');
      const created = await withStore(cmd, (store) =>
        new GatewayKeys({ repo: store.keys }).create({ name, policy: opts.policy ?? null, expiresAt }),
      );
      if (opts.json) {
        out(JSON.stringify({ id: created.id, key: created.key }));
        return;
      }
      out(`Created key ${created.id} (${name}).`);
      out('');
      out(`  ${created.key}`);
      out('');
      out('This key is shown only once: Safegate stores only its hash. Copy it now.');
      if (expiresAt !== null) out(`It expires at ${formatTime(expiresAt)}.`);
    });

  withDataDir(keys.command('list'))
    .description('list keys (never shows the keys themselves)')
    .option('--json', 'print a JSON array')
    .action(async (opts: ListOptions, cmd: Command) => {
      const records = await withStore(cmd, (store) => store.keys.list());
      const now = Date.now();
      if (opts.json) {
        out(JSON.stringify(records.map((r) => publicView(r, now))));
        return;
      }
      if (records.length === 0) {
        out('No keys. Create one with: safegate keys create --name <name>');
        return;
      }
      const rows = records.map((r) => [
        r.id,
        r.name,
        r.prefix,
        r.policy ?? '(default)',
        status(r, now),
        formatTime(r.createdAt),
        formatTime(r.expiresAt),
        formatTime(r.revokedAt),
        formatTime(r.lastUsedAt),
      ]);
      const header = ['ID', 'NAME', 'PREFIX', 'POLICY', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED'];
      for (const line of table([header, ...rows])) out(line);
    });

  withDataDir(keys.command('revoke'))
    .description('revoke a key; running gateways refuse it within seconds')
    .argument('<id>', 'key id, as shown by "safegate keys list"')
    .action(async (id: string, _opts: StoreCliOptions, cmd: Command) => {
      const result = await withStore(cmd, async (store) => {
        const before = await store.keys.get(id);
        if (!before) return undefined;
        await new GatewayKeys({ repo: store.keys }).revoke(id);
        return { before, after: await store.keys.get(id) };
      });
      if (!result) cmd.error(`error: no key with id "${id}" (see "safegate keys list")`);
      if (result.before.revokedAt !== null) {
        out(`Key ${id} (${result.before.name}) was already revoked at ${formatTime(result.before.revokedAt)}.`);
        return;
      }
      out(`Revoked key ${id} (${result.before.name}) at ${formatTime(result.after?.revokedAt ?? null)}.`);
      out('Running gateways refuse it within a few seconds.');
    });
}

function withDataDir(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'data directory of the SQLite store (env SAFEGATE_DATA_DIR; default .safegate)');
}

async function withStore<T>(cmd: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(resolveStoreOptions(cmd.optsWithGlobals<StoreCliOptions>()));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function durationOrNull(text: string): number | null {
  try {
    return parseDuration(text);
  } catch {
    return null;
  }
}

function status(r: ApiKeyRecord, now: number): 'active' | 'revoked' | 'expired' {
  if (r.revokedAt !== null) return 'revoked';
  if (r.expiresAt !== null && r.expiresAt <= now) return 'expired';
  return 'active';
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** `2025-06-01 12:30Z`, or `-` */
function formatTime(ms: number | null): string {
  return ms === null ? '-' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function publicView(r: ApiKeyRecord, now: number) {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    policy: r.policy,
    status: status(r, now),
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
    revokedAt: iso(r.revokedAt),
    lastUsedAt: iso(r.lastUsedAt),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
}
