import { describe, expect, it, vi } from 'vitest';
import { fanOut, MailNotifier, signWebhook, verifyWebhookSignature, WebhookNotifier, type SecurityNotice } from './notifier.js';

const notice: SecurityNotice = { type: 'key.leaked', severity: 'critical', title: 'Key leaked', text: 'Do this.', details: { keyId: 'key_1' }, time: 0 };

describe('webhook signatures', () => {
  it('verify with the right secret and body only, within the tolerance', () => {
    const now = 1_700_000_000;
    const header = signWebhook('s3cret-s3cret-s3cret', '{"a":1}', now);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, '{"a":1}', now)).toBe(true);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, '{"a":2}', now)).toBe(false);
    expect(verifyWebhookSignature('other-secret-other', header, '{"a":1}', now)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', header, '{"a":1}', now + 301)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', 'garbage', '{"a":1}', now)).toBe(false);
  });
});

describe('notifiers', () => {
  it('fan out to every channel; a failing one is reported, not thrown', async () => {
    const mail = vi.fn(async () => undefined);
    const errors: unknown[] = [];
    const failing = new WebhookNotifier({ url: 'http://127.0.0.1:1/hook?token=abc', retries: 0, timeoutMs: 500 });
    await fanOut([failing, new MailNotifier(mail, ['a@example.com'])], (e) => errors.push(e)).notify(notice);
    expect(mail).toHaveBeenCalledWith(expect.objectContaining({ to: ['a@example.com'], subject: '[Safegate critical] Key leaked' }));
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).not.toContain('token=abc');
  });
});
