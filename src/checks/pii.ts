/**
 * Personal data in text: e-mail addresses, phone numbers, payment card
 * numbers, IBANs, US social security numbers and IP addresses. Each type is
 * redacted, blocked, flagged or ignored per policy.
 *
 * Patterns find candidates; checksums and number plans confirm them, so that
 * order numbers, dates, versions and hashes do not count:
 * - cards: 13–19 digits (spaces or dashes allowed), a known issuer prefix
 *   with a length that issuer uses, and a valid Luhn digit;
 * - IBANs: a known country, that country's length, and mod-97 = 1;
 * - SSNs: `AAA-GG-SSSS` (dashes or spaces), without area 000, 666 or 9xx,
 *   group 00 or serial 0000;
 * - phones: international (`+` or `00`, 8–15 digits), North American with
 *   separators (`(415) 555-0132`), or European national numbers starting
 *   with 0 in groups joined by one consistent separator (9–11 digits; so
 *   "01 02 03 04 05" counts, being a valid French number). Bare digit runs
 *   without `+` or separators are not phones: they are too often ids or
 *   amounts;
 * - IPv4: four dotted octets 0–255 without leading zeros, not part of a
 *   longer dotted run and not preceded by a letter (so `v1.2.3.4` is a
 *   version). A bare `1.2.3.4` is a valid address and counts as one; three
 *   parts (`1.2.3`) never do. IPv6: any form `net.isIPv6` accepts, apart
 *   from `::` alone.
 *
 * When two candidates overlap, the earlier type in `ORDER` wins.
 */
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { ibanLength, ibanRemainder } from '../shared/iban.js';
import { isLuhnValid } from '../shared/luhn.js';
import { SpanSet } from '../shared/span-set.js';
import { defineCheck, strictness, type Decision, type Redaction, type Verdict } from '../pipeline/types.js';

const action = z.enum(['redact', 'block', 'flag', 'off']);

const config = z.object({
  types: z
    .object({
      email: action.default('flag'),
      phone: action.default('flag'),
      credit_card: action.default('redact'),
      iban: action.default('redact'),
      ssn: action.default('redact'),
      ip_address: action.default('off'),
    })
    .prefault({})
    .describe(
      'Action per type (`redact`, `block`, `flag` or `off`). Defaults: credit_card, iban and ssn `redact`; email and phone `flag`; ip_address `off`.',
    ),
});

type PiiType = keyof z.output<typeof config>['types'];

/** Detection order; also the priority when candidates overlap. */
const ORDER: readonly PiiType[] = ['iban', 'credit_card', 'ssn', 'email', 'ip_address', 'phone'];

const LABELS: Record<PiiType, { reason: string; replacement: string }> = {
  email: { reason: 'email address', replacement: '[EMAIL]' },
  phone: { reason: 'phone number', replacement: '[PHONE]' },
  credit_card: { reason: 'credit card number', replacement: '[CREDIT_CARD]' },
  iban: { reason: 'IBAN', replacement: '[IBAN]' },
  ssn: { reason: 'US social security number', replacement: '[SSN]' },
  ip_address: { reason: 'IP address', replacement: '[IP_ADDRESS]' },
};

type Span = [start: number, end: number];

const CARD = /(?<![\w.,+-])\d(?:[ -]?\d){12,18}(?!\d)/g;
const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?= ?[A-Z0-9])/g;
const SSN = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])/g;
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(\p{L}{2,24})(?![\p{L}\p{N}-])/gu;
/** `icon@2x.png` is a file name, not an address. */
const FILE_SUFFIXES = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'avif']);
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\w|\\.\\d)`, 'g');
const IPV6 = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g;
const PHONE_INTL = /(?<![\w+]|\d[ .-])(?:\+|00)[1-9]\d{0,3}(?:[ .-]?\(\d{1,4}\))?[ .-]?\d{1,14}(?:[ .-]\d{1,5}){0,6}(?!\w|[.-]\d)/g;
const PHONE_NANP = /(?<![\w+(-]|\d[ .-])(?:\+?1[ .-]?)?(?:\(\s?[2-9]\d{2}\s?\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?!\w|[.-]\d)/g;
const PHONE_NATIONAL = /(?<![\w+(./-]|\d[ ./-])0[1-9]\d{0,4}([ ./-])\d{2,8}(?:\1\d{2,8}){0,3}(?!\w|[./-]\d)/g;

function digitsOf(s: string): string {
  return s.replace(/\D/g, '');
}

/**
 * The candidate, or its longest prefix that ends at a group boundary, that
 * passes `valid`: "4111 1111 1111 1111 12" yields the card, and
 * "+44 20 7946 0958 2024" the phone number.
 */
function longestValid(text: string, start: number, end: number, valid: (s: string) => boolean): Span | undefined {
  let e = end;
  while (e > start) {
    const s = text.slice(start, e);
    if (valid(s)) return [start, e];
    const cut = Math.max(s.lastIndexOf(' '), s.lastIndexOf('-'), s.lastIndexOf('.'));
    if (cut <= 0) return undefined;
    e = start + cut;
    while (e > start && ' .-('.includes(text[e - 1] as string)) e--;
  }
  return undefined;
}

function inRange(n: number, lo: number, hi: number): boolean {
  return n >= lo && n <= hi;
}

/** Issuer prefix and length plausibility (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir). */
function knownIssuer(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19;
  if (inRange(p2, 51, 55) || inRange(p4, 2221, 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (inRange(p4, 2200, 2204)) return n >= 16;
  if (p4 === 6011 || p2 === 65 || inRange(p3, 644, 649) || p2 === 62) return n >= 16;
  if (inRange(p4, 3528, 3589)) return n >= 16;
  if (inRange(p3, 300, 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14;
  if (p2 === 50 || inRange(p2, 56, 69)) return true;
  return false;
}

function isCard(candidate: string): boolean {
  const d = digitsOf(candidate);
  return d.length >= 13 && d.length <= 19 && knownIssuer(d) && isLuhnValid(d);
}

function isSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function isPhone(candidate: string): boolean {
  const trunkless = candidate.replace('(0)', '');
  let d = digitsOf(trunkless);
  if (trunkless.startsWith('00')) d = d.slice(2);
  return d.length >= 8 && d.length <= 15;
}

function isNationalPhone(candidate: string): boolean {
  const n = digitsOf(candidate).length;
  return n >= 9 && n <= 11;
}

function* exec(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) yield m;
}

/** Walks an IBAN from `start`: the country's length in letters and digits, single spaces allowed between them. */
function ibanAt(text: string, start: number): Span | undefined {
  const length = ibanLength(text.slice(start, start + 2));
  if (length === undefined) return undefined;
  let compact = '';
  let i = start;
  while (compact.length < length && i < text.length) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90)) {
      compact += text[i];
      i++;
    } else if (c === 32 && text.charCodeAt(i - 1) !== 32) {
      i++;
    } else {
      break;
    }
  }
  if (compact.length !== length || /[A-Za-z0-9]/.test(text[i] ?? ' ')) return undefined;
  return ibanRemainder(compact) === 1 ? [start, i] : undefined;
}

const DETECTORS: Record<PiiType, (text: string) => Span[]> = {
  credit_card(text) {
    const out: Span[] = [];
    for (const m of exec(CARD, text)) {
      const span = longestValid(text, m.index, m.index + m[0].length, isCard);
      if (span) out.push(span);
    }
    return out;
  },
  iban(text) {
    const out: Span[] = [];
    for (const m of exec(IBAN_START, text)) {
      const span = ibanAt(text, m.index);
      if (span) {
        out.push(span);
        IBAN_START.lastIndex = span[1];
      }
    }
    return out;
  },
  ssn(text) {
    const out: Span[] = [];
    for (const m of exec(SSN, text)) {
      if (isSsn(m[1] as string, m[3] as string, m[4] as string)) out.push([m.index, m.index + m[0].length]);
    }
    return out;
  },
  email(text) {
    if (!text.includes('@')) return [];
    const out: Span[] = [];
    for (const m of exec(EMAIL, text)) {
      if (!FILE_SUFFIXES.has((m[1] as string).toLowerCase())) out.push([m.index, m.index + m[0].length]);
    }
    return out;
  },
  ip_address(text) {
    const out: Span[] = [];
    // IPv6 first, so that an IPv4-mapped address (::ffff:192.0.2.1) is taken whole.
    if (text.includes(':')) {
      for (const m of exec(IPV6, text)) {
        if (/[0-9A-Fa-f]/.test(m[0]) && isIPv6(m[0])) out.push([m.index, m.index + m[0].length]);
      }
    }
    for (const m of exec(IPV4, text)) out.push([m.index, m.index + m[0].length]);
    return out;
  },
  phone(text) {
    const out: Span[] = [];
    for (const m of exec(PHONE_INTL, text)) {
      const span = longestValid(text, m.index, m.index + m[0].length, isPhone);
      if (span) out.push(span);
    }
    for (const m of exec(PHONE_NANP, text)) out.push([m.index, m.index + m[0].length]);
    for (const m of exec(PHONE_NATIONAL, text)) {
      if (isNationalPhone(m[0])) out.push([m.index, m.index + m[0].length]);
    }
    return out;
  },
};

const HAS_DIGIT = /\d/;

export default defineCheck({
  id: 'pii',
  stage: 'both',
  description: 'Redacts, blocks or flags e-mail addresses, phone numbers, card numbers, IBANs, US SSNs and IP addresses.',
  config,
  run(_ctx, input, cfg): Verdict {
    const counts: Partial<Record<PiiType, number>> = {};
    const redactions: Redaction[] = [];
    let decision: Decision = 'allow';

    input.segments.forEach((seg, segment) => {
      const text = seg.text;
      if (!HAS_DIGIT.test(text) && !text.includes('@') && !text.includes(':')) return;
      const taken = new SpanSet(text.length);
      for (const type of ORDER) {
        const act = cfg.types[type];
        if (act === 'off') continue;
        for (const [start, end] of DETECTORS[type](text)) {
          if (!taken.claim(start, end)) continue;
          counts[type] = (counts[type] ?? 0) + 1;
          if (strictness(act) > strictness(decision)) decision = act;
          if (act === 'redact') redactions.push({ segment, start, end, replacement: LABELS[type].replacement, kind: type });
        }
      }
    });

    const found = ORDER.filter((t) => counts[t] !== undefined);
    if (found.length === 0) return { decision: 'allow', reasons: [] };
    const verdict: Verdict = { decision, reasons: found.map((t) => LABELS[t].reason), scores: counts as Record<string, number> };
    if (redactions.length > 0) verdict.redactions = redactions;
    return verdict;
  },
});
