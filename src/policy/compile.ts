/**
 * Turns the policies of the configuration into ready-to-run check lists,
 * validating every check's settings against its own schema at start so that a
 * typo stops the start with its path instead of failing on live traffic.
 */
import type { CheckEntry, Config, PolicyConfig } from '../config/schema.js';
import { checkEntrySchema } from '../config/schema.js';
import { ConfigError, formatIssues } from '../config/load.js';
import type { ActiveCheck } from '../pipeline/run.js';
import type { CheckDefinition, Stage } from '../pipeline/types.js';
import { BUILTIN_POLICY, BUILTIN_POLICY_NAME } from './defaults.js';

export interface CompiledPolicy {
  name: string;
  input: ActiveCheck[];
  output: ActiveCheck[];
  blocking: { mode: 'error' | 'refusal'; refusalMessage: string };
  streaming: { holdBackChars: number; overlapChars: number };
  record: { content: boolean; retentionMs: number };
}

export interface PolicySet {
  get(name: string | null | undefined): CompiledPolicy;
  names(): string[];
  readonly defaultName: string;
}

type RawList = NonNullable<PolicyConfig['input']>;

const FALLBACKS = {
  blocking: { mode: 'error' as const, refusalMessage: "I'm sorry, I can't help with that request." },
  streaming: { holdBackChars: 256, overlapChars: 128 },
  record: { content: false, retention: 30 * 86_400_000 },
};

function resolveChain(name: string, policies: Record<string, PolicyConfig>, seen: string[] = []): PolicyConfig[] {
  if (seen.includes(name)) throw new ConfigError('policies', [`policies.${seen[0]}.extends: circular chain ${[...seen, name].join(' → ')}`]);
  const policy = name === BUILTIN_POLICY_NAME && !policies[name] ? BUILTIN_POLICY : policies[name];
  if (!policy) throw new ConfigError('policies', [`policies.${seen[seen.length - 1] ?? name}.extends: no policy named "${name}"`]);
  const parent = policy.extends ? resolveChain(policy.extends, policies, [...seen, name]) : [];
  return [...parent, policy];
}

function mergeLists(chain: PolicyConfig[], stage: Stage): Map<string, CheckEntry> {
  const merged = new Map<string, CheckEntry>();
  for (const p of chain) {
    const list: RawList | undefined = p[stage];
    if (!list) continue;
    for (const [id, entry] of Object.entries(list)) {
      if (entry === null || entry === false) merged.delete(id);
      else {
        const prev = merged.get(id);
        // A child entry overrides run settings and merges check settings over the parent's.
        merged.set(id, prev ? { ...prev, ...entry, config: { ...prev.config, ...entry.config } } : entry);
      }
    }
  }
  return merged;
}

function compileOne(name: string, policies: Record<string, PolicyConfig>, registry: readonly CheckDefinition[], builtinIds: Set<string>): CompiledPolicy {
  const chain = resolveChain(name, policies);
  const issues: string[] = [];
  const stageChecks = (stage: Stage): ActiveCheck[] => {
    const out: ActiveCheck[] = [];
    for (const [id, rawEntry] of mergeLists(chain, stage)) {
      const definition = registry.find((c) => c.id === id);
      if (!definition) {
        // The built-in policy names checks of later capabilities; it skips those not installed.
        if (builtinIds.has(id) && !chain.some((p) => p !== BUILTIN_POLICY && p[stage]?.[id])) continue;
        issues.push(`policies.${name}.${stage}.${id}: no check with this id (known: ${registry.map((c) => c.id).join(', ')})`);
        continue;
      }
      if (definition.stage !== 'both' && definition.stage !== stage) {
        issues.push(`policies.${name}.${stage}.${id}: this check runs on ${definition.stage} only`);
        continue;
      }
      const entry = checkEntrySchema.parse(rawEntry);
      if (entry.mode === 'off') continue;
      const parsed = definition.config.safeParse(entry.config);
      if (!parsed.success) {
        issues.push(...formatIssues(parsed.error.issues, ['policies', name, stage, id, 'config']));
        continue;
      }
      out.push({ definition, config: parsed.data, mode: entry.mode, timeoutMs: entry.timeoutMs, onError: entry.onError });
    }
    return out;
  };
  const input = stageChecks('input');
  const output = stageChecks('output');
  if (issues.length) throw new ConfigError('policies', issues);

  const pick = <K extends 'blocking' | 'streaming' | 'record'>(key: K) => Object.assign({}, ...chain.map((p) => p[key] ?? {}));
  const blocking = { ...FALLBACKS.blocking, ...pick('blocking') };
  const streaming = { ...FALLBACKS.streaming, ...pick('streaming') };
  const record = { ...FALLBACKS.record, ...pick('record') };
  if (streaming.overlapChars > streaming.holdBackChars * 4) {
    throw new ConfigError('policies', [`policies.${name}.streaming.overlapChars: must not exceed 4 × holdBackChars`]);
  }
  return { name, input, output, blocking, streaming, record: { content: record.content, retentionMs: record.retention } };
}

/** Compiles every configured policy (and the built-in one) against the check registry. */
export function compilePolicies(config: Config, registry: readonly CheckDefinition[]): PolicySet {
  const policies = { ...config.policies };
  if (!policies.default) policies.default = { extends: BUILTIN_POLICY_NAME };
  const builtinIds = new Set([...Object.keys(BUILTIN_POLICY.input ?? {}), ...Object.keys(BUILTIN_POLICY.output ?? {})]);
  const compiled = new Map<string, CompiledPolicy>();
  const errors: string[] = [];
  for (const name of [BUILTIN_POLICY_NAME, ...Object.keys(policies)]) {
    try {
      compiled.set(name, compileOne(name, policies, registry, builtinIds));
    } catch (err) {
      if (err instanceof ConfigError) errors.push(...err.issues);
      else throw err;
    }
  }
  if (!compiled.has(config.defaultPolicy) && !errors.length) errors.push(`defaultPolicy: no policy named "${config.defaultPolicy}"`);
  if (errors.length) throw new ConfigError('the configuration', errors);
  const defaultName = config.defaultPolicy;
  return {
    defaultName,
    names: () => [...compiled.keys()],
    get(name) {
      return compiled.get(name ?? defaultName) ?? compiled.get(defaultName)!;
    },
  };
}
