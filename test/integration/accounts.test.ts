/**
 * Accounts over HTTP, on SQLite and (with TEST_DATABASE_URL) PostgreSQL:
 * sign-up, verification mail, sign-in and its cookie, sign-out, password
 * reset, no user enumeration, CSRF, session fixation, password rules,
 * self-service keys used against /v1, the admin API and the security log.
 *
 * Each simulated person gets their own address (X-Forwarded-For with
 * trustProxy), as real users would, so per-address limits do not mix them up.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, freePort, linkIn, readOutbox, waitForMail } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream.js';
import { BACKENDS, PgSchemas } from '../helpers/pg.js';

const SESSION = '__Host-safegate.session_token';
const PASSWORD = 'violet tractor humming softly';
const schemas = new PgSchemas();
afterAll(() => schemas.dropAll());

describe.each(BACKENDS)('accounts on %s', (backend) => {
  let gw: TestGateway;
  let upstream: MockUpstream;
  let base: string;
  let nextAddr = 1;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gw = await startGateway({
      server: { port, trustProxy: true },
      upstreams: { main: { baseUrl: upstream.url } },
      accounts: { trustedOrigins: ['https://console.example.com'] },
      ...(backend === 'postgres' ? { database: { url: await schemas.fresh() } } : {}),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const person = (options: { origin?: string | null } = {}) => new Browser(base, { ...options, headers: { 'x-forwarded-for': `10.1.0.${nextAddr++}` } });
  const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;
  const signUp = (b: Browser, email: string, password = PASSWORD) => b.post('/auth/sign-up/email', { email, password, name: email.split('@')[0] });
  const signIn = (b: Browser, email: string, password = PASSWORD) => b.post('/auth/sign-in/email', { email, password });
  const events = async (q: { type?: string; subject?: string } = {}) => {
    await gw.gateway.accounts!.log.flush();
    return gw.gateway.store.securityEvents.query({ ...q, limit: 1000 });
  };
  const accountOf = async (email: string) => (await gw.gateway.store.accounts.findByEmail(email))!;

  /** A signed-up, verified, signed-in person. */
  async function verifiedUser(email: string): Promise<Browser> {
    const b = person();
    expect((await signUp(b, email)).status).toBe(200);
    const link = linkIn(await waitForMail(gw.dataDir, email, 'verify-email'));
    expect((await b.get(link)).status).toBe(200);
    expect((await signIn(b, email)).status).toBe(200);
    return b;
  }

  describe('sign-up, verification, sign-in, sign-out', () => {
    const email = 'alice@example.com';
    const b = () => browser;
    let browser: Browser;

    it('signs up without signing in, and mails a verification link to the outbox (0600, no token in the log)', async () => {
      browser = person();
      const res = await signUp(browser, email);
      expect(res.status).toBe(200);
      const body = await json<{ user: { email: string; emailVerified: boolean }; token?: unknown }>(res);
      expect(body.user).toMatchObject({ email, emailVerified: false });
      expect(body).not.toHaveProperty('token');
      expect(browser.jar.get(SESSION)).toBeUndefined();

      const mail = await waitForMail(gw.dataDir, email, 'verify-email');
      expect(mail.subject).toBe('Confirm your email address');
      const link = new URL(linkIn(mail));
      expect(link.origin + link.pathname).toBe(`${base}/auth/verify-email`);
      expect(statSync(mail.file).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(mail.file)).mode & 0o777).toBe(0o700);
      const token = link.searchParams.get('token')!;
      await expect.poll(() => gw.logs.some((l) => l.includes('mail written to the outbox') && l.includes(mail.file))).toBe(true);
      expect(gw.logs.join('\n')).not.toContain(token);
    });

    it('signs in before verification at level registered, with a __Host- HttpOnly Secure SameSite=Lax cookie', async () => {
      const res = await signIn(b(), email);
      expect(res.status).toBe(200);
      expect(await json(res)).not.toHaveProperty('token');
      const cookie = b().lastSetCookies.find((c) => c.name === SESSION)!;
      expect(cookie.attributes).toMatchObject({ httponly: '', secure: '', samesite: 'Lax', path: '/' });
      expect(cookie.attributes).not.toHaveProperty('domain');
      const me = await json<{ level: string; user: { email_verified: boolean } }>(await b().get('/auth/me'));
      expect(me).toMatchObject({ level: 'registered', user: { email_verified: false } });
    });

    it('verifies the address through the mailed link, raising the level to email_verified', async () => {
      const link = linkIn(await waitForMail(gw.dataDir, email, 'verify-email'));
      const res = await b().get(link);
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ status: true });
      const me = await json<{ level: string }>(await b().get('/auth/me'));
      expect(me.level).toBe('email_verified');
      const changes = await events({ type: 'user.level_changed', subject: (await accountOf(email)).id });
      expect(changes[0]!.details).toMatchObject({ from: 'registered', to: 'email_verified', cause: 'email_verified' });
    });

    it('keeps the session token out of JSON bodies and disables the token-listing endpoints', async () => {
      const session = await json<{ session: Record<string, unknown>; user: { email: string } }>(await b().get('/auth/get-session'));
      expect(session.user.email).toBe(email);
      expect(session.session).not.toHaveProperty('token');
      expect(JSON.stringify(session)).not.toContain(b().jar.get(SESSION)!.split('.')[0]!);
      for (const path of ['/auth/list-sessions', '/auth/get-access-token']) {
        expect((await b().request(path.endsWith('sessions') ? 'GET' : 'POST', path, path.endsWith('sessions') ? undefined : {})).status).toBe(404);
      }
    });

    it('signs out: the cookie is cleared and the old session is dead on the server too', async () => {
      const old = b().jar.get(SESSION)!;
      const res = await b().post('/auth/sign-out');
      expect(res.status).toBe(200);
      expect(b().jar.get(SESSION)).toBeUndefined();
      expect((await b().get('/auth/me')).status).toBe(401);
      const replay = person();
      replay.jar.cookies.set(SESSION, old);
      const me = await replay.get('/auth/me');
      expect(me.status).toBe(401);
      expect(await json(me)).toMatchObject({ error: { code: 'session_required', type: 'authentication_error' } });
      expect((await events({ type: 'auth.sign_out' })).length).toBeGreaterThan(0);
    });
  });

  describe('password reset', () => {
    it('answers the same for known and unknown addresses, and mails only the account holder', async () => {
      const user = await verifiedUser('bob@example.com');
      const unknown = await person().post('/auth/request-password-reset', { email: 'nobody@example.com' });
      const known = await person().post('/auth/request-password-reset', { email: 'bob@example.com' });
      expect(unknown.status).toBe(200);
      expect(known.status).toBe(200);
      expect(await unknown.json()).toEqual(await known.json());
      const mail = await waitForMail(gw.dataDir, 'bob@example.com', 'reset-password');
      expect(readOutbox(gw.dataDir).some((m) => m.to.includes('nobody@'))).toBe(false);

      const token = /reset code: (\S+)/.exec(mail.text)![1]!;
      const weak = await person().post('/auth/reset-password', { token, newPassword: 'password12345678' });
      expect(weak.status).toBe(400);
      expect(await weak.json()).toMatchObject({ code: 'PASSWORD_COMMON' });

      const fresh = 'marble ocean kettle drift';
      const reset = await person().post('/auth/reset-password', { token, newPassword: fresh });
      expect(reset.status).toBe(200);
      // Every session ends with a reset; the old password stops working; the token is single-use.
      expect((await user.get('/auth/me')).status).toBe(401);
      expect((await signIn(person(), 'bob@example.com')).status).toBe(401);
      expect((await signIn(person(), 'bob@example.com', fresh)).status).toBe(200);
      expect((await person().post('/auth/reset-password', { token, newPassword: 'another long passphrase here' })).status).toBe(400);
      expect((await events({ type: 'auth.password_reset', subject: (await accountOf('bob@example.com')).id })).length).toBe(1);
    });

    it('stores reset tokens hashed', async () => {
      await person().post('/auth/request-password-reset', { email: 'bob@example.com' });
      const mail = await waitForMail(gw.dataDir, 'bob@example.com', 'reset-password');
      const token = /reset code: (\S+)/.exec(mail.text)![1]!;
      const rows = await gw.gateway.store.kysely().selectFrom('auth_verification').select(['identifier', 'value']).execute();
      expect(JSON.stringify(rows)).not.toContain(token);
    });
  });

  describe('no user enumeration', () => {
    it('refuses an unknown address and a wrong password with the same status and body', async () => {
      await verifiedUser('carol@example.com');
      const unknown = await signIn(person(), 'nobody-here@example.com', 'some long wrong password');
      const wrong = await signIn(person(), 'carol@example.com', 'some long wrong password');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(await unknown.json()).toEqual(await wrong.json());
    });

    it('answers a sign-up for a taken address like a new one, and tells the owner by mail', async () => {
      const taken = await json<{ user: Record<string, unknown> }>(await signUp(person(), 'carol@example.com'));
      const fresh = await json<{ user: Record<string, unknown> }>(await signUp(person(), 'dave@example.com'));
      expect(Object.keys(taken.user).sort()).toEqual(Object.keys(fresh.user).sort());
      expect(taken.user).toMatchObject({ email: 'carol@example.com', emailVerified: false, role: 'user', verifiedLevel: null });
      expect(taken.user.id).not.toBe((await accountOf('carol@example.com')).id);
      await waitForMail(gw.dataDir, 'carol@example.com', 'existing-account');
    });
  });

  describe('password rules', () => {
    it.each([
      ['shorter than 15 characters', 'short but ok', 'PASSWORD_TOO_SHORT'],
      ['a common password with digits', 'sunshine1234567890', 'PASSWORD_COMMON'],
      ['one containing the address', 'erin@example.com is my password', 'PASSWORD_CONTAINS_EMAIL'],
      ['a keyboard run', 'qwertyuiopasdfgh', 'PASSWORD_TRIVIAL'],
    ])('refuses %s at sign-up, saying why', async (_name, password, code) => {
      const res = await signUp(person(), 'erin@example.com', password);
      expect(res.status).toBe(400);
      const body = await json<{ code: string; message: string }>(res);
      expect(body.code).toBe(code);
      expect(body.message).not.toContain(password);
      expect(await gw.gateway.store.accounts.findByEmail('erin@example.com')).toBeUndefined();
    });

    it('applies the same rules to a password change, and can end the other sessions', async () => {
      const first = await verifiedUser('change@example.com');
      const second = person();
      expect((await signIn(second, 'change@example.com')).status).toBe(200);
      const weak = await first.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'change@example.com-2024' });
      expect(await json(weak)).toMatchObject({ code: 'PASSWORD_CONTAINS_EMAIL' });
      const ok = await first.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'granite lantern over water', revokeOtherSessions: true });
      expect(ok.status).toBe(200);
      expect(await json(ok)).not.toHaveProperty('token');
      expect((await first.get('/auth/me')).status).toBe(200);
      expect((await second.get('/auth/me')).status).toBe(401);
    });

    it('stores argon2id hashes (m=19456, t=2, p=1)', async () => {
      await verifiedUser('hash@example.com');
      const row = await gw.gateway.store
        .kysely()
        .selectFrom('auth_account')
        .select('password')
        .where('user_id', '=', (await accountOf('hash@example.com')).id)
        .executeTakeFirstOrThrow();
      expect(row.password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });
  });

  describe('CSRF and session fixation', () => {
    it('refuses state changes from other origins, without an origin, and cross-site by Fetch Metadata', async () => {
      const user = await verifiedUser('frank@example.com');
      const evil = { origin: 'https://evil.example' };
      expect((await user.post('/auth/sign-out', {}, evil)).status).toBe(403);
      const key = await user.post('/auth/keys', { name: 'x' }, evil);
      expect(key.status).toBe(403);
      expect(await key.json()).toMatchObject({ error: { code: 'cross_site_request' } });
      expect((await user.post('/auth/keys', { name: 'x' }, { origin: base, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      const noOrigin = new Browser(base, { origin: null, headers: { 'x-forwarded-for': '10.1.9.9' } });
      noOrigin.jar.cookies.set(SESSION, user.jar.get(SESSION)!);
      expect((await noOrigin.post('/auth/sign-out')).status).toBe(403);
      expect((await noOrigin.post('/auth/keys', { name: 'x' })).status).toBe(403);
      // Still signed in: none of the refused requests acted.
      expect((await user.get('/auth/me')).status).toBe(200);
      // A login form posted from another site is refused too.
      expect((await signIn(person(evil), 'frank@example.com')).status).toBe(403);
    });

    it('answers CORS only for trusted origins, with credentials', async () => {
      const preflight = (origin: string) =>
        fetch(`${base}/auth/keys`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      const trusted = await preflight('https://console.example.com');
      expect(trusted.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      expect(trusted.headers.get('access-control-allow-credentials')).toBe('true');
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    });

    it('refuses redirects to untrusted sites after sign-in (no open redirect)', async () => {
      const res = await person().post('/auth/sign-in/email', { email: 'frank@example.com', password: PASSWORD, callbackURL: 'https://evil.example/phish' });
      expect(res.status).toBe(403);
      expect(await json(res)).toMatchObject({ code: 'INVALID_CALLBACK_URL' });
    });

    it('issues a new session id at sign-in, whatever session cookie the browser had', async () => {
      await verifiedUser('grace@example.com');
      const b = person();
      b.jar.cookies.set(SESSION, 'attacker-chosen-value.signature');
      expect((await signIn(b, 'grace@example.com')).status).toBe(200);
      const first = b.jar.get(SESSION)!;
      expect(first).not.toBe('attacker-chosen-value.signature');
      expect((await signIn(b, 'grace@example.com')).status).toBe(200);
      expect(b.jar.get(SESSION)).not.toBe(first);
    });
  });

  describe('self-service keys', () => {
    const ask = (key: string, headers: Record<string, string> = {}) =>
      new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, defaultHeaders: headers }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });

    it('refuses keys below the level that allows them', async () => {
      const b = person();
      await signUp(b, 'henry@example.com');
      await signIn(b, 'henry@example.com');
      const res = await b.post('/auth/keys', { name: 'mine' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'key_limit_reached', level: 'registered', limit: 0 } });
    });

    it('creates keys up to the level limit; a key works on /v1 as its owner only, and is revocable', async () => {
      const user = await verifiedUser('ivy@example.com');
      const owner = await accountOf('ivy@example.com');
      const a = await user.post('/auth/keys', { name: 'laptop' });
      expect(a.status).toBe(201);
      const created = await json<{ id: string; key: string; level: string; status: string; expires_at: string }>(a);
      expect(created).toMatchObject({ level: 'email_verified', status: 'active' });
      expect(Date.parse(created.expires_at)).toBeGreaterThan(Date.now() + 80 * 86_400_000);
      expect((await user.post('/auth/keys', { name: 'phone' })).status).toBe(201);
      const third = await user.post('/auth/keys', { name: 'one too many' });
      expect(third.status).toBe(403);
      expect(await third.json()).toMatchObject({ error: { code: 'key_limit_reached', limit: 2 } });

      const listed = await json<{ data: Array<{ id: string; name: string }>; active: number; limit: number }>(await user.get('/auth/keys'));
      expect(listed).toMatchObject({ active: 2, limit: 2 });
      expect(JSON.stringify(listed)).not.toContain(created.key);
      const record = await gw.gateway.store.keys.get(created.id);
      expect(record).toMatchObject({ owner: owner.id });

      await expect(ask(created.key)).resolves.toMatchObject({ object: 'chat.completion' });
      await ask(created.key, { 'x-safegate-user': 'somebody-else' });
      const seen = upstream.requests.slice(-2).map((r) => r.body.safety_identifier);
      expect(seen[0]).toBe(seen[1]);
      // The same identifier an app gets when it names the account with its own key: the owner's.
      await ask(gw.key, { 'x-safegate-user': owner.id });
      expect(upstream.requests.at(-1)!.body.safety_identifier).toBe(seen[0]);

      const other = await verifiedUser('jack@example.com');
      expect((await other.request('DELETE', `/auth/keys/${created.id}`)).status).toBe(404);
      const revoked = await user.request('DELETE', `/auth/keys/${created.id}`);
      expect(revoked.status).toBe(200);
      const err = await ask(created.key).catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('revoked_api_key');
      expect((await user.post('/auth/keys', { name: 'replacement' })).status).toBe(201);
      expect((await events({ type: 'key.created' })).some((e) => e.actor === `user:${owner.id}`)).toBe(true);
    });

    it('needs a session', async () => {
      const res = await person().get('/auth/keys');
      expect(res.status).toBe(401);
    });
  });

  describe('admin API', () => {
    let admin: Browser;
    let adminId: string;

    beforeAll(async () => {
      const created = await gw.gateway.accounts!.createAccount({ email: 'root@example.com', name: 'Root', password: 'operator chosen passphrase', role: 'admin', emailVerified: true });
      adminId = created.id;
      admin = person();
      expect((await signIn(admin, 'root@example.com', 'operator chosen passphrase')).status).toBe(200);
    });

    it('needs an administrator session', async () => {
      expect((await person().get('/admin/users')).status).toBe(401);
      const user = await verifiedUser('kim@example.com');
      const res = await user.get('/admin/users');
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'admin_required' } });
    });

    it('lists and shows accounts', async () => {
      const list = await json<{ data: Array<{ email: string; level: string }> }>(await admin.get('/admin/users?email=kim@'));
      expect(list.data).toEqual([expect.objectContaining({ email: 'kim@example.com', level: 'email_verified' })]);
      const kim = await accountOf('kim@example.com');
      const shown = await json<{ id: string; events: Array<{ type: string }> }>(await admin.get(`/admin/users/${kim.id}`));
      expect(shown.id).toBe(kim.id);
      expect(shown.events.map((e) => e.type)).toContain('auth.sign_in');
      expect((await admin.get('/admin/users/acct_nope')).status).toBe(404);
    });

    it('grants and removes payment and identity levels, recording each change', async () => {
      const kim = await accountOf('kim@example.com');
      const res = await admin.request('PUT', `/admin/users/${kim.id}/level`, { level: 'payment_verified', reason: 'card checked' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ level: 'payment_verified', previous_level: 'email_verified', changed: true });
      expect(await gw.gateway.accounts!.levels.levelOf(kim.id)).toBe('payment_verified');
      expect(await gw.gateway.accounts!.levels.levelOf('KIM@example.com')).toBe('payment_verified');
      const [event] = await events({ type: 'user.level_changed', subject: kim.id });
      expect(event).toMatchObject({ actor: `admin:${adminId}`, details: { from: 'email_verified', to: 'payment_verified', cause: 'admin: card checked' } });
      await admin.request('PUT', `/admin/users/${kim.id}/level`, { level: null });
      expect(await gw.gateway.accounts!.levels.levelOf(kim.id)).toBe('email_verified');
      expect((await admin.request('PUT', `/admin/users/${kim.id}/level`, { level: 'god_mode' })).status).toBe(400);
      expect((await admin.request('PUT', `/admin/users/${kim.id}/level`, { level: 'id_verified' }, { origin: 'https://evil.example' })).status).toBe(403);
    });

    it('keeps at least one administrator', async () => {
      const res = await admin.request('PUT', `/admin/users/${adminId}/role`, { role: 'user' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'last_admin' } });
    });

    it('reads the security log', async () => {
      await signIn(person(), 'kim@example.com', 'not the right password at all');
      await gw.gateway.accounts!.log.flush();
      const res = await json<{ data: Array<{ type: string; subject: string | null; details: Record<string, unknown> }> }>(await admin.get('/admin/security-events?type=auth.sign_in_failed'));
      const kim = await accountOf('kim@example.com');
      const failure = res.data.find((e) => e.subject === kim.id)!;
      expect(failure.details).toMatchObject({ reason: 'invalid_credentials', email: expect.stringMatching(/^em_[0-9a-f]{20}$/) });
      expect(JSON.stringify(res.data)).not.toContain('kim@example.com');
      expect(JSON.stringify(res.data)).not.toContain('not the right password');
    });
  });

  describe('security events', () => {
    it('records sign-ins with the address, and failures for unknown addresses without a subject', async () => {
      await verifiedUser('lee@example.com');
      const lee = await accountOf('lee@example.com');
      const signIns = await events({ type: 'auth.sign_in', subject: lee.id });
      expect(signIns[0]).toMatchObject({ actor: `user:${lee.id}`, details: { method: 'password' } });
      expect(signIns[0]!.addr).toMatch(/^10\.1\.0\.\d+$/);
      // The address comes from the server's view (here X-Forwarded-For behind trustProxy), never from the internal header a client sends.
      const spoofing = new Browser(base, { headers: { 'x-forwarded-for': '10.1.7.7', 'x-safegate-internal-client-addr': '6.6.6.6' } });
      expect((await signIn(spoofing, 'lee@example.com')).status).toBe(200);
      expect((await events({ type: 'auth.sign_in', subject: lee.id }))[0]!.addr).toBe('10.1.7.7');
      await signIn(person(), 'ghost@example.com', 'whatever long password');
      const failures = await events({ type: 'auth.sign_in_failed' });
      const ghost = failures.find((e) => e.details.email === gw.gateway.accounts!.log.emailRef('ghost@example.com'));
      expect(ghost).toMatchObject({ subject: null, actor: null, details: { reason: 'invalid_credentials' } });
    });
  });
});
