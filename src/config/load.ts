/**
 * Loads `safegate.yaml` (optional) and the environment into one validated
 * `Config`. The only module that reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { applyAccountsEnv } from './accounts-env.js';
import { configSchema, type Config } from './schema.js';

/** A configuration problem that stops the start; `message` lists every issue with its path. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`Invalid configuration in ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface LoadOptions {
  /** path to the YAML file; when absent, `safegate.yaml` in the working directory is used if it exists */
  file?: string;
  /** command-line overrides, applied last */
  overrides?: { port?: number; dataDir?: string; host?: string };
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** the file that was read, if any */
  file: string | null;
  /** secrets that came from the environment, kept apart so nothing logs them */
  env: EnvFacts;
}

export interface EnvFacts {
  /** SAFEGATE_MASTER_KEY: key material for encrypting secrets at rest */
  masterKey?: string;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** zod issues → "path: what was expected (got ...)" lines. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: ReadonlyArray<PropertyKey> = []): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the alternative that got furthest (deepest path), which is the one the user meant.
      const depth = (branch: ReadonlyArray<z.core.$ZodIssue>) => Math.max(...branch.map((i) => i.path.length));
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      if (best.length > 0 && depth(best) > 0) return formatIssues(best, [...prefix, ...issue.path]);
    }
    const path = formatPath([...prefix, ...issue.path]);
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${issue.message}`;
  });
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  return doc.toJS() ?? {};
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError('the environment', [`${name}: expected an integer, got "${raw}"`]);
  return n;
}

/**
 * Applies environment variables on top of the file:
 * SAFEGATE_PORT, SAFEGATE_HOST, SAFEGATE_DATA_DIR, SAFEGATE_UPSTREAM_URL + SAFEGATE_UPSTREAM_API_KEY
 * (falling back to OPENAI_BASE_URL / OPENAI_API_KEY), SAFEGATE_IDENTITY_SECRET, SAFEGATE_LOG_LEVEL,
 * DATABASE_URL, REDIS_URL, SAFEGATE_NOTIFY_WEBHOOK_URL + SAFEGATE_NOTIFY_WEBHOOK_SECRET (security
 * notices), and the accounts variables listed in `accounts-env.ts`.
 */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const port = envInt(env, 'SAFEGATE_PORT');
  if (port !== undefined) setIn(raw, ['server', 'port'], port);
  if (env.SAFEGATE_HOST) setIn(raw, ['server', 'host'], env.SAFEGATE_HOST);
  if (env.SAFEGATE_DATA_DIR) raw.dataDir = env.SAFEGATE_DATA_DIR;
  if (env.SAFEGATE_LOG_LEVEL) setIn(raw, ['logging', 'level'], env.SAFEGATE_LOG_LEVEL);
  if (env.SAFEGATE_IDENTITY_SECRET) setIn(raw, ['identity', 'secret'], env.SAFEGATE_IDENTITY_SECRET);
  if (env.DATABASE_URL) setIn(raw, ['database', 'url'], env.DATABASE_URL);
  if (env.REDIS_URL) setIn(raw, ['redis', 'url'], env.REDIS_URL);
  if (env.SAFEGATE_NOTIFY_WEBHOOK_URL) setIn(raw, ['access', 'notify', 'webhook', 'url'], env.SAFEGATE_NOTIFY_WEBHOOK_URL);
  if (env.SAFEGATE_NOTIFY_WEBHOOK_SECRET) setIn(raw, ['access', 'notify', 'webhook', 'secret'], env.SAFEGATE_NOTIFY_WEBHOOK_SECRET);
  applyAccountsEnv(raw, env);

  const baseUrl = env.SAFEGATE_UPSTREAM_URL || env.OPENAI_BASE_URL;
  const apiKey = env.SAFEGATE_UPSTREAM_API_KEY || env.OPENAI_API_KEY;
  const upstreams = (raw.upstreams ?? {}) as Record<string, Record<string, unknown>>;
  if (baseUrl || apiKey) {
    // The environment describes the `default` upstream; a file-defined one keeps its other settings.
    const current = upstreams.default ?? {};
    upstreams.default = {
      ...current,
      baseUrl: baseUrl ?? current.baseUrl ?? 'https://api.openai.com/v1',
      ...(apiKey ? { apiKey } : {}),
    };
    raw.upstreams = upstreams;
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  let file: string | null = null;
  let raw: Record<string, unknown> = {};
  const explicit = options.file ?? env.SAFEGATE_CONFIG;
  if (explicit) {
    file = resolve(explicit);
    const parsed = readYaml(file);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(file, ['(root): expected a mapping of settings']);
    }
    raw = parsed as Record<string, unknown>;
  } else {
    const fallback = resolve('safegate.yaml');
    try {
      readFileSync(fallback);
      file = fallback;
      raw = (readYaml(fallback) ?? {}) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
    }
  }
  applyEnv(raw, env);
  if (options.overrides?.port !== undefined) setIn(raw, ['server', 'port'], options.overrides.port);
  if (options.overrides?.host !== undefined) setIn(raw, ['server', 'host'], options.overrides.host);
  if (options.overrides?.dataDir !== undefined) raw.dataDir = options.overrides.dataDir;

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file ?? 'the environment', formatIssues(result.error.issues));
  return {
    config: result.data,
    file,
    env: { ...(env.SAFEGATE_MASTER_KEY ? { masterKey: env.SAFEGATE_MASTER_KEY } : {}) },
  };
}

/** JSON Schema of the configuration file, for editor completion (`safegate config schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
