/**
 * Finds credentials in text: provider API keys, cloud and SaaS tokens,
 * private keys, JWTs and Safegate's own gateway keys. A leaked key in a
 * prompt is a compromise waiting to happen; in an answer it may be another
 * user's, so the default policy blocks in input and redacts in output.
 *
 * Two layers:
 * 1. Hand-written patterns for the common kinds below, behind one cheap
 *    trigger expression, so ordinary text costs a single regex scan.
 * 2. secretlint's recommended rule set (maintained upstream, ~25 services),
 *    called only when a keyword for a kind that layer 1 does not cover
 *    appears outside what layer 1 found. It is asynchronous and takes
 *    0.3–25 ms per call, too slow for every request.
 *
 * secretlint's comment filter is left out on purpose: with it, a prompt that
 * contains "secretlint-disable" would switch detection off.
 */
import { lintSource } from '@secretlint/core';
import { rules as secretlintRules } from '@secretlint/secretlint-rule-preset-recommend';
import { z } from 'zod';
import { findGatewayKeys } from '../shared/key-format.js';
import { SpanSet } from '../shared/span-set.js';
import { defineCheck, type CheckContext, type Redaction, type Verdict } from '../pipeline/types.js';

/** Kinds found by the pattern layer. */
const PATTERN_KINDS = [
  'openai_api_key',
  'anthropic_api_key',
  'aws_access_key_id',
  'aws_secret_access_key',
  'github_token',
  'slack_token',
  'slack_webhook',
  'stripe_api_key',
  'google_api_key',
  'private_key',
  'jwt',
  'npm_token',
  'sendgrid_api_key',
  'twilio_api_key',
  'safegate_key',
] as const;

/** Kinds only secretlint finds; `other_secret` is any rule secretlint adds later. */
const SECRETLINT_KINDS: Record<string, string> = {
  gcp: 'gcp_service_account_key',
  basicauth: 'basic_auth_credentials',
  groq: 'groq_api_key',
  huggingface: 'huggingface_token',
  linear: 'linear_api_key',
  notion: 'notion_token',
  shopify: 'shopify_token',
  gitlab: 'gitlab_token',
  grafana: 'grafana_token',
  '1password': 'onepassword_token',
  'database-connection-string': 'database_credentials',
  'hashicorp-vault': 'vault_token',
  vercel: 'vercel_token',
  databricks: 'databricks_token',
  docker: 'docker_token',
  figma: 'figma_token',
};

/** secretlint rules whose findings map onto pattern-layer kinds. */
const SECRETLINT_SHARED: Record<string, string> = {
  'aws:AWSAccessKeyID': 'aws_access_key_id',
  'aws:AWSSecretAccessKey': 'aws_secret_access_key',
  npm: 'npm_token',
  'slack:SLACK_TOKEN': 'slack_token',
  'slack:IncomingWebhook': 'slack_webhook',
  openai: 'openai_api_key',
  anthropic: 'anthropic_api_key',
  privatekey: 'private_key',
  sendgrid: 'sendgrid_api_key',
  github: 'github_token',
};

export const SECRET_KINDS = [...PATTERN_KINDS, ...Object.values(SECRETLINT_KINDS), 'other_secret'] as [string, ...string[]];

const config = z.object({
  action: z
    .enum(['block', 'redact', 'flag'])
    .default('block')
    .describe('Decision when a secret is found; `redact` replaces it with `[REDACTED:<kind>]`.'),
  kinds: z.array(z.enum(SECRET_KINDS)).optional().describe('Report only these kinds; absent means all.'),
});

interface Rule {
  kind: (typeof PATTERN_KINDS)[number];
  pattern: RegExp;
  /** Capture group holding the secret when the match also spans its label. */
  group?: number;
  validate?: (secret: string) => boolean;
}

function isJwtHeader(token: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** Mixed case plus a digit or symbol: tells a 40-character AWS secret from a git SHA or a word. */
function looksRandom(s: string): boolean {
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9/+]/.test(s);
}

const RULES: readonly Rule[] = [
  {
    kind: 'private_key',
    // Through the END line when it is there; otherwise to the end of the text (a stream window may cut it).
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: 'anthropic_api_key', pattern: /(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{32,}/g },
  {
    kind: 'openai_api_key',
    pattern: /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})(?![A-Za-z0-9_-])/g,
  },
  { kind: 'stripe_api_key', pattern: /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9])/g },
  { kind: 'github_token', pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g },
  { kind: 'slack_token', pattern: /(?<![A-Za-z0-9])(?:xox[abposr]|xapp)-(?:\d+-)+[A-Za-z0-9-]{8,}(?![A-Za-z0-9-])/g },
  { kind: 'slack_webhook', pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/g },
  { kind: 'google_api_key', pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g },
  { kind: 'npm_token', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g },
  { kind: 'sendgrid_api_key', pattern: /(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g },
  { kind: 'twilio_api_key', pattern: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g },
  { kind: 'aws_access_key_id', pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  {
    kind: 'aws_secret_access_key',
    pattern: /(?<![A-Za-z0-9])(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?\s{0,8}[:=]\s{0,8}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    validate: looksRandom,
  },
  {
    kind: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])/g,
    validate: isJwtHeader,
  },
];

/** An unlabelled 40-character AWS secret key, looked for only next to an access key id. */
const AWS_SECRET_NEARBY = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** Keywords of kinds only secretlint knows, including URLs with user:password. */
const SECRETLINT_TRIGGER =
  /(?<![A-Za-z0-9])(?:gsk_|hf_|lin_api_|ntn_|shp(?:pa|ca|at|ss)_|glpat-|glc_|glsa_|ops_ey|hv[sbr]\.|vc[piark]_|dapi[0-9a-f]|dckr_pat_|figd_)|_authToken=|x-oauth-basic|:\/\/[^\s/:@]{1,256}:[^\s/@]{1,256}@/g;

/** True for any text a rule of either layer could match; false for almost all ordinary text. */
const TRIGGER = new RegExp(
  String.raw`sk-|[sr]k_|gh[pousr]_|github_pat_|xox[abposr]-|xapp-|hooks\.slack\.com|AIza|PRIVATE KEY|eyJ|npm_|SG\.|SK[0-9a-f]{32}|sg_|AKIA|ASIA|A3T|[Ss][Ee][Cc][Rr][Ee][Tt]|` +
    SECRETLINT_TRIGGER.source,
);

const SECRETLINT_CONFIG = {
  rules: secretlintRules
    .filter((rule) => rule.meta.id !== '@secretlint/secretlint-rule-filter-comments')
    .map((rule) => ({ id: rule.meta.id, rule })),
};

interface Found {
  kind: string;
  start: number;
  end: number;
}

/** Findings of one segment; the first finding over a character wins. */
class Findings {
  readonly list: Found[] = [];
  readonly taken: SpanSet;

  constructor(length: number) {
    this.taken = new SpanSet(length);
  }

  add(kind: string, start: number, end: number): void {
    if (this.taken.claim(start, end)) this.list.push({ kind, start, end });
  }
}

function scanPatterns(text: string): Findings {
  const found = new Findings(text.length);
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(text); m !== null; m = rule.pattern.exec(text)) {
      const secret = rule.group ? (m[rule.group] as string) : m[0];
      const start = m.index + m[0].length - secret.length;
      if (!rule.validate || rule.validate(secret)) found.add(rule.kind, start, start + secret.length);
    }
  }
  if (found.list.some((f) => f.kind === 'aws_access_key_id')) {
    AWS_SECRET_NEARBY.lastIndex = 0;
    for (let m = AWS_SECRET_NEARBY.exec(text); m !== null; m = AWS_SECRET_NEARBY.exec(text)) {
      if (looksRandom(m[0])) found.add('aws_secret_access_key', m.index, m.index + m[0].length);
    }
  }
  if (text.includes('sg_')) {
    for (const k of findGatewayKeys(text)) found.add('safegate_key', k.index, k.index + k.key.length);
  }
  return found;
}

function needsSecretlint(text: string, found: Findings): boolean {
  SECRETLINT_TRIGGER.lastIndex = 0;
  for (let m = SECRETLINT_TRIGGER.exec(text); m !== null; m = SECRETLINT_TRIGGER.exec(text)) {
    if (!found.taken.overlaps(m.index, m.index + m[0].length)) return true;
  }
  return false;
}

function secretlintKind(ruleId: string, messageId: string): string {
  const rule = ruleId.replace('@secretlint/secretlint-rule-', '');
  return SECRETLINT_SHARED[`${rule}:${messageId}`] ?? SECRETLINT_SHARED[rule] ?? SECRETLINT_KINDS[rule] ?? 'other_secret';
}

async function scanSecretlint(text: string, found: Findings): Promise<void> {
  const result = await lintSource({
    source: { content: text, filePath: 'input.txt', contentType: 'text' },
    options: { config: SECRETLINT_CONFIG, noPhysicFilePath: true },
  });
  for (const msg of result.messages) {
    if (msg.type !== 'message') continue;
    // secretlint reports AWS account ids too; they identify an account but grant nothing.
    if (msg.messageId === 'AWSAccountID') continue;
    found.add(secretlintKind(msg.ruleId, msg.messageId), msg.range[0], msg.range[1]);
  }
}

type Config = z.output<typeof config>;

function verdict(perSegment: ReadonlyArray<Findings | undefined>, cfg: Config): Verdict {
  const allowed = cfg.kinds ? new Set<string>(cfg.kinds) : undefined;
  const counts: Record<string, number> = {};
  const redactions: Redaction[] = [];
  perSegment.forEach((found, segment) => {
    for (const f of found?.list ?? []) {
      if (allowed && !allowed.has(f.kind)) continue;
      counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      if (cfg.action === 'redact') redactions.push({ segment, start: f.start, end: f.end, replacement: `[REDACTED:${f.kind}]`, kind: f.kind });
    }
  });
  const kinds = Object.keys(counts);
  if (kinds.length === 0) return { decision: 'allow', reasons: [] };
  const v: Verdict = { decision: cfg.action, reasons: kinds.map((k) => `secret (${k})`), scores: counts };
  if (redactions.length > 0) v.redactions = redactions;
  return v;
}

export default defineCheck({
  id: 'secrets',
  stage: 'both',
  description: 'Blocks or redacts API keys, tokens, private keys, JWTs and Safegate keys (patterns plus secretlint’s recommended rules).',
  config,
  run(ctx, input, cfg): Verdict | Promise<Verdict> {
    const perSegment: Array<Findings | undefined> = [];
    const slow: Array<Promise<void>> = [];
    input.segments.forEach((seg, i) => {
      if (!TRIGGER.test(seg.text)) return;
      const found = scanPatterns(seg.text);
      perSegment[i] = found;
      if (needsSecretlint(seg.text, found)) slow.push(scanSecretlint(seg.text, found));
    });
    const streaming = input.window !== undefined && !input.window.final;
    const finish = () => {
      reportLeaks(ctx, perSegment, input.segments);
      return streaming ? withHolds(verdict(perSegment, cfg), perSegment, input.segments) : verdict(perSegment, cfg);
    };
    if (slow.length === 0) return finish();
    return Promise.all(slow).then(finish);
  },
});

/**
 * Hands Safegate's own keys, and findings equal to an upstream key Safegate
 * holds, to the leak handler (which revokes or alerts). Only findings are
 * looked up, so ordinary text costs nothing more.
 */
function reportLeaks(ctx: CheckContext, perSegment: ReadonlyArray<Findings | undefined>, segments: ReadonlyArray<{ text: string }>): void {
  const report = ctx.services.reportLeak;
  if (!report) return;
  perSegment.forEach((found, i) => {
    for (const f of found?.list ?? []) {
      const value = segments[i]!.text.slice(f.start, f.end);
      if (f.kind === 'safegate_key') report({ kind: 'safegate_key', value, stage: ctx.stage, requestId: ctx.requestId });
      else if (ctx.services.isUpstreamKey?.(value)) report({ kind: 'upstream_key', value, stage: ctx.stage, requestId: ctx.requestId });
    }
  });
}

const PEM_OPEN = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----/g;

/**
 * On a partial stream window, a secret cut by the window edge may continue in
 * text not received yet: ask the stream guard to keep it back from where it
 * starts — a finding that touches the end, or a private-key block not yet closed.
 */
function withHolds(v: Verdict, perSegment: ReadonlyArray<Findings | undefined>, segments: ReadonlyArray<{ text: string }>): Verdict {
  const holds: Array<{ segment: number; index: number }> = [];
  segments.forEach((seg, i) => {
    let at = Infinity;
    for (const f of perSegment[i]?.list ?? []) if (f.end >= seg.text.length) at = Math.min(at, f.start);
    if (seg.text.includes('PRIVATE KEY-----')) {
      for (const m of seg.text.matchAll(PEM_OPEN)) {
        if (!seg.text.includes('-----END', m.index + m[0].length)) at = Math.min(at, m.index);
      }
    }
    if (at !== Infinity) holds.push({ segment: i, index: at });
  });
  return holds.length ? { ...v, holdFrom: holds } : v;
}
