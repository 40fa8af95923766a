/**
 * Sign-in with OpenID Connect, end to end against a real provider
 * (`oidc-provider`) running on 127.0.0.1: discovery, authorization code with
 * PKCE, the provider's own login and consent forms posted like a browser
 * would, the callback to Safegate, and a Safegate session whose account has
 * the `account_linked` level.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, freePort, linkIn, waitForMail } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';

let gw: TestGateway;
let idp: TestIdp;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startTestIdp({
    redirectUris: [`${base}/auth/callback/test-idp`],
    users: {
      jdoe: { password: 'idp-password-1', email: 'jdoe@idp.test', emailVerified: true, name: 'J. Doe' },
      unverified: { password: 'idp-password-2', email: 'unverified@idp.test', emailVerified: false, name: 'U' },
      linker: { password: 'idp-password-3', email: 'linker@example.com', emailVerified: true, name: 'L' },
    },
  });
  gw = await startGateway({
    server: { port },
    accounts: {
      oidc: [{ id: 'test-idp', name: 'Test IdP', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }],
      oauth: {
        google: { clientId: 'google-client', clientSecret: 'google-secret' },
        github: { clientId: 'github-client', clientSecret: 'github-secret' },
        microsoft: { clientId: 'microsoft-client', clientSecret: 'microsoft-secret', tenant: 'contoso.onmicrosoft.com' },
        linkedin: { clientId: 'linkedin-client', clientSecret: 'linkedin-secret' },
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await idp?.close();
});

/** Starts sign-in at Safegate and returns the provider's authorization URL. */
async function startSignIn(browser: Browser): Promise<URL> {
  const res = await browser.post('/auth/sign-in/social', { provider: 'test-idp', callbackURL: `${base}/auth/me` });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { url: string; redirect: boolean };
  expect(body.redirect).toBe(true);
  return new URL(body.url);
}

/** Plays the person at the provider: open the authorization URL, sign in, consent; returns Safegate's callback URL. */
async function authorizeAtIdp(authorize: URL, login: string, password: string): Promise<string> {
  const user = new Browser(idp.issuer, { origin: null });
  let res = await user.follow(authorize.toString());
  expect(res.status).toBe(200);
  const loginAction = /action="([^"]+\/login)"/.exec(await res.text())?.[1];
  expect(loginAction).toBeDefined();
  res = await user.request('POST', loginAction!, new URLSearchParams({ login, password }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  if (res.status !== 303) throw new Error(`login refused: ${res.status}`);
  for (let hop = 0; hop < 10; hop += 1) {
    const location = res.headers.get('location');
    if (location && location.startsWith(base)) return location;
    if (location) {
      res = await user.get(new URL(location, idp.issuer).toString());
      continue;
    }
    const confirm = /action="([^"]+\/confirm)"/.exec(await res.text())?.[1];
    if (!confirm) throw new Error(`unexpected page at the provider (${res.status})`);
    res = await user.request('POST', confirm, '', { 'content-type': 'application/x-www-form-urlencoded' });
  }
  throw new Error('the provider never redirected back to Safegate');
}

describe('OpenID Connect sign-in', () => {
  it('lists the providers for the sign-in page', async () => {
    const res = await fetch(`${base}/auth/providers`);
    const { providers } = (await res.json()) as { providers: Array<{ id: string; kind: string }> };
    expect(providers.map((p) => `${p.kind}:${p.id}`)).toEqual(['preset:google', 'preset:github', 'preset:microsoft', 'preset:linkedin', 'oidc:test-idp']);
  });

  it.each([
    ['google', 'https://accounts.google.com/o/oauth2/v2/auth', 'google-client'],
    ['github', 'https://github.com/login/oauth/authorize', 'github-client'],
    ['microsoft', 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize', 'microsoft-client'],
    ['linkedin', 'https://www.linkedin.com/oauth/v2/authorization', 'linkedin-client'],
  ])('starts the %s preset at its authorization endpoint, with state and our callback', async (provider, endpoint, clientId) => {
    const res = await new Browser(base).post('/auth/sign-in/social', { provider, callbackURL: '/auth/me' });
    expect(res.status).toBe(200);
    const url = new URL(((await res.json()) as { url: string }).url);
    expect(url.origin + url.pathname).toBe(endpoint);
    expect(url.searchParams.get('client_id')).toBe(clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback/${provider}`);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('scope') ?? '').toMatch(/email/);
  });

  it('runs the authorization code flow with PKCE and ends in a session at account_linked', async () => {
    const browser = new Browser(base);
    const authorize = await startSignIn(browser);
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback/test-idp`);

    const callback = await authorizeAtIdp(authorize, 'jdoe', 'idp-password-1');
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();
    const res = await browser.get(callback);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${base}/auth/me`);
    const session = browser.lastSetCookies.find((c) => c.name === '__Host-safegate.session_token');
    expect(session?.attributes).toMatchObject({ httponly: '', secure: '', samesite: 'Lax', path: '/' });

    const me = await browser.get('/auth/me');
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: { email: string; email_verified: boolean }; level: string; providers: string[] };
    expect(body.user).toMatchObject({ email: 'jdoe@idp.test', email_verified: true });
    expect(body.providers).toEqual(['test-idp']);
    expect(body.level).toBe('account_linked');

    await gw.gateway.accounts!.log.flush();
    const account = await gw.gateway.store.accounts.findByEmail('jdoe@idp.test');
    const events = await gw.gateway.store.securityEvents.query({ subject: account!.id });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['auth.sign_up', 'auth.account_linked', 'auth.sign_in', 'user.level_changed']));
    expect(events.find((e) => e.type === 'auth.sign_in')!.details).toMatchObject({ method: 'oauth:test-idp' });
    expect(events.find((e) => e.type === 'user.level_changed')!.details).toMatchObject({ to: 'account_linked' });
  });

  it('signs the same person in again to the same account', async () => {
    const browser = new Browser(base);
    const res = await browser.get(await authorizeAtIdp(await startSignIn(browser), 'jdoe', 'idp-password-1'));
    expect(res.status).toBe(302);
    const accounts = await gw.gateway.store.accounts.list({ email: 'jdoe@idp.test' });
    expect(accounts).toHaveLength(1);
  });

  it('keeps an account whose provider does not vouch for the address below account_linked', async () => {
    const browser = new Browser(base);
    const res = await browser.get(await authorizeAtIdp(await startSignIn(browser), 'unverified', 'idp-password-2'));
    expect(res.status).toBe(302);
    const me = (await (await browser.get('/auth/me')).json()) as { level: string; providers: string[] };
    expect(me).toMatchObject({ level: 'registered', providers: ['test-idp'] });
  });

  it('links the provider to a signed-in password account, raising it to account_linked', async () => {
    const browser = new Browser(base);
    expect((await browser.post('/auth/sign-up/email', { email: 'linker@example.com', password: 'violet tractor humming softly', name: 'L' })).status).toBe(200);
    const link = await waitForMail(gw.dataDir, 'linker@example.com', 'verify-email');
    expect((await browser.get(linkIn(link))).status).toBe(200);
    expect((await browser.post('/auth/sign-in/email', { email: 'linker@example.com', password: 'violet tractor humming softly' })).status).toBe(200);
    expect(((await (await browser.get('/auth/me')).json()) as { level: string }).level).toBe('email_verified');

    const started = await browser.post('/auth/link-social', { provider: 'test-idp', callbackURL: `${base}/auth/me` });
    expect(started.status).toBe(200);
    const { url } = (await started.json()) as { url: string };
    expect((await browser.get(await authorizeAtIdp(new URL(url), 'linker', 'idp-password-3'))).status).toBe(302);
    const me = (await (await browser.get('/auth/me')).json()) as { level: string; providers: string[] };
    expect(me.providers.sort()).toEqual(['credential', 'test-idp']);
    expect(me.level).toBe('account_linked');
  });

  it('accepts no ID token presented by the browser: only the code flow signs in', async () => {
    const res = await new Browser(base).post('/auth/sign-in/social', { provider: 'test-idp', idToken: { token: 'eyJhbGciOiJSUzI1NiJ9.e30.x' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'ID_TOKEN_SIGN_IN_DISABLED' });
  });

  it('refuses to send the browser to an untrusted site after sign-in', async () => {
    const res = await new Browser(base).post('/auth/sign-in/social', { provider: 'test-idp', callbackURL: 'https://evil.example/after' });
    expect(res.status).toBe(403);
  });

  it('is a real provider: a wrong password at the provider gets no code', async () => {
    const browser = new Browser(base);
    const before = idp.failedLogins;
    await expect(authorizeAtIdp(await startSignIn(browser), 'jdoe', 'wrong')).rejects.toThrow(/login refused: 401/);
    expect(idp.failedLogins).toBe(before + 1);
  });

  it('refuses a callback whose state was not issued to this browser', async () => {
    const victim = new Browser(base);
    const callback = await authorizeAtIdp(await startSignIn(new Browser(base)), 'jdoe', 'idp-password-1');
    const res = await victim.get(callback);
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.headers.get('location') ?? '').toMatch(/error=/);
    expect(victim.jar.get('__Host-safegate.session_token')).toBeUndefined();
  });

  it('refuses a replayed callback: state and code are single-use', async () => {
    const browser = new Browser(base);
    const callback = await authorizeAtIdp(await startSignIn(browser), 'jdoe', 'idp-password-1');
    expect((await browser.get(callback)).status).toBe(302);
    const again = new Browser(base);
    again.jar.cookies.clear();
    for (const [k, v] of browser.jar.cookies) if (k !== '__Host-safegate.session_token') again.jar.cookies.set(k, v);
    const res = await again.get(callback);
    expect(res.headers.get('location') ?? '').toMatch(/error=/);
    expect(again.jar.get('__Host-safegate.session_token')).toBeUndefined();
  });
});
