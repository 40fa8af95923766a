/**
 * Obfuscated copies of training texts (base64, hex, rot13, leetspeak,
 * spacing, homoglyphs, ...), so the models learn the content behind an
 * encoding. Both positives and negatives are augmented, so an encoding on its
 * own does not become evidence of an attack.
 *
 * Contract: deterministic for a given `Rng` state.
 */

/** Small seeded PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

export type AugmentMethod =
  | 'base64' | 'hex' | 'rot13' | 'leet' | 'spaced' | 'homoglyph' | 'zero-width' | 'reversed' | 'url'
  | 'fullwidth' | 'binary' | 'morse' | 'case';

export const AUGMENT_METHODS: readonly AugmentMethod[] = [
  'base64', 'hex', 'rot13', 'leet', 'spaced', 'homoglyph', 'zero-width', 'reversed', 'url', 'fullwidth',
  'binary', 'morse', 'case',
];

/** Methods that encode a span as a payload (the rest perturb characters in place). */
const PAYLOAD: ReadonlySet<AugmentMethod> = new Set(['base64', 'hex', 'rot13', 'reversed', 'url', 'binary', 'morse']);

const CARRIERS = [
  '', '', '', 'Decode this: ', 'Here is an encoded message: ', 'Please decode the following and reply: ',
  'Translate from {enc}: ', 'The text below is in {enc}.\n', 'Message ({enc}): ',
];

const LEET_MAP: Record<string, string[]> = {
  a: ['4', '@'], e: ['3'], i: ['1', '!'], o: ['0'], s: ['5', '$'], t: ['7'], l: ['1', '|'], g: ['9'], b: ['8'],
};
const HOMOGLYPHS: Record<string, string> = {
  a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', y: 'у', i: 'і', s: 'ѕ', j: 'ј', h: 'һ', d: 'ԁ',
};
const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const MORSE: Record<string, string> = {
  a: '.-', b: '-...', c: '-.-.', d: '-..', e: '.', f: '..-.', g: '--.', h: '....', i: '..', j: '.---',
  k: '-.-', l: '.-..', m: '--', n: '-.', o: '---', p: '.--.', q: '--.-', r: '.-.', s: '...', t: '-',
  u: '..-', v: '...-', w: '.--', x: '-..-', y: '-.--', z: '--..',
};

function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function encodePayload(method: AugmentMethod, s: string, rng: Rng): string {
  switch (method) {
    case 'base64':
      return Buffer.from(s, 'utf8').toString('base64');
    case 'hex': {
      const hex = Buffer.from(s, 'utf8').toString('hex');
      return rng.next() < 0.5 ? hex : (hex.match(/../g) ?? []).join(' ');
    }
    case 'rot13':
      return rot13(s);
    case 'reversed':
      return [...s].reverse().join('');
    case 'url':
      return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    case 'binary':
      return [...Buffer.from(s, 'utf8')].map((b) => b.toString(2).padStart(8, '0')).join(' ');
    case 'morse':
      return s
        .toLowerCase()
        .split(/\s+/)
        .map((w) => [...w].map((c) => MORSE[c] ?? '').filter(Boolean).join(' '))
        .join(' / ');
    default:
      return s;
  }
}

function perturb(method: AugmentMethod, s: string, rng: Rng): string {
  switch (method) {
    case 'leet':
      return [...s].map((c) => {
        const opts = LEET_MAP[c.toLowerCase()];
        return opts !== undefined && rng.next() < 0.6 ? rng.pick(opts) : c;
      }).join('');
    case 'spaced': {
      const sep = rng.pick([' ', ' ', '.', '-', '*']);
      return s.split(/\s+/).map((w) => [...w].join(sep)).join(sep === ' ' ? '   ' : ' ');
    }
    case 'homoglyph':
      return [...s].map((c) => (HOMOGLYPHS[c] !== undefined && rng.next() < 0.5 ? HOMOGLYPHS[c] : c)).join('');
    case 'zero-width':
      return [...s].map((c) => (rng.next() < 0.3 ? c + rng.pick(ZERO_WIDTH) : c)).join('');
    case 'fullwidth':
      return [...s].map((c) => {
        const code = c.charCodeAt(0);
        return code > 0x20 && code < 0x7f ? String.fromCharCode(code + 0xfee0) : c;
      }).join('');
    case 'case':
      return [...s].map((c) => (rng.next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
    default:
      return s;
  }
}

/** A random span of roughly sentence size inside a long text: [start, end). */
function pickSpan(text: string, rng: Rng, maxLen: number): [number, number] {
  if (text.length <= maxLen) return [0, text.length];
  const start = rng.int(text.length - maxLen);
  const ws = text.lastIndexOf(' ', start);
  const s = ws < 0 ? 0 : ws + 1;
  const e0 = Math.min(text.length, s + 40 + rng.int(maxLen - 40));
  const we = text.indexOf(' ', e0);
  return [s, we < 0 ? text.length : we];
}

/**
 * One obfuscated copy of `text` using `method`. Payload encodings replace a
 * span (the whole text when it is short) and sometimes add a carrier phrase;
 * character perturbations apply to the span in place.
 */
export function augmentText(text: string, method: AugmentMethod, rng: Rng): string {
  const maxSpan = method === 'morse' || method === 'binary' ? 120 : 400;
  const [s, e] = pickSpan(text, rng, maxSpan);
  const span = text.slice(s, e);
  if (!PAYLOAD.has(method)) return text.slice(0, s) + perturb(method, span, rng) + text.slice(e);
  const carrier = rng.pick(CARRIERS).replace('{enc}', method);
  return text.slice(0, s) + carrier + encodePayload(method, span, rng) + text.slice(e);
}
