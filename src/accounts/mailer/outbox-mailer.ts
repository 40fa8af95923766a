/**
 * Writes each message as an RFC 5322 `.eml` file into `<dataDir>/outbox/`
 * (directory 0700, files 0600: they hold sign-in links) and logs one line
 * naming the file, never the link or token. Operators without SMTP read or
 * forward the files; tests read them to follow the links.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { MailMessage, Mailer } from './types.js';

export const OUTBOX_DIR = 'outbox';

export class OutboxMailer implements Mailer {
  readonly dir: string;
  readonly #from: string;
  readonly #logger: Logger;
  readonly #composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(options: { dataDir: string; from: string; logger: Logger }) {
    this.dir = join(options.dataDir, OUTBOX_DIR);
    this.#from = options.from;
    this.#logger = options.logger;
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.#composer.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const kind = message.kind.replace(/[^a-z0-9-]/gi, '') || 'mail';
    const file = join(this.dir, `${stamp}-${kind}-${randomBytes(4).toString('hex')}.eml`);
    await writeFile(file, info.message as Buffer, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    this.#logger.info({ kind: message.kind, file }, 'mail written to the outbox');
  }

  async close(): Promise<void> {
    this.#composer.close();
  }
}
