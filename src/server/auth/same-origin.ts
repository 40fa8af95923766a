/**
 * CSRF protection for Safegate's own cookie-authenticated routes (`/auth/keys`,
 * `/admin/*`), matching what better-auth enforces on its endpoints: a
 * state-changing request that carries cookies must come from a page of a
 * trusted origin, shown by its Origin header (or, failing that, Referer), and
 * must not be a cross-site request by Fetch Metadata. Safe methods pass; so do
 * requests without cookies, which carry no session to abuse.
 *
 * SameSite=Lax cookies already stop most cross-site POSTs; this check also
 * covers same-site attackers (a sibling subdomain) and older browsers.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { GatewayError } from '../../errors/gateway-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string | undefined): string | null {
  if (!value || value === 'null') return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

export function isTrustedRequest(headers: { get(name: string): string | null }, trustedOrigins: readonly string[]): boolean {
  if (headers.get('sec-fetch-site') === 'cross-site') return false;
  const origin = originOf(headers.get('origin') ?? undefined) ?? originOf(headers.get('referer') ?? undefined);
  return origin !== null && trustedOrigins.includes(origin);
}

export function sameOrigin(trustedOrigins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && c.req.header('cookie') && !isTrustedRequest(c.req.raw.headers, trustedOrigins)) {
      throw new GatewayError('CROSS_SITE_REQUEST');
    }
    await next();
  };
}

/**
 * CORS for pages of the other trusted origins (a console on its own
 * subdomain): credentialed requests from those origins only; any other
 * origin gets no CORS headers, so its scripts cannot read the answers.
 */
export function trustedCors(trustedOrigins: readonly string[]): MiddlewareHandler {
  return cors({
    origin: (origin) => (trustedOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ['content-type'],
    maxAge: 600,
  });
}
