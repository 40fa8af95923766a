/**
 * Session guards for Safegate's own routes: resolve the session cookie
 * through better-auth and put the signed-in account on the context.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Accounts, SessionView } from '../../accounts/auth/accounts-service.js';
import { GatewayError } from '../../errors/gateway-error.js';

export type SessionEnv = { Variables: { requestId: string; session: SessionView } };

/** 401 without a valid session; with `admin`, 403 unless the account is an administrator. */
export function requireSession(accounts: Accounts, options: { admin?: boolean } = {}): MiddlewareHandler<SessionEnv> {
  return async (c, next) => {
    const session = await accounts.session(c.req.raw.headers);
    if (!session) throw new GatewayError('SESSION_REQUIRED');
    if (options.admin && session.user.role !== 'admin') throw new GatewayError('ADMIN_REQUIRED');
    c.set('session', session);
    await next();
  };
}

export function sessionOf(c: Context<SessionEnv>): SessionView {
  return c.get('session');
}
