/**
 * Every check Safegate ships, in one list. Adding a check: one file in this
 * folder (default export built with `defineCheck`) and one line here.
 * `index.test.ts` fails when a file is missing from the list, ids clash, or an
 * id is not kebab-case.
 */
import type { CheckDefinition } from '../pipeline/types.js';
import denyList from './deny-list.js';
import harmfulRequest from './harmful-request.js';
import injection from './injection.js';
import inputLimits from './input-limits.js';
import invisibleChars from './invisible-chars.js';
import moderation from './moderation.js';
import outputCeiling from './output-ceiling.js';
import pii from './pii.js';
import secrets from './secrets.js';

export const checks: readonly CheckDefinition[] = [
  invisibleChars,
  inputLimits,
  outputCeiling,
  denyList,
  secrets,
  pii,
  injection,
  moderation,
  harmfulRequest,
];

export function checkById(id: string): CheckDefinition | undefined {
  return checks.find((c) => c.id === id);
}
