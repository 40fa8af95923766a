/**
 * Environment overrides of the `accounts` section (see `accounts-schema.ts`).
 * Secrets are expected here rather than in the file:
 *
 * | variable | sets |
 * |---|---|
 * | SAFEGATE_PUBLIC_URL | accounts.baseUrl |
 * | SAFEGATE_AUTH_SECRET | accounts.secret |
 * | SAFEGATE_SMTP_URL, SAFEGATE_MAIL_FROM | accounts.mail.smtpUrl, accounts.mail.from |
 * | SAFEGATE_OAUTH_<GOOGLE/GITHUB/MICROSOFT/LINKEDIN>_CLIENT_ID, _CLIENT_SECRET | accounts.oauth.<provider> |
 * | SAFEGATE_OIDC_<ID>_CLIENT_SECRET | clientSecret of the accounts.oidc entry with that id (upper-cased, dashes as underscores) |
 * | SAFEGATE_VERIFICATION_WEBHOOK_SECRET | accounts.webhooks.verification.secrets (comma-separated) |
 */
import { OAUTH_PRESETS } from './accounts-schema.js';

type Raw = Record<string, unknown>;

function section(raw: Raw, ...path: string[]): Raw {
  let node = raw;
  for (const key of path) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Raw;
  }
  return node;
}

export function oidcSecretVariable(id: string): string {
  return `SAFEGATE_OIDC_${id.toUpperCase().replaceAll('-', '_')}_CLIENT_SECRET`;
}

export function applyAccountsEnv(raw: Raw, env: NodeJS.ProcessEnv): void {
  const accounts = () => section(raw, 'accounts');
  if (env.SAFEGATE_PUBLIC_URL) accounts().baseUrl = env.SAFEGATE_PUBLIC_URL;
  if (env.SAFEGATE_AUTH_SECRET) accounts().secret = env.SAFEGATE_AUTH_SECRET;
  if (env.SAFEGATE_SMTP_URL) section(raw, 'accounts', 'mail').smtpUrl = env.SAFEGATE_SMTP_URL;
  if (env.SAFEGATE_MAIL_FROM) section(raw, 'accounts', 'mail').from = env.SAFEGATE_MAIL_FROM;

  for (const provider of OAUTH_PRESETS) {
    const prefix = `SAFEGATE_OAUTH_${provider.toUpperCase()}_`;
    const clientId = env[`${prefix}CLIENT_ID`];
    const clientSecret = env[`${prefix}CLIENT_SECRET`];
    if (!clientId && !clientSecret) continue;
    const entry = section(raw, 'accounts', 'oauth', provider);
    if (clientId) entry.clientId = clientId;
    if (clientSecret) entry.clientSecret = clientSecret;
  }

  const oidc = (raw.accounts as Raw | undefined)?.oidc;
  if (Array.isArray(oidc)) {
    for (const entry of oidc) {
      if (typeof entry !== 'object' || entry === null || typeof (entry as Raw).id !== 'string') continue;
      const secret = env[oidcSecretVariable((entry as Raw).id as string)];
      if (secret) (entry as Raw).clientSecret = secret;
    }
  }

  const webhook = env.SAFEGATE_VERIFICATION_WEBHOOK_SECRET;
  if (webhook) {
    section(raw, 'accounts', 'webhooks', 'verification').secrets = webhook
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
}
