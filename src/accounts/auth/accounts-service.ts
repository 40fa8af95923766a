/**
 * Accounts, assembled: better-auth over the store's database, the password
 * policy, login throttling, mail, levels, self-service keys and the
 * verification webhook. `createAccounts` is called once by the composition
 * root (`src/app.ts`) and by CLI commands; routes receive the result.
 *
 * Sign-in failures and mail requests are counted in process by default and in
 * Redis when `redis.url` is set, like request limits, so that every replica
 * sees the same counts.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resolveLevelLimits } from '../../config/access-schema.js';
import type { AccountsConfig } from '../../config/accounts-schema.js';
import type { Config } from '../../config/schema.js';
import type { LevelSource } from '../access-control.js';
import { packageRoot } from '../../shared/package-root.js';
import type { AccountRecord, AccountRepo, AccountRole, SecurityEventRepo, Store } from '../../storage/types.js';
import type { GatewayKeys } from '../gateway-keys.js';
import { AccountLevels } from '../levels.js';
import { createMailer } from '../mailer/index.js';
import type { MailMessage, Mailer } from '../mailer/types.js';
import { MemoryAttemptLimiter, type AttemptLimiter } from './attempt-limiter.js';
import { closeAttemptRedis, connectAttemptRedis, RedisAttemptLimiter } from './attempt-limiter-redis.js';
import { createBetterAuth, type SafegateAuth } from './better-auth.js';
import { LoginThrottle } from './login-throttle.js';
import { listProviders, type ProviderInfo } from './oauth-providers.js';
import { loadBlocklist, PasswordPolicy } from './password-policy.js';
import { loadOrCreateAuthSecret } from './secret.js';
import { SecurityLog } from './security-log.js';
import { SelfServiceKeys } from './self-service-keys.js';
import { VerificationWebhook } from './verification-webhook.js';

export const BLOCKLIST_FILE = join('data', 'breached-passwords.txt');

/** Mail about one address (reset, verification) at most this often, whoever asks. */
const MAIL_PER_ADDRESS = { max: 3, windowMs: 15 * 60_000 };

export interface SessionView {
  sessionId: string;
  user: { id: string; email: string; name: string; emailVerified: boolean; role: AccountRole };
}

export interface AccountsOptions {
  config: Config;
  store: Store;
  keys: GatewayKeys;
  logger: Logger;
  /** replaces the configured mailer (tests) */
  mailer?: Mailer;
}

export interface Accounts {
  readonly config: AccountsConfig;
  /** public URL of the gateway, no trailing slash */
  readonly baseUrl: string;
  /** origins whose pages may send cookie-authenticated state changes */
  readonly trustedOrigins: readonly string[];
  readonly auth: SafegateAuth;
  readonly repo: AccountRepo;
  readonly levels: AccountLevels;
  readonly log: SecurityLog;
  /** reads the security log (writes go through `log`) */
  readonly events: SecurityEventRepo;
  readonly throttle: LoginThrottle;
  /** counts mail requests (reset, verification) per address */
  readonly mailLimiter: AttemptLimiter;
  readonly mailer: Mailer;
  readonly policy: PasswordPolicy;
  readonly keys: SelfServiceKeys;
  readonly webhook: VerificationWebhook;
  providers(): ProviderInfo[];
  /** The signed-in account of a request, from its session cookie; null without a valid session. */
  session(headers: Headers): Promise<SessionView | null>;
  /** Creates an account with a password, bypassing sign-up settings (operator use: CLI). */
  createAccount(input: { email: string; name: string; password: string; role: AccountRole; emailVerified?: boolean }): Promise<AccountRecord>;
  /** Mails a password-reset link as if the account had asked for it. */
  requestPasswordReset(email: string): Promise<void>;
  /** Levels for access control: resolves account ids (`acct_…`), nothing else. */
  asLevelSource(): LevelSource;
  /** Resolves when the security events and mail queued so far are written or sent (or have failed). */
  flush(): Promise<void>;
  /** Flushes, then closes the mailer and the attempt counters' Redis connection. */
  close(): Promise<void>;
}

const blocklists = new Map<string, Set<string>>();

function blocklist(file: string): Set<string> {
  let list = blocklists.get(file);
  if (!list) {
    list = loadBlocklist(file);
    blocklists.set(file, list);
  }
  return list;
}

/** `accounts.baseUrl`, or where this server listens (a wildcard bind address becomes localhost). */
export function resolveBaseUrl(config: Pick<Config, 'accounts' | 'server'>): string {
  if (config.accounts.baseUrl) return config.accounts.baseUrl.replace(/\/+$/, '');
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? 'localhost' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}

export function createAccounts(options: AccountsOptions): Accounts {
  const { config, store, logger } = options;
  const accounts = config.accounts;
  const baseUrl = resolveBaseUrl(config);
  const trustedOrigins = [...new Set([new URL(baseUrl).origin, ...accounts.trustedOrigins.map((o) => new URL(o).origin)])];
  const { secret, source } = loadOrCreateAuthSecret(config.dataDir, accounts.secret);
  if (source === 'generated') {
    logger.info({ dataDir: config.dataDir }, 'generated a new accounts secret');
    if (store.dialect === 'postgres') logger.warn('the accounts secret was generated locally; set SAFEGATE_AUTH_SECRET so that every replica signs sessions alike');
  }

  const log = new SecurityLog({ repo: store.securityEvents, logger, secret: Buffer.from(secret, 'utf8') });
  const levels = new AccountLevels({ repo: store.accounts, log });
  const mailer = options.mailer ?? createMailer({ dataDir: config.dataDir, from: accounts.mail.from, smtpUrl: accounts.mail.smtpUrl, logger });
  const policy = new PasswordPolicy({
    minLength: accounts.password.minLength,
    maxLength: accounts.password.maxLength,
    blocklist: blocklist(join(packageRoot(), BLOCKLIST_FILE)),
    contextWords: ['safegate', new URL(baseUrl).hostname.split('.')[0] ?? ''],
  });
  const sending = new Set<Promise<void>>();
  const send = (message: MailMessage) => {
    const delivery = mailer.send(message).catch((err: Error) => logger.error({ kind: message.kind, err: err.message }, 'sending mail failed'));
    sending.add(delivery);
    void delivery.finally(() => sending.delete(delivery));
  };
  const flush = async () => {
    await log.flush();
    while (sending.size > 0) await Promise.all([...sending]);
  };
  const auth = createBetterAuth({
    config: accounts,
    baseUrl,
    trustedOrigins,
    db: store.kysely(),
    dialect: store.dialect,
    secret,
    send,
    policy,
    log,
    levels,
    logger,
  });
  const rules = {
    account: { maxFailures: accounts.throttle.account.maxFailures, windowMs: accounts.throttle.account.window },
    address: { maxFailures: accounts.throttle.address.maxFailures, windowMs: accounts.throttle.address.window },
  };
  // One connection for the three limiters; keys are keyed hashes under the accounts secret, which replicas share.
  const redis = config.redis.url
    ? connectAttemptRedis(config.redis.url, { onError: (err) => logger.warn({ err: err.message }, 'redis connection problem (sign-in attempts)') })
    : null;
  const attemptLimiter = (name: string, rule: { max: number; windowMs: number }): AttemptLimiter =>
    redis ? new RedisAttemptLimiter({ ...rule, redis, secret: Buffer.from(secret, 'utf8'), name }) : new MemoryAttemptLimiter(rule);
  const throttle = new LoginThrottle({
    ...rules,
    limiters: {
      account: attemptLimiter('sign-in-account', { max: rules.account.maxFailures, windowMs: rules.account.windowMs }),
      address: attemptLimiter('sign-in-address', { max: rules.address.maxFailures, windowMs: rules.address.windowMs }),
    },
    onError: (err, scope) => logger.warn({ err: (err as Error)?.message, scope }, 'taking back a sign-in attempt failed; it stays counted until its window ends'),
  });
  const keys = new SelfServiceKeys({
    keys: options.keys,
    levels,
    limits: resolveLevelLimits(config.access),
    expiresInMs: accounts.selfServiceKeys.expiresIn,
  });
  const webhook = new VerificationWebhook({
    secrets: accounts.webhooks.verification.secrets,
    toleranceMs: accounts.webhooks.verification.tolerance,
    repo: store.accounts,
    levels,
    log,
  });

  return {
    config: accounts,
    baseUrl,
    trustedOrigins,
    auth,
    repo: store.accounts,
    levels,
    log,
    events: store.securityEvents,
    throttle,
    mailLimiter: attemptLimiter('mail-address', MAIL_PER_ADDRESS),
    mailer,
    policy,
    keys,
    webhook,
    providers: () => listProviders(accounts),
    async session(headers) {
      const found = await auth.api.getSession({ headers });
      if (!found) return null;
      const u = found.user as typeof found.user & { role?: string };
      return {
        sessionId: found.session.id,
        user: { id: u.id, email: u.email, name: u.name, emailVerified: u.emailVerified, role: u.role === 'admin' ? 'admin' : 'user' },
      };
    },
    async createAccount(input) {
      const email = input.email.trim().toLowerCase();
      if (await store.accounts.findByEmail(email)) throw new Error(`an account with the email ${email} already exists`);
      const problem = policy.check(input.password, { email });
      if (problem) throw new Error(policy.describe(problem));
      const ctx = await auth.$context;
      const user = await ctx.internalAdapter.createUser({ email, name: input.name, emailVerified: input.emailVerified ?? false }, { method: 'admin' });
      await ctx.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: await ctx.password.hash(input.password) });
      if (input.role !== 'user') await store.accounts.setRole(user.id, input.role);
      const created = await store.accounts.get(user.id);
      if (!created) throw new Error('the new account was not found after creating it');
      return created;
    },
    async requestPasswordReset(email) {
      await auth.api.requestPasswordReset({ body: { email } });
    },
    asLevelSource() {
      return {
        levelOf: async (userId: string) => {
          if (!userId.startsWith('acct_')) return null;
          const level = await levels.levelOf(userId);
          return level === 'anonymous' ? null : level;
        },
      };
    },
    flush,
    async close() {
      await flush();
      await mailer.close();
      if (redis) await closeAttemptRedis(redis);
    },
  };
}
