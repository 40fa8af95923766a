/**
 * The `accounts` section of the configuration: sign-up and sign-in of end
 * users and administrators (password, OAuth, OpenID Connect), sessions,
 * mail, login throttling and the verification webhook. Part of the one
 * configuration schema (`schema.ts`); documented in docs/accounts.md.
 * Client secrets and the webhook secret normally come from the environment
 * (see `load.ts`), not from the file.
 */
import { z } from 'zod';
import { duration } from './duration.js';

const oauthClient = z
  .object({
    clientId: z.string().min(1),
    /** env SAFEGATE_OAUTH_<PROVIDER>_CLIENT_SECRET */
    clientSecret: z.string().min(1).optional(),
    /** extra scopes beyond the provider's defaults (which already include the email address) */
    scopes: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const OAUTH_PRESETS = ['google', 'github', 'microsoft', 'linkedin'] as const;
export type OAuthPreset = (typeof OAUTH_PRESETS)[number];

export const oidcProviderSchema = z
  .object({
    /** lower-case id used in URLs: /auth/callback/<id> */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a lower-case id of letters, digits and dashes')
      .refine((id) => !(OAUTH_PRESETS as readonly string[]).includes(id) && id !== 'credential', 'this id is reserved'),
    /** shown to people; defaults to the id */
    name: z.string().min(1).max(100).optional(),
    /** issuer URL; discovery is read from <issuer>/.well-known/openid-configuration */
    issuer: z.url({ protocol: /^https?$/ }).optional(),
    /** full discovery URL, when it is not under the issuer */
    discoveryUrl: z.url({ protocol: /^https?$/ }).optional(),
    clientId: z.string().min(1),
    /** env SAFEGATE_OIDC_<ID>_CLIENT_SECRET (id upper-cased, dashes as underscores) */
    clientSecret: z.string().min(1).optional(),
    scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  })
  .strict()
  .refine((p) => Boolean(p.issuer) !== Boolean(p.discoveryUrl), 'set exactly one of issuer or discoveryUrl');

export type OidcProviderConfig = z.output<typeof oidcProviderSchema>;

const throttleRule = (maxFailures: number) =>
  z
    .object({
      /** failed sign-ins allowed within `window`; the next attempt is refused until the oldest failure ages out */
      maxFailures: z.number().int().min(1).max(1000).default(maxFailures),
      window: duration.default(900_000),
    })
    .strict()
    .prefault({});

export const accountsSchema = z
  .object({
    /** serve /auth (sign-up, sign-in, OAuth, self-service keys) and /admin */
    enabled: z.boolean().default(true),
    /**
     * This gateway's public URL as browsers reach it, e.g. https://gateway.example.com. Links in
     * mail and OAuth redirect URIs are built from it, never from a request's Host header.
     * Default: http://<server.host>:<server.port> (env SAFEGATE_PUBLIC_URL)
     */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** other origins (the console, your app) whose pages may call /auth and /admin with the session cookie */
    trustedOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]),
    /** signs session cookies and mailed tokens, encrypts OAuth state; generated into the data directory when absent (env SAFEGATE_AUTH_SECRET; set it when several replicas share a database) */
    secret: z.string().min(32, 'at least 32 characters').optional(),
    /** allow sign-up with email and password (OAuth sign-in still creates accounts) */
    signUp: z.boolean().default(true),
    /** refuse password sign-in until the email address is verified */
    requireEmailVerification: z.boolean().default(false),
    password: z
      .object({
        /** NIST SP 800-63B-4: at least 15 for a password that is the only factor; never below 8 */
        minLength: z.number().int().min(8).max(64).default(15),
        /** longest accepted (NIST: allow at least 64) */
        maxLength: z.number().int().min(64).max(1024).default(128),
      })
      .strict()
      .refine((p) => p.minLength <= p.maxLength, 'minLength must not exceed maxLength')
      .prefault({}),
    session: z
      .object({
        /** a session ends this long after its last refresh */
        expiresIn: duration.default(7 * 86_400_000),
        /** a used session is extended at most this often */
        updateAge: duration.default(86_400_000),
      })
      .strict()
      .prefault({}),
    cookies: z
      .object({
        /** Secure cookies with the __Host- prefix; turn off only for plain-http development on a host other than localhost */
        secure: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    throttle: z
      .object({
        /** failures per account (keyed by the email address, whether or not it exists) */
        account: throttleRule(5),
        /** failures per client address */
        address: throttleRule(20),
      })
      .strict()
      .prefault({}),
    mail: z
      .object({
        /** sender of verification and reset mail (env SAFEGATE_MAIL_FROM) */
        from: z.string().min(3).default('Safegate <no-reply@localhost>'),
        /** smtp://user:pass@host:587 or smtps://...; unset writes mail to <dataDir>/outbox (env SAFEGATE_SMTP_URL) */
        smtpUrl: z.string().regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL').optional(),
      })
      .strict()
      .prefault({}),
    /** OAuth sign-in presets; each is enabled by its clientId (env SAFEGATE_OAUTH_<PROVIDER>_CLIENT_ID / _CLIENT_SECRET) */
    oauth: z
      .object({
        google: oauthClient.optional(),
        github: oauthClient.optional(),
        microsoft: oauthClient.extend({ tenant: z.string().min(1).default('common') }).strict().optional(),
        linkedin: oauthClient.optional(),
      })
      .strict()
      .prefault({}),
    /** any OpenID Connect issuer */
    oidc: z
      .array(oidcProviderSchema)
      .default([])
      .refine((list) => new Set(list.map((p) => p.id)).size === list.length, 'provider ids must be unique'),
    webhooks: z
      .object({
        verification: z
          .object({
            /** HMAC keys for Safegate-Signature; several during a rotation (env SAFEGATE_VERIFICATION_WEBHOOK_SECRET, comma-separated) */
            secrets: z.array(z.string().min(32, 'at least 32 characters')).default([]),
            /** how far a signature's timestamp may be from now */
            tolerance: duration.default(300_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    selfServiceKeys: z
      .object({
        /** lifetime of a key a user creates for itself; 0 for no expiry */
        expiresIn: duration.default(90 * 86_400_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AccountsConfig = z.output<typeof accountsSchema>;
