/**
 * The composition root: builds every component from the validated
 * configuration and wires them together. Reading this file (with
 * `services/proxy.ts` and `checks/index.ts`) explains a request's way through.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { LevelSource } from './accounts/access-control.js';
import { createAccounts, type Accounts } from './accounts/auth/accounts-service.js';
import { GatewayKeys } from './accounts/gateway-keys.js';
import type { LimitStore } from './accounts/limits/types.js';
import type { MailFunction, Notifier } from './accounts/notifier.js';
import { createSecurityLayer, type SecurityLayer } from './accounts/security-layer.js';
import { UserAdmin } from './accounts/user-admin.js';
import { checks } from './checks/index.js';
import { choicesOf, ClassifierHub } from './classifiers/backends/hub.js';
import { createLocalModerator } from './classifiers/backends/local-moderator.js';
import { ConfigError, type LoadedConfig } from './config/load.js';
import { SafetyIds } from './identity/safety-id.js';
import { loadOrCreateIdentitySecret } from './identity/secret.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { CheckServices, ModerationResultLike } from './pipeline/types.js';
import { compilePolicies, type PolicySet } from './policy/compile.js';
import { createServerApp } from './server/app.js';
import type { KeyVerifier } from './server/middleware/auth.js';
import type { AccessControl } from './services/access.js';
import { ModerationService, type LocalModerator } from './services/moderation.js';
import { ProxyService } from './services/proxy.js';
import { packageRoot, packageVersion } from './shared/package-root.js';
import { AuditWriter } from './storage/audit-writer.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/types.js';
import { createArticlesUpstream } from './upstream/articles/index.js';
import { HttpUpstream } from './upstream/http-upstream.js';
import { UpstreamRouter } from './upstream/router.js';

export interface GatewayOptions {
  /** pino destination (tests pass a sink) */
  logDestination?: NodeJS.WritableStream;
  /** knowledge base folder for the embedded responder (default: the shipped kb/) */
  kbDir?: string;
  /** offline moderation model for /v1/moderations when no provider is configured */
  localModerator?: LocalModerator | null;
  /** extra services for checks (classifiers, judges) */
  services?: CheckServices;
  /** collect Node's default process metrics (off in tests that build many gateways) */
  defaultMetrics?: boolean;
  /** per-user and per-key access control (rate limits, quotas, suspensions); default: Safegate's, from `config.access` */
  access?: AccessControl;
  /** verification levels of users with accounts, for access control (default: named users are `registered`) */
  levelSource?: LevelSource;
  /** sends security notices to the administrators in `access.notify.emails` */
  mail?: MailFunction;
  /** limit counters (default: in process, or Redis when `redis.url` is set) */
  limits?: LimitStore;
  /** replaces the security notice channels (tests) */
  notifier?: Notifier;
}

export interface Gateway {
  app: Hono<any>;
  store: Store;
  keys: GatewayKeys;
  policies: PolicySet;
  logger: Logger;
  metrics: Metrics;
  audit: AuditWriter;
  /** access control, identities, upstream keys, leaked-key handling */
  security: SecurityLayer;
  /** sign-in, sessions, levels and self-service keys; null when `accounts.enabled` is false */
  accounts: Accounts | null;
  /** Starts the HTTP server; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<{ server: Server; port: number }>;
  /** Stops accepting, waits for in-flight requests (bounded), flushes the audit log and closes storage. */
  close(): Promise<void>;
}

export async function createGateway(loaded: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  const logger = createLogger(config.logging.level, options.logDestination as never);
  const metrics = new Metrics(options.defaultMetrics ?? true);
  const policies = compilePolicies(config, checks);

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const identity = loadOrCreateIdentitySecret(config.dataDir, config.identity.secret);
  if (identity.source === 'generated') logger.info({ dataDir: config.dataDir }, 'generated a new identity secret for safety identifiers');
  const safetyIds = new SafetyIds(identity.secret, config.identity.tenant);

  const store = await openStore({ dataDir: config.dataDir, ...(config.database.url ? { databaseUrl: config.database.url } : {}) });
  const audit = new AuditWriter({ repo: store.audit, onError: (err) => logger.error({ err: (err as Error)?.message }, 'audit write failed; will retry') });
  const keys = new GatewayKeys({ repo: store.keys, events: store.securityEvents });
  const accounts = config.accounts.enabled ? createAccounts({ config, store, keys, logger }) : null;
  const security = await createSecurityLayer({
    loaded, store, keys, safetyIds, logger,
    ...(options.levelSource ? { levelSource: options.levelSource } : accounts ? { levelSource: accounts.asLevelSource() } : {}),
    ...(options.mail ? { mail: options.mail } : accounts ? { mail: (m) => accounts.mailer.send({ kind: 'security-notice', to: m.to.join(', '), subject: m.subject, text: m.text }) } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
  });

  const entries = Object.entries(config.upstreams).map(([name, u]) => ({ upstream: new HttpUpstream({ name, config: u, keyProvider: security.upstreamKeys.provider(name) }), models: u.models }));
  const a = config.articles;
  const articles = createArticlesUpstream({
    dir: options.kbDir ?? a.dir ?? join(packageRoot(), 'kb'),
    anyModel: entries.length === 0,
    ...(a.threshold !== undefined ? { threshold: a.threshold } : {}),
    ...(a.contact ? { contact: a.contact } : {}),
    ...(a.fallbackMessage ? { fallbackMessage: a.fallbackMessage } : {}),
  });
  const router = new UpstreamRouter(entries, articles);

  // Classifier back-ends are resolved and their models loaded once, here: a missing model or an unknown judge stops the start.
  const moderationUpstream = router.moderation();
  const classifiers = options.services?.classifiers ?? new ClassifierHub({ config: config.classifiers, baseDir: loaded.file ? dirname(resolve(loaded.file)) : process.cwd() });
  if (classifiers instanceof ClassifierHub) {
    const issues = await classifiers.prepare(choicesOf(policies), { provider: moderationUpstream !== null });
    if (issues.length > 0) throw new ConfigError('the classifiers', issues);
  }
  const services: CheckServices = {
    classifiers,
    ...(moderationUpstream
      ? {
          moderate: async (request, signal) => {
            const res = await moderationUpstream.call({ endpoint: 'moderations', body: { ...request }, signal, requestId: 'check' });
            if (res.kind !== 'json' || res.status !== 200) throw new Error(`moderation upstream answered ${res.status}`);
            return ((res.body as { results?: ModerationResultLike[] }).results ?? []) as ModerationResultLike[];
          },
        }
      : {}),
    ...security.services,
    ...options.services,
  };

  const access = options.access ?? security.access;
  const sink = {
    write: (record: Parameters<AuditWriter['write']>[0]) => {
      audit.write(record);
      access.settle(record);
    },
  };
  const proxy = new ProxyService({ policies, router, safetyIds, services, sink, metrics, logger, access });
  const localModerator = options.localModerator !== undefined ? options.localModerator : moderationUpstream || !(classifiers instanceof ClassifierHub) ? null : localModeration(classifiers, logger);
  const moderation = new ModerationService({ router, local: localModerator, sink, metrics, safetyIds, access });
  const verifier: KeyVerifier = {
    verify: (key) => keys.verify(key),
    touch: (id, addr) => {
      keys.touch(id, addr).catch(() => undefined);
    },
  };
  const version = packageVersion();
  const app = createServerApp({
    config, proxy, moderation, keys: verifier, router, metrics, logger, sink, version, accounts,
    operations: {
      keys,
      upstreamKeys: security.upstreamKeys,
      users: new UserAdmin({ store, abuse: security.abuse, safetyIds, identities: security.identities }),
    },
    health: async () => {
      const stats = audit.stats();
      metrics.auditQueue.set(stats.queued);
      metrics.auditDropped.set(stats.dropped);
      return { storage: store.dialect, auditQueue: stats.queued, upstreams: router.all().map((u) => u.name) };
    },
  });

  let server: Server | null = null;
  const purge = setInterval(() => {
    store.audit.purgeExpiredContent(Date.now()).catch((err: Error) => logger.warn({ err: err.message }, 'purging expired audit content failed'));
  }, 3_600_000);
  purge.unref();

  return {
    app, store, keys, policies, logger, metrics, audit, security, accounts,
    listen(port = config.server.port, host = config.server.host) {
      return new Promise((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port, hostname: host }, (info) => resolve({ server: s as Server, port: info.port }));
        server = s as Server;
        s.once('error', reject);
      });
    },
    async close() {
      clearInterval(purge);
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            s.closeAllConnections?.();
            resolve();
          }, 10_000);
          force.unref();
          s.close(() => {
            clearTimeout(force);
            resolve();
          });
          s.closeIdleConnections?.();
        });
      }
      await router.close();
      await audit.close({ timeoutMs: 10_000 });
      await security.close();
      await accounts?.close();
      await store.close();
    },
  };
}

/** The offline moderation model behind /v1/moderations, or null (with a warning) when it cannot be loaded. */
function localModeration(classifiers: ClassifierHub, logger: Logger): LocalModerator | null {
  try {
    const model = classifiers.local.classifier('moderation');
    return createLocalModerator(() => model);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'the local moderation model is not available; /v1/moderations needs a provider');
    return null;
  }
}

/**
 * On a first start with no keys, creates one and writes it to a 0600 file in
 * the data directory (never to the log), so a new deployment is usable at once
 * and still authenticated.
 */
export async function ensureInitialKey(gateway: Gateway, dataDir: string): Promise<string | null> {
  if ((await gateway.store.keys.list()).length > 0) return null;
  const created = await gateway.keys.create({ name: 'initial' });
  const file = join(dataDir, 'initial-key.txt');
  writeFileSync(file, created.key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
