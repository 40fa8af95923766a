/** `safegate serve`: start the gateway. */
import type { Command } from 'commander';
import { createGateway, ensureInitialKey } from '../../app.js';
import { ConfigError, loadConfig } from '../../config/load.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('Start the gateway (with no configuration: SQLite, offline checks and the validated-answers responder)')
    .option('-c, --config <file>', 'configuration file (default: ./safegate.yaml if present)')
    .option('-p, --port <port>', 'port to listen on (default 8787, or SAFEGATE_PORT)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('-d, --data-dir <dir>', 'data directory (default .safegate, or SAFEGATE_DATA_DIR)')
    .action(async (opts: { config?: string; port?: string; host?: string; dataDir?: string }) => {
      let loaded;
      try {
        const port = opts.port === undefined ? undefined : Number(opts.port);
        if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError('--port', [`--port: expected a port number, got "${opts.port}"`]);
        loaded = loadConfig({ ...(opts.config ? { file: opts.config } : {}), overrides: { port, host: opts.host, dataDir: opts.dataDir } });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`safegate: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      const gateway = await createGateway(loaded);
      const { config } = loaded;
      const initialKeyFile = config.auth.required ? await ensureInitialKey(gateway, config.dataDir) : null;
      const { port } = await gateway.listen();
      const upstreams = Object.keys(config.upstreams);
      gateway.logger.info(
        {
          port,
          host: config.server.host,
          config: loaded.file,
          dataDir: config.dataDir,
          storage: gateway.store.dialect,
          upstreams: upstreams.length ? upstreams : ['safegate-articles (embedded)'],
          policies: gateway.policies.names(),
        },
        `safegate listening on http://${config.server.host}:${port}/v1`,
      );
      if (initialKeyFile) gateway.logger.info({ file: initialKeyFile }, 'created a first gateway key; it is in this file (mode 0600) and is not shown again');

      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        gateway.logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing the audit log');
        gateway.close().then(
          () => process.exit(0),
          (err: Error) => {
            gateway.logger.error({ err: err.message }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      await new Promise<never>(() => undefined);
    });
}
