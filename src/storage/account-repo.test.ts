/**
 * The accounts tables of migration 0003 and `AccountRepo`, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL, with accounts created through better-auth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMigrations } from 'better-auth/db/migration';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, PgSchemas } from '../../test/helpers/pg.js';
import { createAccounts, type Accounts } from '../accounts/auth/accounts-service.js';
import { GatewayKeys } from '../accounts/gateway-keys.js';
import type { Mailer } from '../accounts/mailer/types.js';
import { configSchema } from '../config/schema.js';
import { openStore } from './open.js';
import type { Store } from './types.js';

const schemas = new PgSchemas();
afterAll(() => schemas.dropAll());

const silentMailer: Mailer = { send: async () => undefined, close: async () => undefined };

describe.each(BACKENDS)('accounts storage on %s', (backend) => {
  let dataDir: string;
  let store: Store;
  let accounts: Accounts;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sg-acct-'));
    const databaseUrl = backend === 'postgres' ? await schemas.fresh() : undefined;
    store = await openStore({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    const config = configSchema.parse({ dataDir, ...(databaseUrl ? { database: { url: databaseUrl } } : {}) });
    accounts = createAccounts({ config, store, keys: new GatewayKeys({ repo: store.keys }), logger: pino({ level: 'silent' }), mailer: silentMailer });
  });

  afterEach(async () => {
    await accounts.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const make = (email: string, role: 'user' | 'admin' = 'user') =>
    accounts.createAccount({ email, name: email.split('@')[0]!, password: 'a perfectly fine passphrase', role });

  it('leaves better-auth nothing to create or add', async () => {
    const { toBeCreated, toBeAdded } = await getMigrations(accounts.auth.options);
    expect(toBeCreated).toEqual([]);
    expect(toBeAdded).toEqual([]);
    // better-auth's own runtime schema check passes too (it runs before the first request).
    await expect(accounts.auth.api.getSession({ headers: new Headers() })).resolves.toBeNull();
  });

  it('reads accounts by id and by email, case-insensitively, with their sign-in methods', async () => {
    const created = await make('Mixed.Case@Example.com');
    expect(created).toMatchObject({ email: 'mixed.case@example.com', emailVerified: false, role: 'user', verifiedLevel: null, providers: ['credential'] });
    expect(created.id).toMatch(/^acct_[a-z2-7]{26}$/);
    expect(Math.abs(created.createdAt - Date.now())).toBeLessThan(60_000);
    expect(await store.accounts.findByEmail('MIXED.case@example.COM')).toEqual(created);
    expect(await store.accounts.get('acct_missing')).toBeUndefined();
    expect(await store.accounts.findByEmail('nobody@example.com')).toBeUndefined();
  });

  it('lists with filters and an id cursor', async () => {
    const all = await Promise.all(['a@x.test', 'b@x.test', 'c@y.test', 'd@y.test'].map((e, i) => make(e, i === 0 ? 'admin' : 'user')));
    const ids = all.map((a) => a.id).sort();
    expect((await store.accounts.list({})).map((a) => a.id)).toEqual(ids);
    expect((await store.accounts.list({ email: 'Y.TEST' })).map((a) => a.email).sort()).toEqual(['c@y.test', 'd@y.test']);
    expect((await store.accounts.list({ email: '%' })).length).toBe(0);
    expect((await store.accounts.list({ role: 'admin' })).map((a) => a.email)).toEqual(['a@x.test']);
    const page1 = await store.accounts.list({ limit: 2 });
    const page2 = await store.accounts.list({ limit: 2, after: page1.at(-1)!.id });
    expect([...page1, ...page2].map((a) => a.id)).toEqual(ids);
    expect(await store.accounts.countByRole('admin')).toBe(1);
  });

  it('sets granted levels conditionally, so concurrent raises never lower each other', async () => {
    const { id } = await make('lvl@x.test');
    expect(await store.accounts.setVerifiedLevel(id, 'id_verified', [null, 'payment_verified'])).toBe(true);
    expect(await store.accounts.setVerifiedLevel(id, 'payment_verified', [null])).toBe(false);
    expect((await store.accounts.get(id))!.verifiedLevel).toBe('id_verified');
    expect(await store.accounts.list({ verifiedLevel: 'id_verified' })).toHaveLength(1);
    expect(await store.accounts.setVerifiedLevel(id, null)).toBe(true);
    expect(await store.accounts.list({ verifiedLevel: 'none' })).toHaveLength(1);
    expect(await store.accounts.setVerifiedLevel('acct_missing', 'id_verified')).toBe(false);
    expect(await store.accounts.setRole(id, 'admin')).toBe(true);
    expect(await store.accounts.setRole('acct_missing', 'admin')).toBe(false);
  });

  it('claims a webhook event id exactly once, also under concurrency', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.accounts.claimWebhookEvent('evt_1', 1000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.accounts.claimWebhookEvent('evt_2', 5000)).toBe(true);
    expect(await store.accounts.purgeWebhookEvents(2000)).toBe(1);
    expect(await store.accounts.claimWebhookEvent('evt_1', 6000)).toBe(true);
    expect(await store.accounts.claimWebhookEvent('evt_2', 6000)).toBe(false);
  });

  it('deletes sessions and sign-in methods with their account', async () => {
    const { id } = await make('gone@x.test');
    const db = store.kysely();
    await db.deleteFrom('auth_user').where('id', '=', id).execute();
    const left = await db.selectFrom('auth_account').select('id').where('user_id', '=', id).execute();
    expect(left).toEqual([]);
  });
});
