/** Renders docs/errors.md from the error catalogue (`npm run docs:errors`). */
import { ERROR_CODES, type ErrorSpec } from './codes.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES as Record<string, ErrorSpec>).map(
    ([name, e]) => `| \`${e.code}\` | ${e.status} | \`${e.type}\` | ${e.retry ? 'yes' : 'no'} | ${e.message} | \`${name}\` |`,
  );
  return [
    '<!-- Generated from src/errors/codes.ts by `npm run docs:errors`; do not edit. -->',
    '# Errors',
    '',
    "Every error a client sees has OpenAI's shape, `{\"error\": {\"message\", \"type\", \"param\", \"code\"}}`, and an",
    '`x-request-id` header that finds the request in the audit log. Messages never repeat request content or secrets.',
    'Blocks add `check`, `stage` and `reasons` to the error object. `x-should-retry` tells the openai SDK whether to retry.',
    '',
    'Errors from the upstream provider are passed through with their own status, type and code (a provider 401 or 403',
    'becomes `upstream_error` 502, because it concerns the gateway\'s credentials, not the caller\'s).',
    '',
    '| code | status | type | SDK retries | meaning | catalogue name |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
