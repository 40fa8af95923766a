/**
 * What administrative CLI commands (`users`, `upstream-keys`, `master-key`)
 * share: the validated configuration, the store, and lazily the secrets
 * (identity HMAC secret, master keyring) that some actions need.
 */
import type { Command } from 'commander';
import { AbuseTracker, strikePolicy } from '../accounts/abuse.js';
import { Identities } from '../accounts/identities.js';
import { loadMasterKeyring, SecretBox } from '../accounts/secret-box.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { SafetyIds } from '../identity/safety-id.js';
import { loadOrCreateIdentitySecret } from '../identity/secret.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/types.js';

export interface AdminCliOptions {
  config?: string;
  dataDir?: string;
}

export interface AdminContext {
  loaded: LoadedConfig;
  store: Store;
  safetyIds(): SafetyIds;
  box(): SecretBox;
  identities(): Identities;
  abuse(): AbuseTracker;
}

/** Adds the `--config` and `--data-dir` options every administrative command takes. */
export function withAdminOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file (default: ./safegate.yaml if present)')
    .option('-d, --data-dir <dir>', 'data directory (env SAFEGATE_DATA_DIR; default .safegate)');
}

/** Opens the context, runs `fn`, closes the store. Configuration problems end the command with exit code 2. */
export async function withAdminContext<T>(cmd: Command, fn: (ctx: AdminContext) => Promise<T>): Promise<T> {
  const opts = cmd.optsWithGlobals<AdminCliOptions>();
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ ...(opts.config ? { file: opts.config } : {}), overrides: { ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) } });
  } catch (err) {
    if (err instanceof ConfigError) cmd.error(`safegate: ${err.message}`, { exitCode: 2 });
    throw err;
  }
  const { config } = loaded;
  const store = await openStore({ dataDir: config.dataDir, ...(config.database.url ? { databaseUrl: config.database.url } : {}) });
  let safetyIds: SafetyIds | undefined;
  let box: SecretBox | undefined;
  let identities: Identities | undefined;
  let abuse: AbuseTracker | undefined;
  const ctx: AdminContext = {
    loaded,
    store,
    safetyIds: () => {
      safetyIds ??= new SafetyIds(loadOrCreateIdentitySecret(config.dataDir, config.identity.secret).secret, config.identity.tenant);
      return safetyIds;
    },
    box: () => {
      try {
        box ??= new SecretBox(loadMasterKeyring({ dataDir: config.dataDir, env: loaded.env.masterKey, create: false }).keys);
      } catch (err) {
        cmd.error(`safegate: ${(err as Error).message}`, { exitCode: 2 });
      }
      return box;
    },
    identities: () => {
      identities ??= new Identities({ repo: store.identities, box: ctx.box(), safetyIds: ctx.safetyIds() });
      return identities;
    },
    abuse: () => {
      abuse ??= new AbuseTracker({ repo: store.userState, events: store.securityEvents, cacheTtlMs: 0, policy: strikePolicy(config.access.strikes) });
      return abuse;
    },
  };
  try {
    return await fn(ctx);
  } finally {
    await store.close();
  }
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `2025-06-01 12:30Z`, or `-` */
export function formatTime(ms: number | null): string {
  return ms === null ? '-' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
}
