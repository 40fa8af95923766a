/**
 * The mailer behind verification, password-reset and notice mail. Two
 * implementations: `OutboxMailer` (default; `.eml` files in the data
 * directory, for deployments without SMTP and for tests) and `SmtpMailer`
 * (nodemailer, from `accounts.mail.smtpUrl` / SAFEGATE_SMTP_URL).
 *
 * Messages carry one-time tokens, so implementations never log bodies or
 * links; a log line names the kind of message and where it went.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** short label for logs and file names, e.g. `verify-email`, `reset-password` */
  kind: string;
}

export interface Mailer {
  /** Hands the message over (written, or accepted by the SMTP server); rejects when that failed. */
  send(message: MailMessage): Promise<void>;
  /** Releases connections; idempotent. */
  close(): Promise<void>;
}
