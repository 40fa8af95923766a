import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

const load = (env: Record<string, string>, file?: string) => loadConfig({ env, ...(file ? { file } : {}) }).config.accounts;

describe('accounts configuration', () => {
  it('has safe defaults', () => {
    const a = load({});
    expect(a).toMatchObject({
      enabled: true,
      signUp: true,
      requireEmailVerification: false,
      password: { minLength: 15, maxLength: 128 },
      cookies: { secure: true },
      throttle: { account: { maxFailures: 5, window: 900_000 }, address: { maxFailures: 20, window: 900_000 } },
      webhooks: { verification: { secrets: [], tolerance: 300_000 } },
    });
    expect(a.oauth).toEqual({});
    expect(a.oidc).toEqual([]);
  });

  it('reads secrets and URLs from the environment', () => {
    const a = load({
      SAFEGATE_PUBLIC_URL: 'https://gw.example.com',
      SAFEGATE_AUTH_SECRET: 's'.repeat(40),
      SAFEGATE_SMTP_URL: 'smtps://u:p@smtp.example.com:465',
      SAFEGATE_MAIL_FROM: 'Gate <gate@example.com>',
      SAFEGATE_OAUTH_GITHUB_CLIENT_ID: 'Iv1.abc',
      SAFEGATE_OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
      SAFEGATE_VERIFICATION_WEBHOOK_SECRET: `${'a'.repeat(32)}, ${'b'.repeat(32)}`,
    });
    expect(a.baseUrl).toBe('https://gw.example.com');
    expect(a.secret).toBe('s'.repeat(40));
    expect(a.mail).toEqual({ from: 'Gate <gate@example.com>', smtpUrl: 'smtps://u:p@smtp.example.com:465' });
    expect(a.oauth.github).toEqual({ clientId: 'Iv1.abc', clientSecret: 'gh-secret', scopes: [] });
    expect(a.webhooks.verification.secrets).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('refuses a client secret without a client id, and a short webhook secret, naming the setting', () => {
    expect(() => load({ SAFEGATE_OAUTH_GOOGLE_CLIENT_SECRET: 'x' })).toThrow(/accounts\.oauth\.google\.clientId/);
    expect(() => load({ SAFEGATE_VERIFICATION_WEBHOOK_SECRET: 'short' })).toThrow(ConfigError);
  });
});

describe('OIDC providers in the file', () => {
  it('takes each client secret from SAFEGATE_OIDC_<ID>_CLIENT_SECRET', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'accounts:\n  oidc:\n    - id: corp-sso\n      issuer: https://login.corp.example.com\n      clientId: safegate\n');
    const a = load({ SAFEGATE_OIDC_CORP_SSO_CLIENT_SECRET: 'oidc-secret' }, good);
    expect(a.oidc).toEqual([{ id: 'corp-sso', issuer: 'https://login.corp.example.com', clientId: 'safegate', clientSecret: 'oidc-secret', scopes: ['openid', 'email', 'profile'] }]);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'accounts:\n  oidc:\n    - id: google\n      issuer: https://a.example.com\n      discoveryUrl: https://a.example.com/.well-known/openid-configuration\n      clientId: x\n');
    let message = '';
    try {
      load({}, bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('accounts.oidc[0].id: this id is reserved');
    expect(message).toContain('set exactly one of issuer or discoveryUrl');
  });
});
