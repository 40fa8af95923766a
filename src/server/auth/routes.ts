/**
 * `/auth/*`: better-auth's endpoints (sign-up, sign-in, sign-out, session,
 * email verification, password reset and change, OAuth/OIDC) behind a thin
 * layer of Safegate rules, plus Safegate's own account routes.
 *
 * Around better-auth:
 * - the client address better-auth records and rate-limits by is the one
 *   this server determined (see `CLIENT_ADDR_HEADER`);
 * - password sign-in is throttled per account and per address (`LoginThrottle`)
 *   and every outcome is written to the security log;
 * - reset and verification mail is limited per address, answering exactly
 *   as when mail is sent so that the limit reveals nothing;
 * - session tokens are removed from JSON bodies: they live only in the
 *   HttpOnly cookie.
 *
 * better-auth's endpoints answer errors as `{code, message}` (what its client
 * library reads); Safegate's own routes answer in OpenAI's error shape, like
 * the rest of the gateway.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Accounts } from '../../accounts/auth/accounts-service.js';
import { CLIENT_ADDR_HEADER } from '../../accounts/auth/better-auth.js';
import { isActive } from '../../accounts/auth/self-service-keys.js';
import { SIGNATURE_HEADER } from '../../accounts/auth/webhook-signature.js';
import { levelOfAccount } from '../../accounts/levels.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ApiKeyRecord } from '../../storage/types.js';
import { sameOrigin, trustedCors } from './same-origin.js';
import { requireSession, sessionOf, type SessionEnv } from './session.js';

export interface AuthRoutesDeps {
  accounts: Accounts;
  /** the caller's address, as the rest of the server determines it (trustProxy) */
  clientAddr: (c: Context) => string | null;
}

const BODY_LIMIT = 64 * 1024;
const RESET_SENT = { status: true, message: 'If this email exists in our system, check your email for the reset link' };

const createKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** model globs within what the level allows */
    models: z.array(z.string().min(1).max(200)).max(50).optional(),
  })
  .strict();

/** The email field of a JSON or form body, lower-cased; null when absent or unreadable. */
export function emailOfBody(text: string, contentType: string | undefined): string | null {
  let value: unknown;
  try {
    if (contentType?.includes('application/x-www-form-urlencoded')) value = new URLSearchParams(text).get('email');
    else value = (JSON.parse(text) as { email?: unknown } | null)?.email;
  } catch {
    return null;
  }
  return typeof value === 'string' && value.trim() ? value.trim().toLowerCase() : null;
}

function keyView(k: ApiKeyRecord, now: number) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    status: k.revokedAt !== null ? 'revoked' : isActive(k, now) ? 'active' : 'expired',
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    revoked_at: iso(k.revokedAt),
    last_used_at: iso(k.lastUsedAt),
  };
}

export function createAuthRoutes(deps: AuthRoutesDeps): Hono<SessionEnv> {
  const { accounts } = deps;
  const app = new Hono<SessionEnv>();
  const signedIn = requireSession(accounts);
  const csrf = sameOrigin(accounts.trustedOrigins);

  app.use('*', trustedCors(accounts.trustedOrigins));
  app.use(
    '*',
    bodyLimit({ maxSize: BODY_LIMIT, onError: (c) => c.json({ code: 'BODY_TOO_LARGE', message: 'The request body is too large.' }, 413) }),
  );

  /** Hands the request to better-auth with the server's view of the client address, and strips tokens from its answer. */
  const forward = async (c: Context, bodyText?: string): Promise<Response> => {
    const req = c.req.raw;
    const headers = new Headers(req.headers);
    headers.delete(CLIENT_ADDR_HEADER);
    headers.delete('content-length');
    const addr = deps.clientAddr(c);
    if (addr) headers.set(CLIENT_ADDR_HEADER, addr);
    const init: RequestInit = { method: req.method, headers, signal: req.signal };
    if (req.method !== 'GET' && req.method !== 'HEAD') init.body = bodyText ?? (await req.text());
    // Sign-in, sign-up, password change and session reads all put the session token in their JSON; none keeps it.
    return withoutTokens(await accounts.auth.handler(new Request(req.url, init)));
  };

  app.get('/providers', (c) =>
    c.json({
      providers: accounts.providers(),
      signUp: accounts.config.signUp,
      password: { minLength: accounts.policy.minLength, maxLength: accounts.policy.maxLength },
    }),
  );

  app.post('/sign-in/email', async (c) => {
    const text = await c.req.text();
    const email = emailOfBody(text, c.req.header('content-type'));
    if (!email) return forward(c, text);
    const addr = deps.clientAddr(c);
    const ref = accounts.log.emailRef(email);
    const verdict = await accounts.throttle.begin(ref, addr);
    if (!verdict.allowed) {
      return c.json(
        { code: 'TOO_MANY_ATTEMPTS', message: 'Too many failed sign-in attempts. Try again later, or reset the password.' },
        429,
        { 'retry-after': String(Math.ceil(verdict.retryAfterMs / 1000)) },
      );
    }
    const { ticket } = verdict;
    const res = await forward(c, text);
    const failure = (reason: string) => {
      // Who the address belongs to is looked up after answering, so the answer's timing does not depend on it.
      accounts.log.record(
        accounts.repo
          .findByEmail(email)
          .catch(() => undefined)
          .then((account) => ({ type: 'auth.sign_in_failed', actor: null, subject: account?.id ?? null, addr, details: { email: ref, reason } })),
      );
    };
    if (res.status === 200) {
      await accounts.throttle.succeeded(ticket);
    } else if (res.status === 401) {
      failure('invalid_credentials');
      for (const scope of accounts.throttle.failed(ticket)) {
        accounts.log.record({ type: 'auth.throttled', actor: null, subject: null, addr, details: { scope, email: ref } });
      }
    } else if (res.status === 403 && (await res.clone().text()).includes('EMAIL_NOT_VERIFIED')) {
      // The password was right; only the unverified address stands in the way.
      await accounts.throttle.succeeded(ticket);
      failure('email_not_verified');
    } else {
      await accounts.throttle.abandoned(ticket);
    }
    return res;
  });

  const mailGuard = async (c: Context) => {
    const text = await c.req.text();
    const email = emailOfBody(text, c.req.header('content-type'));
    if (email) {
      const decision = await accounts.mailLimiter.consume(accounts.log.emailRef(email), Date.now());
      if (!decision.allowed) {
        // The same answer as when mail goes out: the limit must not tell whether the address has an account.
        return c.req.path.endsWith('/request-password-reset') ? c.json(RESET_SENT) : c.json({ status: true });
      }
    }
    return forward(c, text);
  };
  app.post('/request-password-reset', mailGuard);
  app.post('/send-verification-email', mailGuard);

  app.get('/me', signedIn, async (c) => {
    const { user } = sessionOf(c);
    const described = await accounts.levels.describe(user.id);
    if (!described) throw new GatewayError('SESSION_REQUIRED');
    const quota = await accounts.keys.quota(user.id);
    const { account } = described;
    return c.json({
      user: { id: account.id, email: account.email, name: account.name, email_verified: account.emailVerified, role: account.role },
      level: levelOfAccount(account),
      granted_level: account.verifiedLevel,
      providers: account.providers,
      keys: { active: quota.active, limit: quota.limit },
    });
  });

  app.get('/keys', signedIn, async (c) => {
    const { user } = sessionOf(c);
    const now = Date.now();
    const [list, quota] = await Promise.all([accounts.keys.list(user.id), accounts.keys.quota(user.id)]);
    return c.json({ object: 'list', data: list.map((k) => keyView(k, now)), level: quota.level, active: quota.active, limit: quota.limit });
  });

  app.post('/keys', csrf, signedIn, async (c) => {
    const { user } = sessionOf(c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new GatewayError('INVALID_JSON');
    }
    const parsed = createKeySchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GatewayError('INVALID_REQUEST', { message: `${issue.path.join('.') || 'body'}: ${issue.message}`, param: issue.path.join('.') || null });
    }
    const outcome = await accounts.keys.create(user.id, { name: parsed.data.name, ...(parsed.data.models ? { models: parsed.data.models } : {}) }, deps.clientAddr(c));
    if (!outcome.ok) {
      throw new GatewayError('KEY_LIMIT_REACHED', {
        message: `Your level (${outcome.level}) allows ${outcome.limit} active key${outcome.limit === 1 ? '' : 's'}. Revoke one, or raise your level.`,
        details: { level: outcome.level, limit: outcome.limit },
      });
    }
    const { created } = outcome;
    return c.json({ ...keyView(created.record, Date.now()), key: created.key, level: outcome.level }, 201);
  });

  app.delete('/keys/:id', csrf, signedIn, async (c) => {
    const { user } = sessionOf(c);
    const id = c.req.param('id');
    if (!(await accounts.keys.revoke(user.id, id, deps.clientAddr(c)))) {
      throw new GatewayError('NOT_FOUND', { message: 'You have no key with this id.' });
    }
    return c.json({ id, revoked: true });
  });

  app.post('/webhooks/verification', async (c) => {
    const result = await accounts.webhook.handle(await c.req.text(), c.req.header(SIGNATURE_HEADER), deps.clientAddr(c));
    return c.json(result);
  });

  app.all('/*', (c) => forward(c));
  return app;
}

/** Removes `token` and `session.token` from a JSON answer; other answers pass unchanged. */
async function withoutTokens(res: Response): Promise<Response> {
  if (!res.headers.get('content-type')?.includes('application/json')) return res;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, { status: res.status, headers: res.headers });
  }
  if (body && typeof body === 'object') {
    const record = body as { token?: unknown; session?: { token?: unknown } | null };
    delete record.token;
    if (record.session && typeof record.session === 'object') delete record.session.token;
  }
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify(body), { status: res.status, headers });
}
