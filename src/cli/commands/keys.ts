/**
 * `safegate keys`: create (with scopes and per-key limits), list, rotate and
 * revoke Safegate API keys, and scan files for leaked ones.
 *
 * A new key is printed once and never again: only its hash is stored.
 * Listings never show hashes or keys, only the display prefix. Create,
 * rotate and revoke are recorded as security events.
 */
import type { Command } from 'commander';
import { GatewayKeys } from '../../accounts/gateway-keys.js';
import { buildKeyScopes, KEY_ENDPOINTS, KEY_GRANTS } from '../../accounts/key-scopes.js';
import { RedisKeyChangeBus } from '../../accounts/key-change-bus.js';
import { scanForGatewayKeys } from '../../accounts/key-scan.js';
import { loadConfig } from '../../config/load.js';
import { parseDuration } from '../../config/duration.js';
import { openStore } from '../../storage/open.js';
import type { ApiKeyRecord, Store } from '../../storage/types.js';
import { resolveStoreOptions, type StoreCliOptions } from '../store-options.js';

interface CreateOptions extends StoreCliOptions {
  name: string;
  policy?: string;
  expires?: string;
  json?: boolean;
  rpm?: string;
  tokensPerDay?: string;
  models?: string;
  endpoints?: string;
  policies?: string;
  scope: string[];
}

const list = (value: string | undefined) => (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);
const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(cmd: Command, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) cmd.error(`error: ${flag} must be a positive whole number, got "${value}"`);
  return n;
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
    .option('--rpm <n>', 'requests per minute for this key, across all its users')
    .option('--tokens-per-day <n>', 'token budget for this key per UTC day')
    .option('--models <globs>', 'comma-separated model globs this key may use, e.g. "gpt-4o*,gpt-4.1-mini"')
    .option('--endpoints <list>', `comma-separated endpoints this key may use: ${KEY_ENDPOINTS.join(', ')}`)
    .option('--policies <list>', 'comma-separated policies this key\'s requests may run under')
    .option('--scope <grant>', `extra power, repeatable: ${KEY_GRANTS.join(', ')} (trust X-Safegate-User-Level from this app)`, collect, [])
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
      let scopes: Record<string, unknown>;
      try {
        scopes = buildKeyScopes({
          endpoints: list(opts.endpoints),
          models: list(opts.models),
          policies: list(opts.policies),
          grants: opts.scope.flatMap((s) => list(s)),
          ...(opts.rpm !== undefined ? { requestsPerMinute: positiveInt(cmd, '--rpm', opts.rpm)! } : {}),
          ...(opts.tokensPerDay !== undefined ? { tokensPerDay: positiveInt(cmd, '--tokens-per-day', opts.tokensPerDay)! } : {}),
        });
      } catch (err) {
        return cmd.error(`error: ${(err as Error).message}`);
      }
      const policies = scopes.policies as string[] | undefined;
      if (opts.policy && policies && !policies.includes(opts.policy)) cmd.error('error: --policy must be one of --policies');
      const created = await withStore(cmd, (store) =>
        new GatewayKeys({ repo: store.keys, events: store.securityEvents }).create({ name, policy: opts.policy ?? null, expiresAt, scopes }, { actor: 'cli' }),
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
        r.lastUsedAddr ?? '-',
      ]);
      const header = ['ID', 'NAME', 'PREFIX', 'POLICY', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED', 'FROM'];
      for (const line of table([header, ...rows])) out(line);
    });

  withDataDir(keys.command('revoke'))
    .description('revoke a key; running gateways refuse it within seconds')
    .argument('<id>', 'key id, as shown by "safegate keys list"')
    .action(async (id: string, _opts: StoreCliOptions, cmd: Command) => {
      const result = await withStore(cmd, async (store) => {
        const before = await store.keys.get(id);
        if (!before) return undefined;
        await new GatewayKeys({ repo: store.keys, events: store.securityEvents }).revoke(id, { actor: 'cli' });
        return { before, after: await store.keys.get(id) };
      });
      if (!result) cmd.error(`error: no key with id "${id}" (see "safegate keys list")`);
      if (result.before.revokedAt !== null) {
        out(`Key ${id} (${result.before.name}) was already revoked at ${formatTime(result.before.revokedAt)}.`);
        return;
      }
      out(`Revoked key ${id} (${result.before.name}) at ${formatTime(result.after?.revokedAt ?? null)}.`);
      out((await broadcast(id)) ? 'Running gateways were told and refuse it now.' : 'Running gateways refuse it within a few seconds.');
    });

  withDataDir(keys.command('rotate'))
    .description('replace a key by a new one with the same name, policy and scopes; the old one keeps working for the grace period')
    .argument('<id>', 'key id, as shown by "safegate keys list"')
    .option('--grace <duration>', 'how long the old key keeps working, e.g. 10m, 24h; 0 ends it at once', '24h')
    .option('--json', 'print {"id","key"} of the new key as JSON')
    .action(async (id: string, opts: StoreCliOptions & { grace: string; json?: boolean }, cmd: Command) => {
      const grace = durationOrNull(opts.grace === '0' ? '0ms' : opts.grace);
      if (grace === null) cmd.error(`error: --grace must be a duration such as 10m or 24h, got "${opts.grace}"`);
      const created = await withStore(cmd, (store) => new GatewayKeys({ repo: store.keys, events: store.securityEvents }).rotate(id, grace, { actor: 'cli' }));
      if (!created) cmd.error(`error: no active key with id "${id}" (see "safegate keys list"; revoked and expired keys cannot be rotated)`);
      await broadcast(id);
      if (opts.json) {
        out(JSON.stringify({ id: created.id, key: created.key }));
        return;
      }
      out(`Rotated key ${id}: the new key is ${created.id}.`);
      out('');
      out(`  ${created.key}`);
      out('');
      out('This key is shown only once. Copy it now and deploy it.');
      out(`The old key keeps working until ${formatTime(Date.now() + grace)}; then it expires.`);
    });

  keys
    .command('scan')
    .description('find Safegate keys in files and folders (for a pre-commit hook or CI); exits 1 when it finds one')
    .argument('<paths...>', 'files or folders to scan (folders recursively)')
    .option('--all', 'also look inside .git and node_modules')
    .option('--json', 'print the findings as a JSON array')
    .action(async (paths: string[], opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      let result;
      try {
        result = await scanForGatewayKeys(paths, { all: opts.all === true });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return cmd.error(`error: cannot scan ${e.path ?? 'a path'}: ${e.code ?? e.message}`, { exitCode: 2 });
      }
      if (opts.json) out(JSON.stringify(result.findings));
      else {
        for (const f of result.findings) out(`${f.file}:${f.line}:${f.column}: Safegate key ${f.prefix}...`);
      }
      const n = result.findings.length;
      process.stderr.write(
        n === 0
          ? `No Safegate keys found in ${result.filesScanned} file(s).\n`
          : `Found ${n} Safegate key(s). Remove them from the files, and revoke each one (safegate keys list shows the prefix; safegate keys revoke ID): a key in a repository is compromised.\n`,
      );
      if (n > 0) process.exitCode = 1;
    });
}

/**
 * Tells running gateways about a revoked or re-dated key through Redis, when
 * the configuration names one; false when it does not or Redis is unreachable
 * (gateways then notice within their key cache time).
 */
async function broadcast(id: string): Promise<boolean> {
  let url: string | undefined;
  try {
    url = loadConfig().config.redis.url;
  } catch {
    return false;
  }
  if (!url) return false;
  const bus = new RedisKeyChangeBus({ url });
  try {
    await bus.publish(id);
    return true;
  } catch {
    return false;
  } finally {
    await bus.close();
  }
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
    lastUsedAddr: r.lastUsedAddr,
    scopes: r.scopes,
    ...(r.owner ? { owner: r.owner } : {}),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
}
