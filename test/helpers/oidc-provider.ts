/**
 * A real OpenID Connect provider (the certified `oidc-provider` package) on
 * 127.0.0.1 for end-to-end sign-in tests: discovery, authorization code with
 * PKCE required, RS256-signed ID tokens from a key generated per run,
 * userinfo, and its own login and consent pages. The login page checks a
 * password, so a test signs in the way a person would, by posting the form.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';

export interface IdpUser {
  password: string;
  email: string;
  emailVerified: boolean;
  name: string;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** user id → user; tests may add users */
  users: Map<string, IdpUser>;
  /** logins refused because of a wrong password */
  failedLogins: number;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><body>${body}</body></html>`);
}

export async function startTestIdp(options: { redirectUris: string[]; users?: Record<string, IdpUser> }): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  const issuer = `http://127.0.0.1:${address.port}`;

  const users = new Map(Object.entries(options.users ?? {}));
  const clientId = 'safegate-test';
  const clientSecret = randomBytes(24).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx: unknown, id: string) {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: user.email, email_verified: user.emailVerified, name: user.name }),
      };
    },
  });
  const handle = provider.callback();
  const idp: TestIdp = {
    issuer,
    clientId,
    clientSecret,
    users,
    failedLogins: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec(url.pathname);
    if (!match) {
      handle(req, res);
      return;
    }
    const action = match[2];
    (async () => {
      const details = await provider.interactionDetails(req, res);
      if (!action && req.method === 'GET') {
        if (details.prompt.name === 'login') {
          html(res, 200, `<form method="post" action="/interaction/${details.uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`);
        } else {
          html(res, 200, `<form method="post" action="/interaction/${details.uid}/confirm"><p>Allow ${escape(details.params.client_id)}?</p><button>Allow</button></form>`);
        }
        return;
      }
      if (action === 'login' && req.method === 'POST') {
        const form = await formBody(req);
        const id = form.get('login') ?? '';
        const user = users.get(id);
        if (!user || user.password !== form.get('password')) {
          idp.failedLogins += 1;
          html(res, 401, `<p>Wrong user name or password.</p><form method="post" action="/interaction/${details.uid}/login"><input name="login"><input name="password" type="password"></form>`);
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: id } }, { mergeWithLastSubmission: false });
        return;
      }
      if (action === 'confirm' && req.method === 'POST') {
        await formBody(req);
        const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session!.accountId!, clientId: details.params.client_id });
        if (!grant) throw new Error('grant not found');
        if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
        if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
        await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
        return;
      }
      html(res, 405, 'method not allowed');
    })().catch((err: Error) => {
      if (!res.headersSent) html(res, 500, escape(err.message));
    });
  });
  return idp;
}
