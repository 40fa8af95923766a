/**
 * better-auth, configured for Safegate: the library owns sign-up, sign-in,
 * sessions, email verification, password reset and OAuth/OIDC (state, PKCE,
 * code exchange, ID-token checks); this file decides its settings and hooks
 * Safegate's rules into it.
 *
 * Security settings, and why:
 * - Passwords: argon2id (`password-hash.ts`) and the NIST rules of
 *   `password-policy.ts`, checked before sign-up, reset and change.
 * - Sign-up answers the same way whether or not the address is taken
 *   (`autoSignIn: false` turns on better-auth's enumeration protection); the
 *   owner of a taken address gets a notice by mail instead.
 * - Cookies: HttpOnly, SameSite=Lax, and with `cookies.secure` Secure with the
 *   `__Host-` prefix (no Domain, Path=/), so a sibling subdomain cannot set or
 *   shadow them. No session data is cached in cookies, so a revoked session
 *   ends at once.
 * - CSRF: better-auth checks Origin/Referer against the trusted origins on
 *   every state-changing request that carries cookies, and Fetch Metadata on
 *   sign-in; both checks are forced on (better-auth skips them under
 *   NODE_ENV=test otherwise).
 * - Session fixation: sign-in always creates a new session with a new token.
 * - Mailed tokens are stored hashed; a password reset revokes every session.
 * - OAuth provider tokens are stored encrypted with the accounts secret.
 * - The client address better-auth sees comes from a header Safegate sets
 *   itself (`CLIENT_ADDR_HEADER`), never from a client's X-Forwarded-For.
 */
import { randomBytes } from 'node:crypto';
import { betterAuth, type BetterAuthRateLimitStorage } from 'better-auth';
import { APIError, createAuthMiddleware, getSessionFromCtx } from 'better-auth/api';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AccountsConfig } from '../../config/accounts-schema.js';
import { AUTH_FIELDS, AUTH_TABLES, AUTH_USER_EXTRA_COLUMNS } from '../../storage/auth-schema.js';
import { PASSWORD_PROVIDER, type AccountLevels } from '../levels.js';
import type { MailMessage } from '../mailer/types.js';
import { MemoryAttemptLimiter } from './attempt-limiter.js';
import { existingAccountMessage, resetPasswordMessage, verifyEmailMessage } from './messages.js';
import { oidcProviders, presetProviders } from './oauth-providers.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import type { PasswordPolicy } from './password-policy.js';
import type { SecurityLog } from './security-log.js';

/** Request header carrying the client address Safegate determined; any client-sent value is removed first. */
export const CLIENT_ADDR_HEADER = 'x-safegate-internal-client-addr';
export const AUTH_BASE_PATH = '/auth';

export interface BetterAuthSetup {
  config: AccountsConfig;
  /** public URL of the gateway, without a trailing slash */
  baseUrl: string;
  trustedOrigins: string[];
  db: Kysely<any>;
  dialect: 'sqlite' | 'postgres';
  secret: string;
  /** queues a message; returns at once (the answer must not wait for, or reveal the timing of, delivery) */
  send: (message: MailMessage) => void;
  policy: PasswordPolicy;
  log: SecurityLog;
  levels: AccountLevels;
  logger: Logger;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_PREFIX: Record<string, string> = { user: 'acct', session: 'sess', account: 'link', verification: 'vrf' };

/** `<prefix>_` + 26 base32 characters (130 random bits); the prefix tells ids apart in logs and events. */
function newId(model: string): string {
  let out = '';
  for (const byte of randomBytes(26)) out += ID_ALPHABET[byte & 31];
  return `${ID_PREFIX[model] ?? 'id'}_${out}`;
}

/** better-auth's request-rate storage over `MemoryAttemptLimiter` (sliding window, one limiter per rule). */
function requestRateStorage(): BetterAuthRateLimitStorage {
  const limiters = new Map<string, MemoryAttemptLimiter>();
  return {
    async consume(key, rule) {
      const id = `${rule.window}:${rule.max}`;
      let limiter = limiters.get(id);
      if (!limiter) limiters.set(id, (limiter = new MemoryAttemptLimiter({ max: rule.max, windowMs: rule.window * 1000 })));
      const decision = await limiter.consume(key, Date.now());
      return { allowed: decision.allowed, retryAfter: decision.allowed ? null : Math.ceil(decision.retryAfterMs / 1000) };
    },
  };
}

/** Sign-in method recorded with a session, from the endpoint that created it. */
function methodOf(ctx: { path?: string; params?: Record<string, unknown> } | null | undefined): string {
  const path = ctx?.path;
  if (!path) return 'operator';
  if (path === '/sign-in/email') return 'password';
  if (path.startsWith('/callback/') || path.startsWith('/oauth2/callback/')) return `oauth:${String(ctx?.params?.id ?? ctx?.params?.providerId ?? 'unknown')}`;
  if (path === '/verify-email') return 'email-link';
  return path.replace(/^\//, '');
}

export function createBetterAuth(setup: BetterAuthSetup) {
  const { config, log, levels, logger, policy, send } = setup;
  const secure = config.cookies.secure;

  const reject = (problem: NonNullable<ReturnType<PasswordPolicy['check']>>) => {
    throw new APIError('BAD_REQUEST', { code: `PASSWORD_${problem.toUpperCase()}`, message: policy.describe(problem) });
  };

  const rules = createAuthMiddleware(async (ctx) => {
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    if (ctx.path === '/sign-in/social' && body.idToken !== undefined) {
      // Only the authorization-code flow signs in: an ID token the browser presents could have been obtained (or leaked) elsewhere.
      throw new APIError('BAD_REQUEST', { code: 'ID_TOKEN_SIGN_IN_DISABLED', message: 'Sign in through the provider redirect (authorization code flow).' });
    }
    if (ctx.path === '/sign-up/email') {
      if (typeof body.name === 'string' && body.name.length > 200) {
        throw new APIError('BAD_REQUEST', { code: 'NAME_TOO_LONG', message: 'The name must be at most 200 characters.' });
      }
      if (typeof body.password === 'string') {
        const problem = policy.check(body.password, { email: typeof body.email === 'string' ? body.email : null });
        if (problem) reject(problem);
      }
    } else if (ctx.path === '/reset-password' && typeof body.newPassword === 'string') {
      const token = typeof body.token === 'string' ? body.token : typeof ctx.query?.token === 'string' ? ctx.query.token : null;
      let email: string | null = null;
      if (token) {
        const found = await ctx.context.internalAdapter.findVerificationValue(`reset-password:${token}`);
        const user = found ? await ctx.context.internalAdapter.findUserById(found.value) : null;
        email = user?.email ?? null;
      }
      const problem = policy.check(body.newPassword, { email });
      if (problem) reject(problem);
    } else if (ctx.path === '/change-password' && typeof body.newPassword === 'string') {
      const session = await getSessionFromCtx(ctx);
      const problem = policy.check(body.newPassword, { email: session?.user.email ?? null });
      if (problem) reject(problem);
    }
  });

  const levelCause = (accountId: string, cause: 'email_verified' | 'account_linked' | 'account_unlinked', provider?: string) => {
    levels.noteDerivedChange(accountId, cause, provider).catch((err: Error) => logger.error({ err: err.message }, 'recording a level change failed'));
  };

  return betterAuth({
    appName: 'Safegate',
    baseURL: setup.baseUrl,
    basePath: AUTH_BASE_PATH,
    secret: setup.secret,
    trustedOrigins: setup.trustedOrigins,
    telemetry: { enabled: false },
    logger: {
      level: 'warn',
      // Message text only: better-auth's arguments can include request data.
      log: (level, message) => logger[level]({ source: 'better-auth' }, message.slice(0, 300)),
    },
    database: { db: setup.db, type: setup.dialect, transaction: true },
    user: {
      modelName: AUTH_TABLES.user,
      fields: AUTH_FIELDS.user,
      additionalFields: {
        role: { type: 'string', required: true, defaultValue: 'user', input: false, fieldName: AUTH_USER_EXTRA_COLUMNS.role },
        verifiedLevel: { type: 'string', required: false, input: false, fieldName: AUTH_USER_EXTRA_COLUMNS.verifiedLevel },
      },
    },
    session: {
      modelName: AUTH_TABLES.session,
      fields: AUTH_FIELDS.session,
      expiresIn: Math.round(config.session.expiresIn / 1000),
      updateAge: Math.round(config.session.updateAge / 1000),
      cookieCache: { enabled: false },
    },
    account: {
      modelName: AUTH_TABLES.account,
      fields: AUTH_FIELDS.account,
      encryptOAuthTokens: true,
      storeStateStrategy: 'database',
      accountLinking: { enabled: true, allowDifferentEmails: false },
    },
    verification: {
      modelName: AUTH_TABLES.verification,
      fields: AUTH_FIELDS.verification,
      storeIdentifier: 'hashed',
    },
    emailAndPassword: {
      enabled: true,
      disableSignUp: !config.signUp,
      requireEmailVerification: config.requireEmailVerification,
      autoSignIn: false,
      // The policy counts code points; better-auth counts UTF-16 units, so its own bounds only catch the absurd.
      minPasswordLength: config.password.minLength,
      maxPasswordLength: config.password.maxLength * 2,
      revokeSessionsOnPasswordReset: true,
      resetPasswordTokenExpiresIn: 3600,
      password: { hash: hashPassword, verify: verifyPassword },
      sendResetPassword: async ({ user, url, token }) => {
        const callback = new URL(url).searchParams.get('callbackURL');
        send(resetPasswordMessage(user.email, { url: callback ? url : null, token, apiUrl: `${setup.baseUrl}${AUTH_BASE_PATH}/reset-password` }));
      },
      onPasswordReset: async ({ user }) => {
        log.record({ type: 'auth.password_reset', actor: `user:${user.id}`, subject: user.id, addr: null, details: { sessionsRevoked: true } });
      },
      onExistingUserSignUp: async ({ user }) => {
        send(existingAccountMessage(user.email, `${setup.baseUrl}${AUTH_BASE_PATH}/sign-in/email`));
      },
      customSyntheticUser: ({ coreFields, additionalFields, id }) => ({ ...coreFields, role: 'user', verifiedLevel: null, ...additionalFields, id }),
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: false,
      expiresIn: 24 * 3600,
      sendVerificationEmail: async ({ user, url }) => {
        // Without a page of its own to return to, the link answers with JSON instead of redirecting to "/".
        const link = new URL(url);
        if (link.searchParams.get('callbackURL') === '/') link.searchParams.delete('callbackURL');
        send(verifyEmailMessage(user.email, link.toString()));
      },
      afterEmailVerification: async (user) => {
        log.record({ type: 'auth.email_verified', actor: `user:${user.id}`, subject: user.id, addr: null, details: {} });
        levelCause(user.id, 'email_verified');
      },
    },
    socialProviders: presetProviders(config.oauth),
    plugins: config.oidc.length > 0 ? [genericOAuth({ config: oidcProviders(config.oidc) })] : [],
    rateLimit: {
      enabled: true,
      // Per instance (better-auth's built-in memory store is shared by every instance in the process).
      customStorage: requestRateStorage(),
      window: 60,
      max: 300,
      customRules: {
        // Failed passwords are throttled per account and address by LoginThrottle; these only cap raw request rates per address.
        '/sign-in/*': { window: 60, max: 60 },
        '/sign-up/email': { window: 60, max: 10 },
        '/change-password': { window: 60, max: 10 },
        '/request-password-reset': { window: 60, max: 10 },
        '/send-verification-email': { window: 60, max: 10 },
        '/reset-password': { window: 60, max: 20 },
      },
    },
    disabledPaths: [
      // These hand session tokens or provider tokens to scripts, which would defeat HttpOnly cookies.
      '/list-sessions',
      '/revoke-session',
      '/get-access-token',
      '/refresh-token',
      '/account-info',
    ],
    advanced: {
      cookiePrefix: secure ? '__Host-safegate' : 'safegate',
      // The prefix above already says what better-auth's automatic `__Secure-` would.
      useSecureCookies: false,
      defaultCookieAttributes: { secure, httpOnly: true, sameSite: 'lax', path: '/' },
      disableCSRFCheck: false,
      disableOriginCheck: false,
      ipAddress: { ipAddressHeaders: [CLIENT_ADDR_HEADER] },
      database: { generateId: ({ model }) => newId(model) },
    },
    hooks: { before: rules },
    databaseHooks: {
      user: {
        create: {
          after: async (user, ctx) => {
            log.record({ type: 'auth.sign_up', actor: `user:${user.id}`, subject: user.id, addr: null, details: { method: methodOf(ctx), emailVerified: user.emailVerified } });
          },
        },
      },
      session: {
        create: {
          after: async (session, ctx) => {
            log.record({ type: 'auth.sign_in', actor: `user:${session.userId}`, subject: session.userId, addr: session.ipAddress ?? null, details: { method: methodOf(ctx), session: session.id } });
          },
        },
        delete: {
          after: async (session, ctx) => {
            if (ctx?.path === '/sign-out') log.record({ type: 'auth.sign_out', actor: `user:${session.userId}`, subject: session.userId, addr: null, details: { session: session.id } });
          },
        },
      },
      account: {
        create: {
          after: async (account) => {
            if (account.providerId === PASSWORD_PROVIDER) return;
            log.record({ type: 'auth.account_linked', actor: `user:${account.userId}`, subject: account.userId, addr: null, details: { provider: account.providerId } });
            levelCause(account.userId, 'account_linked', account.providerId);
          },
        },
        delete: {
          after: async (account) => {
            if (account.providerId === PASSWORD_PROVIDER) return;
            log.record({ type: 'auth.account_unlinked', actor: `user:${account.userId}`, subject: account.userId, addr: null, details: { provider: account.providerId } });
            levelCause(account.userId, 'account_unlinked', account.providerId);
          },
        },
      },
    },
  });
}

export type SafegateAuth = ReturnType<typeof createBetterAuth>;
