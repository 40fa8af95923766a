/**
 * Security notices to administrators: leaked keys, suspensions, reviews.
 * Delivered through any number of `Notifier`s at once (webhook, email, log);
 * a failing channel never stops the others nor the request that caused it.
 *
 * Notices carry ids (key ids, safety identifiers, hints such as `sk-...wxyz`),
 * never a secret or a raw user id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { request } from 'undici';

export interface SecurityNotice {
  /** the security event type, e.g. `key.leaked`, `upstream_key.leaked`, `user.suspended` */
  type: string;
  severity: 'critical' | 'warning' | 'info';
  /** one line for a subject or chat message */
  title: string;
  /** what happened and what to do, as plain text */
  text: string;
  details: Record<string, unknown>;
  /** epoch ms */
  time: number;
}

/** One delivery channel. Rejects when the notice could not be delivered. */
export interface Notifier {
  notify(notice: SecurityNotice): Promise<void>;
}

/** Sends one email; provided by the mailer of the accounts layer (which writes to an outbox folder when no SMTP is set). */
export type MailFunction = (message: { to: string[]; subject: string; text: string }) => Promise<void>;

/**
 * `x-safegate-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Receivers recompute it over the raw body and refuse old timestamps (replays).
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Verifies a signature header in constant time; `toleranceSeconds` bounds the timestamp's age. */
export function verifyWebhookSignature(secret: string, header: string, body: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

export interface WebhookNotifierOptions {
  url: string;
  /** signs each body; without it the webhook is sent unsigned */
  secret?: string;
  timeoutMs?: number;
  /** extra attempts after a failure; default 2 */
  retries?: number;
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly options: WebhookNotifierOptions) {}

  async notify(notice: SecurityNotice): Promise<void> {
    const body = JSON.stringify({ ...notice, time: new Date(notice.time).toISOString() });
    const retries = this.options.retries ?? 2;
    let lastStatus = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'safegate', 'x-safegate-event': notice.type };
      if (this.options.secret) headers['x-safegate-signature'] = signWebhook(this.options.secret, body, Math.floor(Date.now() / 1000));
      try {
        const res = await request(this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        lastStatus = res.statusCode;
      } catch {
        lastStatus = 0;
      }
      if (attempt < retries) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    // The URL may embed a token: it stays out of the error.
    throw new Error(lastStatus ? `the security webhook answered ${lastStatus}` : 'the security webhook could not be reached');
  }
}

export class MailNotifier implements Notifier {
  constructor(
    private readonly mail: MailFunction,
    private readonly to: string[],
  ) {}

  async notify(notice: SecurityNotice): Promise<void> {
    if (this.to.length === 0) return;
    const lines = [notice.text, '', ...Object.entries(notice.details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`), '', `Time: ${new Date(notice.time).toISOString()}`];
    await this.mail({ to: this.to, subject: `[Safegate ${notice.severity}] ${notice.title}`, text: lines.join('\n') });
  }
}

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Pick<Logger, 'warn' | 'error'>) {}

  async notify(notice: SecurityNotice): Promise<void> {
    const log = notice.severity === 'critical' ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
    log({ securityEvent: notice.type, details: notice.details }, notice.title);
  }
}

/** Delivers to every notifier; failures go to `onError` and never reject. */
export function fanOut(notifiers: readonly Notifier[], onError: (err: unknown) => void): Notifier {
  return {
    async notify(notice) {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(notice)));
      for (const r of results) if (r.status === 'rejected') onError(r.reason);
    },
  };
}
