/**
 * Every check Safegate ships, in one list. Adding a check: one file in this
 * folder (default export built with `defineCheck`) and one line here.
 * `index.test.ts` fails when a file is missing from the list, ids clash, or an
 * id is not kebab-case.
 */
import type { CheckDefinition } from '../pipeline/types.js';

export const checks: readonly CheckDefinition[] = [
];

export function checkById(id: string): CheckDefinition | undefined {
  return checks.find((c) => c.id === id);
}
