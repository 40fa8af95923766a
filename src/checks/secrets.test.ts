import { describe, expect, it } from 'vitest';
import { testContext, textInput } from '../../test/helpers/check-fixtures.js';
import type { CheckInput, Redaction, Verdict } from '../pipeline/types.js';
import { generateGatewayKey } from '../shared/key-format.js';
import check from './secrets.js';

// Every credential below is assembled at run time from a prefix and seeded
// random characters, so no file in the repository holds anything key-shaped.

const ctx = testContext();

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64 = ALNUM + '/+';
const URLSAFE = ALNUM + '-_';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

let seed = 0x5eed;
function rand(n: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out += alphabet[seed % alphabet.length];
  }
  return out;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const PEM = 'PRIVATE' + ' KEY-----';
const fake = {
  openaiProject: () => 'sk-' + 'proj-' + rand(74, URLSAFE) + 'T3Blbk' + 'FJ' + rand(74, URLSAFE),
  openaiServiceAccount: () => 'sk-' + 'svcacct-' + rand(64, URLSAFE),
  openaiLegacy: () => 'sk-' + rand(48),
  anthropic: () => 'sk-' + 'ant-api03-' + rand(93, URLSAFE) + 'AA',
  awsKeyId: () => 'AK' + 'IA' + rand(16, UPPER_NUM),
  awsSecret: () => rand(18, B64) + 'aB3/' + rand(18, B64),
  github: () => 'gh' + 'p_' + rand(36),
  githubPat: () => 'github' + '_pat_' + rand(22) + '_' + rand(59),
  slackBot: () => 'xo' + 'xb-' + rand(12, '0123456789') + '-' + rand(13, '0123456789') + '-' + rand(24),
  slackWebhook: () => 'https://hooks.slack.com/services/' + 'T' + rand(10, UPPER_NUM) + '/B' + rand(10, UPPER_NUM) + '/' + rand(24),
  stripeLive: () => 's' + 'k_live_' + rand(99),
  stripeRestricted: () => 'r' + 'k_test_' + rand(40),
  google: () => 'AI' + 'za' + rand(35, URLSAFE),
  npm: () => 'np' + 'm_' + rand(36),
  sendgrid: () => 'S' + 'G.' + rand(22, URLSAFE) + '.' + rand(43, URLSAFE),
  twilio: () => 'S' + 'K' + rand(32, HEX),
  jwt: () => b64url({ alg: 'HS256', typ: 'JWT' }) + '.' + b64url({ sub: '1234567890', name: 'Jane Doe', iat: 1516239022 }) + '.' + rand(43, URLSAFE),
  privateKey: () => `-----BEGIN RSA ${PEM}\nMIIE${rand(60, B64)}\n${rand(64, B64)}\n-----END RSA ${PEM}`,
  opensshKey: () => `-----BEGIN OPENSSH ${PEM}\nb3BlbnNzaC1rZXktdjEAAAA${rand(60, B64)}\n-----END OPENSSH ${PEM}`,
  huggingface: () => 'h' + 'f_' + rand(34, LETTERS),
  gitlab: () => 'gl' + 'pat-' + rand(20, URLSAFE),
};

const input = textInput;

async function run(text: string, config: Record<string, unknown> = {}): Promise<Verdict> {
  return await check.run(ctx, input(text), check.config.parse(config));
}

function apply(text: string, redactions: Redaction[] = []): string {
  let out = text;
  for (const r of [...redactions].sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.replacement + out.slice(r.end);
  return out;
}

describe('secrets', () => {
  it.each([
    ['OpenAI project key', fake.openaiProject(), 'openai_api_key'],
    ['OpenAI service-account key', fake.openaiServiceAccount(), 'openai_api_key'],
    ['OpenAI legacy key', fake.openaiLegacy(), 'openai_api_key'],
    ['Anthropic key', fake.anthropic(), 'anthropic_api_key'],
    ['AWS access key id', fake.awsKeyId(), 'aws_access_key_id'],
    ['GitHub classic token', fake.github(), 'github_token'],
    ['GitHub fine-grained token', fake.githubPat(), 'github_token'],
    ['Slack bot token', fake.slackBot(), 'slack_token'],
    ['Slack webhook', fake.slackWebhook(), 'slack_webhook'],
    ['Stripe live key', fake.stripeLive(), 'stripe_api_key'],
    ['Stripe restricted test key', fake.stripeRestricted(), 'stripe_api_key'],
    ['Google API key', fake.google(), 'google_api_key'],
    ['npm token', fake.npm(), 'npm_token'],
    ['SendGrid key', fake.sendgrid(), 'sendgrid_api_key'],
    ['Twilio API key', fake.twilio(), 'twilio_api_key'],
    ['JWT', fake.jwt(), 'jwt'],
    ['RSA private key', fake.privateKey(), 'private_key'],
    ['OpenSSH private key', fake.opensshKey(), 'private_key'],
    ['Safegate gateway key', generateGatewayKey(), 'safegate_key'],
    ['Hugging Face token (secretlint)', fake.huggingface(), 'huggingface_token'],
    ['GitLab token (secretlint)', fake.gitlab(), 'gitlab_token'],
    ['database URL with a password (secretlint)', 'postgres://app:' + rand(16) + '@db.internal.example.com:5432/prod', 'database_credentials'],
  ])('blocks a %s and redacts it on request', async (_label, secret, kind) => {
    const text = `Here is the config:\n  token = ${secret}\nthanks!`;
    const blocked = await run(text);
    expect(blocked.decision).toBe('block');
    expect(blocked.scores).toEqual({ [kind]: 1 });
    expect(blocked.reasons).toEqual([`secret (${kind})`]);
    expect(blocked.redactions).toBeUndefined();

    const redacted = await run(text, { action: 'redact' });
    expect(redacted.decision).toBe('redact');
    expect(apply(text, redacted.redactions)).toBe(`Here is the config:\n  token = [REDACTED:${kind}]\nthanks!`);
  });

  it.each([
    ['"sk-" in prose', 'Keys start with sk- and you should never share them; ask-me-anything; sk-learn is a library.'],
    ['a hyphenated phrase after sk-', 'use sk-this-is-not-a-real-key-at-all-ok'],
    ['AKIA inside a word', 'AKIAMOUNTAINEERINGCLUBS are fun, and AKIA alone too'],
    ['a random base64 blob', `blob: ${rand(40, B64)} and ${rand(64, B64)}`],
    ['a git commit sha', 'fixed in commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 on main'],
    ['an AWS secret label with a placeholder', 'AWS_SECRET_ACCESS_KEY="changeme"'],
    ['an AWS secret label with a sha', 'aws_secret_access_key=3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39'],
    ['a generic secret label with a 40-character value', `secret_key=${rand(40, B64)}`],
    ['a JWT-shaped string whose header has no alg', `${b64url({ typ: 'JWT' })}.${b64url({ sub: 1 })}.${rand(20, URLSAFE)}`],
    ['eyJ followed by junk', 'eyJhbGciOi is how a JWT begins'],
    ['a short ghp_ string', 'the ghp_ prefix marks GitHub tokens'],
    ['a public key block', '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----'],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQsw\n-----END CERTIFICATE-----'],
    ['xoxb in prose', 'Slack bot tokens start with xoxb- followed by digits'],
    ['a Stripe publishable key', 'pk_live_' + rand(24)],
    ['a gateway key with a bad checksum', 'sg_' + rand(38)],
    ['an npm package name', 'npm_config_cache and npm_lifecycle_event are env vars'],
    ['a URL with a port and no password', 'see https://example.com:8080/path and postgres://db.example.com/prod'],
    ['ordinary prose about secrets', 'The secret to a good sauce is patience. Keep your key safe.'],
  ])('allows %s', async (_label, text) => {
    expect(await run(text)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('finds an unlabelled AWS secret key next to an access key id', async () => {
    const v = await run(`id ${fake.awsKeyId()}\nkey ${fake.awsSecret()}`);
    expect(v.scores).toEqual({ aws_access_key_id: 1, aws_secret_access_key: 1 });
  });

  it.each([
    ['env file', (s: string) => `AWS_SECRET_ACCESS_KEY=${s}`],
    ['JSON', (s: string) => `{"SecretAccessKey": "${s}"}`],
    ['YAML', (s: string) => `aws_secret_access_key: ${s}`],
  ])('finds a labelled AWS secret key in %s', async (_label, format) => {
    const secret = fake.awsSecret();
    const text = format(secret);
    const v = await run(text, { action: 'redact' });
    expect(v.scores).toEqual({ aws_secret_access_key: 1 });
    expect(apply(text, v.redactions)).toBe(format('[REDACTED:aws_secret_access_key]'));
  });

  it('cannot be switched off by a secretlint-disable comment in the text', async () => {
    const v = await run(`// secretlint-disable\n${fake.huggingface()}`);
    expect(v.scores).toEqual({ huggingface_token: 1 });
  });

  it('redacts a private key to the end of a stream window that cut it', async () => {
    const text = `key:\n-----BEGIN EC ${PEM}\nMHcCAQEEI${rand(40, B64)}`;
    const v = (await check.run(ctx, { ...input(text), window: { offset: 0, final: false } }, check.config.parse({ action: 'redact' }))) as Verdict;
    expect(apply(text, v.redactions)).toBe('key:\n[REDACTED:private_key]');
  });

  it('counts several secrets per kind across segments', async () => {
    const v = (await check.run(ctx, input(`${fake.github()} and ${fake.github()}`, fake.npm()), check.config.parse({ action: 'redact' }))) as Verdict;
    expect(v.scores).toEqual({ github_token: 2, npm_token: 1 });
    expect(v.redactions?.map((r) => r.segment)).toEqual([0, 0, 1]);
  });

  it('reports only the configured kinds', async () => {
    const text = `${fake.github()} ${fake.jwt()}`;
    expect((await run(text, { kinds: ['jwt'] })).scores).toEqual({ jwt: 1 });
    expect(await run(fake.github(), { kinds: ['jwt'] })).toEqual({ decision: 'allow', reasons: [] });
  });

  it('flags without redacting when the action is flag', async () => {
    const v = await run(fake.github(), { action: 'flag' });
    expect(v.decision).toBe('flag');
    expect(v.redactions).toBeUndefined();
  });

  it('never puts the secret in reasons', async () => {
    const key = fake.openaiProject();
    const v = await run(key);
    expect(JSON.stringify(v)).not.toContain(key.slice(8, 30));
  });

  it('answers synchronously when secretlint is not needed', () => {
    expect(check.run(ctx, input('plain text', fake.github()), check.config.parse({}))).not.toBeInstanceOf(Promise);
  });

  it('rejects unknown kinds in config', () => {
    expect(check.config.safeParse({ kinds: ['not_a_kind'] }).success).toBe(false);
  });
});

describe('secrets on stream windows', () => {
  const cfg = check.config.parse({ action: 'redact' });
  const key = 'sk-proj-' + rand(74) + 'T3BlbkFJ' + rand(74);
  const windowed = (text: string, final: boolean): CheckInput => ({ ...input(text), window: { offset: 0, final } });

  it.each([
    ['a key that touches the end of a partial window', `prefix text ${key.slice(0, 60)}`, false, 12],
    ['an unclosed private-key block', `here:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow${'A'.repeat(40)}`, false, 6],
  ])('asks the stream guard to hold %s', async (_name, text, final, index) => {
    const v = await check.run(ctx, windowed(text, final), cfg);
    expect(v.holdFrom).toEqual([{ segment: 0, index }]);
  });

  it.each([
    ['the final window', `prefix text ${key}`, true],
    ['a key followed by more text', `prefix ${key} and more`, false],
    ['a closed private-key block', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nok', false],
    ['plain text', 'nothing secret here', false],
  ])('does not hold on %s', async (_name, text, final) => {
    const v = await check.run(ctx, windowed(text, final), cfg);
    expect(v.holdFrom).toBeUndefined();
  });
});
