import { describe, expect, it } from 'vitest';
import { testContext, textInput } from '../../test/helpers/check-fixtures.js';
import type { Redaction, Verdict } from '../pipeline/types.js';
import check from './pii.js';

const ctx = testContext();

const input = textInput;

const everything = { types: { email: 'redact', phone: 'redact', credit_card: 'redact', iban: 'redact', ssn: 'redact', ip_address: 'redact' } };

function run(text: string, config: Record<string, unknown> = everything): Verdict {
  return check.run(ctx, input(text), check.config.parse(config)) as Verdict;
}

function apply(text: string, redactions: Redaction[] = []): string {
  let out = text;
  for (const r of [...redactions].sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.replacement + out.slice(r.end);
  return out;
}

describe('pii', () => {
  it.each([
    ['email', 'Contact jane.doe+billing@example.co.uk today.', 'Contact [EMAIL] today.'],
    ['email with a Unicode domain', 'write to josé@correo.españa.es.', 'write to [EMAIL].'],
    ['Visa test card with spaces', 'card: 4111 1111 1111 1111, exp 12/27', 'card: [CREDIT_CARD], exp 12/27'],
    ['Mastercard test card with dashes', 'pay with 5555-5555-5555-4444 please', 'pay with [CREDIT_CARD] please'],
    ['Amex test card in Amex grouping', 'amex 3782 822463 10005', 'amex [CREDIT_CARD]'],
    ['Discover test card, no separators', 'use 6011111111111117.', 'use [CREDIT_CARD].'],
    ['card followed by more digits', 'card 4111 1111 1111 1111 12 months', 'card [CREDIT_CARD] 12 months'],
    ['UK IBAN', 'IBAN: GB82 WEST 1234 5698 7654 32.', 'IBAN: [IBAN].'],
    ['German IBAN, compact', 'send to DE89370400440532013000 now', 'send to [IBAN] now'],
    ['German IBAN with a word after', 'DE89 3704 0044 0532 0130 00 IS MINE', '[IBAN] IS MINE'],
    ['US SSN', 'SSN 536-22-8145 on file', 'SSN [SSN] on file'],
    ['US SSN with spaces', 'ssn: 536 22 8145', 'ssn: [SSN]'],
    ['international phone', 'call +44 20 7946 0958 after 5', 'call [PHONE] after 5'],
    ['international phone with trunk zero', 'Tel. +49 (0)30 1234 5678', 'Tel. [PHONE]'],
    ['international phone, compact', 'WhatsApp +4915112345678', 'WhatsApp [PHONE]'],
    ['international phone with 00', 'dial 0033 6 12 34 56 78', 'dial [PHONE]'],
    ['international phone followed by a year', 'ring +44 20 7946 0958 2024 edition', 'ring [PHONE] 2024 edition'],
    ['US phone in parentheses', 'Call (415) 555-0132.', 'Call [PHONE].'],
    ['US phone with dots', 'cell 415.555.0132', 'cell [PHONE]'],
    ['US phone with +1', 'on +1 415-555-0132', 'on [PHONE]'],
    ['US toll-free', 'Call 1-800-555-0199 now', 'Call [PHONE] now'],
    ['UK national phone', 'office 020 7946 0958', 'office [PHONE]'],
    ['French national phone', 'mobile 06 12 34 56 78', 'mobile [PHONE]'],
    ['German national phone', 'Festnetz 030 12345678', 'Festnetz [PHONE]'],
    ['IPv4', 'server at 192.168.1.20:8080', 'server at [IP_ADDRESS]:8080'],
    ['IPv6', 'host 2001:db8:85a3::8a2e:370:7334 is up', 'host [IP_ADDRESS] is up'],
    ['IPv6 loopback', 'bind ::1 only', 'bind [IP_ADDRESS] only'],
    ['IPv4-mapped IPv6', 'peer ::ffff:192.0.2.128.', 'peer [IP_ADDRESS].'],
  ])('redacts %s', (_label, text, redacted) => {
    const v = run(text);
    expect(v.decision).toBe('redact');
    expect(apply(text, v.redactions)).toBe(redacted);
    expect(Object.values(v.scores ?? {})).toEqual([1]);
  });

  it.each([
    ['a Luhn-invalid 16-digit number', 'ref 4111 1111 1111 1112'],
    ['a Luhn-valid number with no known issuer', 'id 1234 5678 9012 3452'],
    ['a 13-digit millisecond timestamp', 'at 1700000000000 ms'],
    ['a long digit run', 'hash 41111111111111111111111111'],
    ['a decimal', 'pi is 3.1415926535897932'],
    ['an IBAN with wrong check digits', 'GB83 WEST 1234 5698 7654 32'],
    ['an IBAN one digit short', 'DE89 3704 0044 0532 0130 0'],
    ['an IBAN-like code of an unknown country', 'XX82 WEST 1234 5698 7654 32'],
    ['SSN with area 000', '000-12-3456'],
    ['SSN with area 666', '666-12-3456'],
    ['SSN with area 9xx', '912-34-5678'],
    ['SSN with group 00', '536-00-8145'],
    ['SSN with serial 0000', '536-22-0000'],
    ['SSN with mixed separators', '536-22 8145'],
    ['an ISO date', 'due 2024-01-15'],
    ['a European date', 'am 15.01.2024 um 10'],
    ['a date and time with a leading zero', 'on 05.06.2024 10:30'],
    ['a US date', 'on 01/15/2024'],
    ['an order number', 'order #100234556 shipped'],
    ['an order reference', 'ORD-2024-000123'],
    ['a version string', 'upgrade to 1.2.3 or v10.15.3'],
    ['a v-prefixed four-part version', 'build v1.2.3.4'],
    ['a five-part dotted run', 'oid 1.3.6.1.4.1'],
    ['an IPv4 with an out-of-range octet', '256.1.1.1'],
    ['an IPv4 with leading zeros', '01.02.03.04'],
    ['a time of day', 'meet at 12:30:45'],
    ['a MAC address', 'mac 00:1A:2B:3C:4D:5E'],
    ['C++ scope', 'std::vector<int> and Foo::bar'],
    ['a bare unformatted 10-digit number', 'tracking 4155550132'],
    ['a NANP-shaped number with area code 1xx', '123-456-7890'],
    ['an ISBN', 'ISBN 978-3-16-148410-0'],
    ['the tail of a parcel tracking number', 'UPS 1Z 999 AA1 01 2345 6784'],
    ['a price', 'costs $1,299.99'],
    ['a short international-looking number', '+1 2'],
    ['a file name with @', 'use icon@2x.png here'],
    ['an at-mention and a scoped package', '@alice installed @types/node'],
    ['an address without a TLD', 'root@localhost'],
  ])('ignores %s', (_label, text) => {
    expect(run(text)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('treats a bare four-part dotted quad as an IPv4 address', () => {
    expect(run('version 1.2.3.4').scores).toEqual({ ip_address: 1 });
  });

  it('applies the default policy: redact cards, IBANs, SSNs; flag email and phone; ignore IPs', () => {
    const text = 'jane@example.com, (415) 555-0132, 4111 1111 1111 1111, 10.0.0.1';
    const v = run(text, {});
    expect(v.decision).toBe('redact');
    expect(v.scores).toEqual({ credit_card: 1, email: 1, phone: 1 });
    expect(apply(text, v.redactions)).toBe('jane@example.com, (415) 555-0132, [CREDIT_CARD], 10.0.0.1');
    expect(v.reasons).toEqual(['credit card number', 'email address', 'phone number']);
  });

  it('flags without redactions when only flag types are found', () => {
    const v = run('mail jane@example.com', {});
    expect(v.decision).toBe('flag');
    expect(v.redactions).toBeUndefined();
  });

  it('uses the strictest action among the types found', () => {
    const v = run('jane@example.com 536-22-8145', { types: { email: 'block' } });
    expect(v.decision).toBe('block');
    expect(v.scores).toEqual({ ssn: 1, email: 1 });
  });

  it('skips types that are off', () => {
    expect(run('4111 1111 1111 1111', { types: { credit_card: 'off' } })).toEqual({ decision: 'allow', reasons: [] });
  });

  it('counts each type across segments and keeps redactions on their segment', () => {
    const v = check.run(ctx, input('a@example.com and b@example.org', 'c@example.net'), check.config.parse(everything)) as Verdict;
    expect(v.scores).toEqual({ email: 3 });
    expect(v.redactions?.map((r) => r.segment)).toEqual([0, 0, 1]);
    expect(v.redactions?.every((r) => r.kind === 'email' && r.replacement === '[EMAIL]')).toBe(true);
  });

  it('never echoes the personal data in reasons', () => {
    const v = run('jane@example.com 4111 1111 1111 1111');
    expect(v.reasons.join(' ')).not.toMatch(/jane|4111/);
  });

  it('parses an empty config to the documented defaults', () => {
    expect(check.config.parse({})).toEqual({
      types: { email: 'flag', phone: 'flag', credit_card: 'redact', iban: 'redact', ssn: 'redact', ip_address: 'off' },
    });
  });
});
