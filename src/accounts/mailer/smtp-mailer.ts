/**
 * Sends mail through an SMTP server with nodemailer. The URL carries the
 * credentials (`smtps://user:pass@host:465`, or `smtp://…:587`, upgraded with
 * STARTTLS when the server offers it); certificates are verified.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { MailMessage, Mailer } from './types.js';

export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #logger: Logger;

  constructor(options: { url: string; from: string; logger: Logger }) {
    this.#transport = nodemailer.createTransport(options.url);
    this.#from = options.from;
    this.#logger = options.logger;
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.#transport.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
    this.#logger.info({ kind: message.kind, messageId: info.messageId }, 'mail handed to the SMTP server');
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
