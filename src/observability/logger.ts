/**
 * Structured JSON logs (pino). Authorization headers, keys and raw user ids are
 * redacted by path; callers must still never put request content or secrets in
 * a log line.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'safegate' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'apiKey', 'key', '*.apiKey', '*.key', 'secret', '*.secret', 'rawUserId', '*.rawUserId'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
