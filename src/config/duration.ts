/** Durations in configuration: milliseconds, or strings such as `500ms`, `30s`, `10m`, `24h`, `7d`. */
import { z } from 'zod';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+)(ms|s|m|h|d)$/;

export function parseDuration(text: string): number {
  const m = PATTERN.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}

/** zod schema: a duration in, milliseconds out. */
export const duration = z
  .union([z.number().int().nonnegative(), z.string().regex(PATTERN, 'a duration such as 500ms, 30s, 10m, 24h or 7d')])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)));
