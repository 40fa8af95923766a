/** Renders docs/checks.md from the check definitions (`npm run docs:checks`). */
import { z } from 'zod';
import { BUILTIN_POLICY } from '../policy/defaults.js';
import { checks } from './index.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (s.type === 'array' && s.items) return `${typeOf(s.items)}[]`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'object';
}

export function renderChecksDoc(): string {
  const out = [
    '<!-- Generated from the check definitions by `npm run docs:checks`; do not edit. -->',
    '# Checks',
    '',
    'Each check is one file in `src/checks/`. A policy enables a check per stage with run settings',
    '(`mode: enforce | shadow | off`, `timeoutMs`, `onError: fail-closed | fail-open`) and the check\'s own',
    '`config`, validated at start against the schema below.',
    '',
    '| check | stages | in the built-in policy | what it does |',
    '|---|---|---|---|',
  ];
  for (const c of checks) {
    const inBuiltin = [BUILTIN_POLICY.input?.[c.id] ? 'input' : null, BUILTIN_POLICY.output?.[c.id] ? 'output' : null].filter(Boolean).join(', ') || '—';
    out.push(`| [\`${c.id}\`](#${c.id}) | ${c.stage}${c.phase === 'normalize' ? ' (runs first)' : ''} | ${inBuiltin} | ${c.description.replace(/\|/g, '\\|')} |`);
  }
  for (const c of checks) {
    out.push('', `## ${c.id}`, '', c.description, '');
    const schema = z.toJSONSchema(c.config, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) {
      out.push('No settings.');
      continue;
    }
    out.push('| setting | type | default | meaning |', '|---|---|---|---|');
    for (const [name, p] of props) {
      const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
      out.push(`| \`${name}\` | ${typeOf(p)} | ${def.replace(/\|/g, '\\|')} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
  return out.join('\n') + '\n';
}
