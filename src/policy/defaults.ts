/**
 * The built-in policy: what a fresh `safegate serve` enforces with no
 * configuration. A configured policy can start from it with `extends: builtin`;
 * the `default` policy is this one unless the file defines `default`.
 *
 * Choices, and why:
 * - invisible characters are normalised first, so hidden text cannot slip past the other checks;
 * - secrets block on input (a key pasted into a prompt must not reach a provider) and are
 *   redacted on output (an answer is still useful without the key);
 * - PII follows the check's own per-type defaults (card numbers, IBANs and SSNs redacted,
 *   emails and phones flagged), which keeps ordinary support conversations working;
 * - the offline classifiers run on every input (injection, moderation) and output (moderation).
 */
import type { PolicyConfig } from '../config/schema.js';

export const BUILTIN_POLICY_NAME = 'builtin';

const enforce = (config: Record<string, unknown> = {}) => ({ mode: 'enforce' as const, timeoutMs: 2000, onError: 'fail-closed' as const, config });

export const BUILTIN_POLICY: PolicyConfig = {
  description: 'Safegate defaults',
  input: {
    'invisible-chars': enforce(),
    'input-limits': enforce(),
    'output-ceiling': enforce(),
    secrets: enforce({ action: 'block' }),
    pii: enforce(),
    injection: enforce(),
    moderation: enforce(),
  },
  output: {
    'invisible-chars': enforce(),
    secrets: enforce({ action: 'redact' }),
    pii: enforce(),
    moderation: enforce(),
  },
  blocking: { mode: 'error', refusalMessage: "I'm sorry, I can't help with that request." },
  streaming: { holdBackChars: 256, overlapChars: 128 },
  record: { content: false, retention: 30 * 86_400_000 },
};
