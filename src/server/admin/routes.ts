/**
 * `/admin/*`: the administrators' API for accounts and levels (and, through
 * operations.ts, keys, abuse notices and upstream keys). Every route
 * needs a session of an account with role `admin`; state changes also need a
 * trusted origin (CSRF) and are written to the security log. Errors are in
 * OpenAI's shape, like the rest of the gateway.
 */
import { Hono, type Context } from 'hono';
import type { Accounts } from '../../accounts/auth/accounts-service.js';
import { levelOfAccount } from '../../accounts/levels.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AccountRecord } from '../../storage/types.js';
import { sameOrigin, trustedCors } from '../auth/same-origin.js';
import { requireSession, sessionOf, type SessionEnv } from '../auth/session.js';
import { registerOperations, type OperationsDeps } from './operations.js';
import { jsonBody, parse } from './parse.js';
import { listUsersQuery, securityEventsQuery, setLevelBody, setRoleBody } from './schemas.js';

export interface AdminRoutesDeps {
  accounts: Accounts;
  clientAddr: (c: Context) => string | null;
  /** keys, abuse handling and upstream keys over HTTP (operations.ts) */
  operations?: Omit<OperationsDeps, 'clientAddr'>;
}

export function accountView(a: AccountRecord) {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    email_verified: a.emailVerified,
    role: a.role,
    level: levelOfAccount(a),
    granted_level: a.verifiedLevel,
    providers: a.providers,
    created_at: new Date(a.createdAt).toISOString(),
  };
}

export function createAdminRoutes(deps: AdminRoutesDeps): Hono<SessionEnv> {
  const { accounts } = deps;
  const app = new Hono<SessionEnv>();
  app.use('*', trustedCors(accounts.trustedOrigins), sameOrigin(accounts.trustedOrigins), requireSession(accounts, { admin: true }));

  if (deps.operations) registerOperations(app, { ...deps.operations, clientAddr: deps.clientAddr });

  const load = async (id: string): Promise<AccountRecord> => {
    const account = await accounts.repo.get(id);
    if (!account) throw new GatewayError('ACCOUNT_NOT_FOUND');
    return account;
  };

  app.get('/users', async (c) => {
    const q = parse(listUsersQuery, c.req.query());
    const list = await accounts.repo.list({
      ...(q.email ? { email: q.email } : {}),
      ...(q.role ? { role: q.role } : {}),
      ...(q.granted_level ? { verifiedLevel: q.granted_level } : {}),
      ...(q.after ? { after: q.after } : {}),
      limit: q.limit,
    });
    return c.json({ object: 'list', data: list.map(accountView), has_more: list.length === q.limit, last_id: list.at(-1)?.id ?? null });
  });

  app.get('/users/:id', async (c) => {
    const account = await load(c.req.param('id'));
    const events = await accounts.events.query({ subject: account.id, limit: 50 });
    return c.json({ ...accountView(account), events });
  });

  app.put('/users/:id/level', async (c) => {
    const body = parse(setLevelBody, await jsonBody(c));
    const admin = sessionOf(c).user;
    const change = await accounts.levels.set(c.req.param('id'), body.level, {
      actor: `admin:${admin.id}`,
      addr: deps.clientAddr(c),
      cause: body.reason ? `admin: ${body.reason}` : 'admin',
    });
    if (!change) throw new GatewayError('ACCOUNT_NOT_FOUND');
    return c.json({ ...accountView(await load(c.req.param('id'))), changed: change.changed, previous_level: change.from });
  });

  app.put('/users/:id/role', async (c) => {
    const body = parse(setRoleBody, await jsonBody(c));
    const admin = sessionOf(c).user;
    const account = await load(c.req.param('id'));
    if (account.role === 'admin' && body.role !== 'admin' && (await accounts.repo.countByRole('admin')) <= 1) {
      throw new GatewayError('LAST_ADMIN');
    }
    if (account.role !== body.role) {
      await accounts.repo.setRole(account.id, body.role);
      accounts.log.record({ type: 'user.role_changed', actor: `admin:${admin.id}`, subject: account.id, addr: deps.clientAddr(c), details: { from: account.role, to: body.role } });
    }
    return c.json(accountView(await load(account.id)));
  });

  app.get('/security-events', async (c) => {
    const q = parse(securityEventsQuery, c.req.query());
    const events = await accounts.events.query({
      ...(q.type ? { type: q.type } : {}),
      ...(q.subject ? { subject: q.subject } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      limit: q.limit,
    });
    return c.json({ object: 'list', data: events });
  });

  return app;
}
