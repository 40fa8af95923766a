/**
 * The operator's tasks over HTTP, for administrators (the CLI does the same
 * without a browser): gateway keys (list, create, rotate with a grace period,
 * revoke), abuse notices (look up the user behind a safety identifier,
 * suspend, restore) and upstream provider keys (list, add, rotate, revoke).
 * Mounted inside `/admin`, behind its administrator session and CSRF checks.
 * Responses never contain a stored key; a new gateway key is shown once.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { GatewayKeys } from '../../accounts/gateway-keys.js';
import type { UpstreamKeys } from '../../accounts/upstream-keys.js';
import type { UserAdmin, UserRef } from '../../accounts/user-admin.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ApiKeyRecord, UpstreamKeyRecord } from '../../storage/types.js';
import { sessionOf, type SessionEnv } from '../auth/session.js';
import { jsonBody, parse } from './parse.js';

export interface OperationsDeps {
  keys: GatewayKeys;
  users: UserAdmin;
  upstreamKeys: UpstreamKeys;
  clientAddr: (c: Context) => string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function keyView(k: ApiKeyRecord) {
  return {
    id: k.id, name: k.name, prefix: k.prefix, policy: k.policy, scopes: k.scopes,
    created_at: iso(k.createdAt), expires_at: iso(k.expiresAt), revoked_at: iso(k.revokedAt),
    last_used_at: iso(k.lastUsedAt), last_used_addr: k.lastUsedAddr,
  };
}

/** Everything but the ciphertext. */
function upstreamKeyView(k: UpstreamKeyRecord) {
  return { id: k.id, upstream: k.upstream, hint: k.hint, fingerprint: k.fingerprint, status: k.status, created_at: iso(k.createdAt), revoked_at: iso(k.revokedAt) };
}

const createKeyBody = z.object({
  name: z.string().min(1).max(200),
  policy: z.string().min(1).max(100).optional(),
  scopes: z.record(z.string(), z.unknown()).optional(),
  expires_in_seconds: z.number().int().positive().max(10 * 365 * 86_400).optional(),
}).strict();
const rotateKeyBody = z.object({ grace_seconds: z.number().int().min(0).max(30 * 86_400).default(600) }).strict();
const userRefBody = z.union([z.object({ user_id: z.string().min(1).max(512) }).strict(), z.object({ safety_id: z.string().min(1).max(64) }).strict()]);
const addUpstreamKeyBody = z.object({ upstream: z.string().min(1).max(100), key: z.string().min(8).max(500) }).strict();
const rotateUpstreamKeyBody = z.object({ key: z.string().min(8).max(500) }).strict();

const body = async <T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> => parse(schema, await jsonBody(c));

const notFound = (what: string) => new GatewayError('NOT_FOUND', { message: `No such ${what}.` });

export function registerOperations(app: Hono<SessionEnv>, deps: OperationsDeps): void {
  const actor = (c: Context<SessionEnv>) => ({ actor: `admin:${sessionOf(c).user.id}`, addr: deps.clientAddr(c) });

  app.get('/keys', async (c) => c.json({ object: 'list', data: (await deps.keys.list()).map(keyView) }));

  app.post('/keys', async (c) => {
    const b = await body(c, createKeyBody);
    const created = await deps.keys.create(
      { name: b.name, ...(b.policy ? { policy: b.policy } : {}), ...(b.scopes ? { scopes: b.scopes } : {}), ...(b.expires_in_seconds ? { expiresAt: Date.now() + b.expires_in_seconds * 1000 } : {}) },
      actor(c),
    );
    return c.json({ id: created.id, key: created.key }, 201);
  });

  app.post('/keys/:id/rotate', async (c) => {
    const b = await body(c, rotateKeyBody);
    const rotated = await deps.keys.rotate(c.req.param('id'), b.grace_seconds * 1000, actor(c));
    if (!rotated) throw notFound('active key');
    return c.json({ id: rotated.id, key: rotated.key }, 201);
  });

  app.delete('/keys/:id', async (c) => {
    if (!(await deps.keys.revoke(c.req.param('id'), actor(c)))) throw notFound('key');
    return c.json({ id: c.req.param('id'), revoked: true });
  });

  app.get('/abuse/lookup', async (c) => {
    const safetyId = c.req.query('safety_id');
    if (!safetyId) throw new GatewayError('INVALID_REQUEST', { message: 'safety_id is required.', param: 'safety_id' });
    const found = await deps.users.lookup(safetyId, actor(c).actor);
    return c.json({
      safety_id: found.safetyId,
      user_id: found.identity?.rawUserId ?? null,
      standing: found.standing,
      flagged: found.flagged.map((r) => ({ request_id: r.requestId, time: iso(r.time), outcome: r.outcome, blocked_by: r.blockedBy, endpoint: r.endpoint, model: r.model })),
    });
  });

  for (const action of ['suspend', 'restore'] as const) {
    app.post(`/abuse/${action}`, async (c) => {
      const b = await body(c, userRefBody);
      const ref: UserRef = 'user_id' in b ? { userId: b.user_id } : { safetyId: b.safety_id };
      const transition = await deps.users[action](ref, actor(c).actor);
      return c.json({ safety_id: deps.users.safetyIdOf(ref), changed: transition !== null, state: transition ?? null });
    });
  }

  app.get('/upstream-keys', async (c) => c.json({ object: 'list', data: (await deps.upstreamKeys.list(c.req.query('upstream') || undefined)).map(upstreamKeyView) }));

  app.post('/upstream-keys', async (c) => {
    const b = await body(c, addUpstreamKeyBody);
    return c.json(upstreamKeyView(await deps.upstreamKeys.add(b.upstream, b.key, actor(c).actor)), 201);
  });

  app.post('/upstream-keys/:id/rotate', async (c) => {
    const b = await body(c, rotateUpstreamKeyBody);
    return c.json(upstreamKeyView(await deps.upstreamKeys.rotate(c.req.param('id'), b.key, { actor: actor(c).actor })), 201);
  });

  app.delete('/upstream-keys/:id', async (c) => {
    if (!(await deps.upstreamKeys.revoke(c.req.param('id'), actor(c).actor))) throw notFound('upstream key');
    return c.json({ id: c.req.param('id'), revoked: true });
  });
}
