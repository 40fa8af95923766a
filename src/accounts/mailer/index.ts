/** Picks the mailer from the configuration: SMTP when a URL is set, else the outbox folder. */
import type { Logger } from 'pino';
import { OutboxMailer } from './outbox-mailer.js';
import { SmtpMailer } from './smtp-mailer.js';
import type { Mailer } from './types.js';

export type { MailMessage, Mailer } from './types.js';
export { OutboxMailer } from './outbox-mailer.js';
export { SmtpMailer } from './smtp-mailer.js';

export function createMailer(options: { dataDir: string; from: string; smtpUrl?: string | undefined; logger: Logger }): Mailer {
  if (options.smtpUrl) return new SmtpMailer({ url: options.smtpUrl, from: options.from, logger: options.logger });
  return new OutboxMailer({ dataDir: options.dataDir, from: options.from, logger: options.logger });
}
