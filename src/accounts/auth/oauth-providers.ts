/**
 * Sign-in providers from the configuration.
 *
 * Presets (Google, GitHub, Microsoft, LinkedIn) use better-auth's built-in
 * social providers, which carry each provider's endpoints and quirks (GitHub
 * has no OIDC and needs its emails API; Microsoft's issuer depends on the
 * tenant; LinkedIn's OIDC userinfo). Any other OpenID Connect issuer goes
 * through better-auth's generic OAuth plugin with discovery, PKCE (S256) and
 * ID-token verification against the issuer's JWKS required.
 *
 * Both kinds are started with `POST /auth/sign-in/social {provider}` and
 * return to `GET /auth/callback/<id>`; register
 * `<baseUrl>/auth/callback/<id>` as the redirect URI at the provider.
 *
 * Sign-in with an ID token the browser obtained itself (`idToken` in the
 * body) is disabled: the authorization-code flow is the only way in.
 */
import type { GenericOAuthConfig } from 'better-auth/plugins/generic-oauth';
import type { AccountsConfig, OidcProviderConfig } from '../../config/accounts-schema.js';

export interface ProviderInfo {
  id: string;
  name: string;
  kind: 'preset' | 'oidc';
}

const PRESET_NAMES = { google: 'Google', github: 'GitHub', microsoft: 'Microsoft', linkedin: 'LinkedIn' } as const;

/** better-auth `socialProviders` for the configured presets (those with a clientId). */
export function presetProviders(oauth: AccountsConfig['oauth']): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const common = (c: { clientId: string; clientSecret?: string | undefined; scopes: string[] }) => ({
    clientId: c.clientId,
    ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
    ...(c.scopes.length ? { scope: c.scopes } : {}),
    disableIdTokenSignIn: true,
  });
  if (oauth.google) out.google = { ...common(oauth.google), prompt: 'select_account' };
  if (oauth.github) out.github = common(oauth.github);
  if (oauth.microsoft) out.microsoft = { ...common(oauth.microsoft), tenantId: oauth.microsoft.tenant };
  if (oauth.linkedin) out.linkedin = common(oauth.linkedin);
  return out;
}

export function discoveryUrlOf(provider: OidcProviderConfig): string {
  if (provider.discoveryUrl) return provider.discoveryUrl;
  return `${provider.issuer!.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** better-auth generic OAuth entries for the configured OpenID Connect issuers. */
export function oidcProviders(list: readonly OidcProviderConfig[]): GenericOAuthConfig[] {
  return list.map((p) => ({
    providerId: p.id,
    name: p.name ?? p.id,
    discoveryUrl: discoveryUrlOf(p),
    requireIdTokenVerification: true,
    clientId: p.clientId,
    ...(p.clientSecret ? { clientSecret: p.clientSecret } : {}),
    scopes: p.scopes,
    pkce: true,
  }));
}

/** What the sign-in page can offer, in configuration order. */
export function listProviders(config: Pick<AccountsConfig, 'oauth' | 'oidc'>): ProviderInfo[] {
  const presets = (Object.keys(PRESET_NAMES) as Array<keyof typeof PRESET_NAMES>)
    .filter((id) => config.oauth[id])
    .map((id) => ({ id, name: PRESET_NAMES[id], kind: 'preset' as const }));
  return [...presets, ...config.oidc.map((p) => ({ id: p.id, name: p.name ?? p.id, kind: 'oidc' as const }))];
}
