/** `safegate migrate`: apply pending database migrations and exit (safe to run from several replicas). */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { openStore } from '../../storage/open.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (SQLite in the data directory, or DATABASE_URL)')
    .option('-c, --config <file>', 'configuration file')
    .option('-d, --data-dir <dir>', 'data directory')
    .action(async (opts: { config?: string; dataDir?: string }) => {
      const { config } = loadConfig({ ...(opts.config ? { file: opts.config } : {}), overrides: { dataDir: opts.dataDir } });
      const store = await openStore({ dataDir: config.dataDir, ...(config.database.url ? { databaseUrl: config.database.url } : {}) });
      await store.close();
      process.stdout.write(`migrations applied (${store.dialect})\n`);
    });
}
