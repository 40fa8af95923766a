/**
 * `safegate upstream-keys`: provider keys Safegate uses for an upstream,
 * stored encrypted under the master key. Add several for one upstream and
 * they are used in turn; rotate to replace one without a failed request.
 *
 * A key given as `--key -` is read from standard input, which keeps it out
 * of the shell history and the process list. Keys are never printed back:
 * listings show an id and a hint (`sk-...wxyz`).
 */
import type { Command } from 'commander';
import { UpstreamKeys } from '../../accounts/upstream-keys.js';
import { parseDuration } from '../../config/duration.js';
import { formatTime, out, table, withAdminContext, withAdminOptions, type AdminContext } from '../admin-context.js';

async function readKey(cmd: Command, value: string): Promise<string> {
  if (value !== '-') return value.trim();
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const key = text.trim();
  if (!key) cmd.error('error: no key on standard input');
  return key;
}

function service(ctx: AdminContext): UpstreamKeys {
  return new UpstreamKeys({ repo: ctx.store.upstreamKeys, box: ctx.box(), events: ctx.store.securityEvents, refreshMs: 0 });
}

export function register(program: Command): void {
  const group = program.command('upstream-keys').description('manage the provider keys Safegate uses (stored encrypted)');

  withAdminOptions(group.command('add'))
    .description('store a provider key for an upstream; stored keys replace the one from the environment')
    .requiredOption('--key <key>', 'the provider key, or - to read it from standard input')
    .option('--upstream <name>', 'upstream name from the configuration', 'default')
    .option('--json', 'print {"id","upstream","hint"}')
    .action(async (opts: { key: string; upstream: string; json?: boolean }, cmd: Command) => {
      const key = await readKey(cmd, opts.key);
      const record = await withAdminContext(cmd, async (ctx) => {
        if (!(opts.upstream in ctx.loaded.config.upstreams)) {
          process.stderr.write(`warning: no upstream "${opts.upstream}" in the configuration; the key is stored but unused until one is configured\n`);
        }
        try {
          return await service(ctx).add(opts.upstream, key, 'cli');
        } catch (err) {
          return cmd.error(`error: ${(err as Error).message}`);
        }
      });
      if (opts.json) out(JSON.stringify({ id: record.id, upstream: record.upstream, hint: record.hint }));
      else {
        out(`Stored key ${record.id} (${record.hint}) for upstream ${record.upstream}, encrypted.`);
        out('Running gateways start using it within their refresh interval.');
      }
    });

  withAdminOptions(group.command('list'))
    .description('list stored provider keys (never the keys themselves)')
    .option('--upstream <name>', 'only this upstream')
    .option('--json', 'print JSON')
    .action(async (opts: { upstream?: string; json?: boolean }, cmd: Command) => {
      const records = await withAdminContext(cmd, (ctx) => ctx.store.upstreamKeys.list(opts.upstream));
      const view = records.map((r) => ({ id: r.id, upstream: r.upstream, hint: r.hint, status: r.status, createdAt: new Date(r.createdAt).toISOString(), revokedAt: r.revokedAt === null ? null : new Date(r.revokedAt).toISOString() }));
      if (opts.json) {
        out(JSON.stringify(view));
        return;
      }
      if (records.length === 0) {
        out('No stored provider keys. The configured key (e.g. OPENAI_API_KEY) is used. Add one with: safegate upstream-keys add --key - --upstream NAME');
        return;
      }
      const rows = records.map((r) => [r.id, r.upstream, r.hint, r.status, formatTime(r.createdAt), formatTime(r.revokedAt)]);
      for (const line of table([['ID', 'UPSTREAM', 'HINT', 'STATUS', 'CREATED', 'REVOKED'], ...rows])) out(line);
    });

  withAdminOptions(group.command('rotate'))
    .description('replace a stored key: add the new one, drain the old one (no new requests, running ones finish), then revoke it')
    .argument('<id>', 'id of the key to replace')
    .requiredOption('--key <key>', 'the new provider key, or - to read it from standard input')
    .option('--drain <duration>', 'how long the old key drains, so that every gateway notices (at least their refresh interval)', '15s')
    .option('--json', 'print {"id","upstream","hint"} of the new key')
    .action(async (id: string, opts: { key: string; drain: string; json?: boolean }, cmd: Command) => {
      let drainMs: number;
      try {
        drainMs = parseDuration(opts.drain);
      } catch {
        return cmd.error(`error: --drain must be a duration such as 15s or 1m, got "${opts.drain}"`);
      }
      const key = await readKey(cmd, opts.key);
      const record = await withAdminContext(cmd, async (ctx) => {
        const refresh = ctx.loaded.config.access.upstreamKeys.refreshInterval;
        if (drainMs < refresh) process.stderr.write(`warning: --drain is shorter than the gateways' refresh interval (${refresh} ms); some may still send a request or two with the old key\n`);
        if (!opts.json) out(`Draining the old key for ${opts.drain}...`);
        try {
          return await service(ctx).rotate(id, key, { actor: 'cli', minDrainMs: drainMs, drainTimeoutMs: drainMs });
        } catch (err) {
          return cmd.error(`error: ${(err as Error).message}`);
        }
      });
      if (opts.json) out(JSON.stringify({ id: record.id, upstream: record.upstream, hint: record.hint }));
      else {
        out(`Rotated: ${id} is revoked, ${record.id} (${record.hint}) is in use for upstream ${record.upstream}.`);
        out('Now delete the old key at the provider.');
      }
    });

  withAdminOptions(group.command('revoke'))
    .description('stop using a stored key at once (requests already using it finish)')
    .argument('<id>', 'id of the key')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const found = await withAdminContext(cmd, (ctx) => service(ctx).revoke(id, 'cli'));
      if (!found) cmd.error(`error: no stored key with id "${id}" (see "safegate upstream-keys list")`);
      out(`Revoked ${id}. Running gateways stop using it within their refresh interval. Delete it at the provider too.`);
    });
}
