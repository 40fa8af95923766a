/**
 * Leetspeak undone word by word ("7h3 b357 w4y 1n70" → "the best way into").
 *
 * Contract: pure and deterministic (training and inference call it the same
 * way). A word is a run of letters, digits and leet symbols; a run of symbols
 * belongs to it when a letter or digit follows (so "hello!" and "$100" stay
 * as they are, and "@" opening a word is a mention), or when it ends in "$"
 * after two letters ("plant$"). A word is rewritten when it has two letters
 * and a leet character, or one letter that is not its last character, two
 * leet characters and a result that reads like an English word ("7h3" →
 * "the", while "80s" and "x10" stay). "1" and "|" stand for "i" or "l": each
 * word takes the reading whose letter bigrams are the more English ("a11" →
 * "all").
 */
import { LETTER_BIGRAMS } from './letter-bigrams.js';
import { isAlnum, isLeetDigit, isLeetSymbol } from './scan.js';

/** Digits and symbols read as letters. */
const LEET: Record<number, number> = {
  48: 111, 49: 105, 51: 101, 52: 97, 53: 115, 55: 116, 56: 98, 57: 103, 64: 97, 36: 115, 124: 108, 33: 105,
};
const DOLLAR = 36;
const AT = 64;
const ONE = 49;
const BAR = 124;
const I = 105;
const L = 108;
/** At most this many "1"/"|" in a word are weighed both ways (2^n readings); more keep their default. */
const MAX_AMBIGUOUS = 4;
/**
 * Mean log-probability per letter bigram (hundredths of a nat, word
 * boundaries included) from which a one-letter token reads as a word: "the"
 * scores -129, "into" -218, "list" -241, while "100m" read as "ioom" scores
 * -267 and "10x" as "iox" -295.
 */
const PLAUSIBLE = -250;

function isLetter(c: number): boolean {
  return isAlnum(c) && !(c >= 48 && c <= 57);
}

/** Sum of letter-bigram log-probabilities of `word` with boundaries, or NaN when it holds anything but a-z. */
function bigramScore(word: readonly number[]): number {
  let prev = 0;
  let sum = 0;
  for (const c of word) {
    if (c < 97 || c > 122) return Number.NaN;
    const x = c - 96;
    sum += LETTER_BIGRAMS[prev * 27 + x]!;
    prev = x;
  }
  return sum + LETTER_BIGRAMS[prev * 27]!;
}

/** The letters of a leet word, each ambiguous "1"/"|" read as "i" or "l", whichever word is the more English. */
function readWord(s: string, start: number, end: number): number[] {
  const out: number[] = [];
  const ambiguous: number[] = [];
  for (let k = start; k < end; k++) {
    const d = s.charCodeAt(k);
    if ((d === ONE || d === BAR) && ambiguous.length < MAX_AMBIGUOUS) ambiguous.push(out.length);
    out.push(LEET[d] ?? d);
  }
  if (ambiguous.length === 0) return out;
  let best = Number.NEGATIVE_INFINITY;
  let bestMask = 0;
  for (let mask = 0; mask < 1 << ambiguous.length; mask++) {
    for (let b = 0; b < ambiguous.length; b++) out[ambiguous[b]!] = mask & (1 << b) ? L : I;
    const score = bigramScore(out);
    if (score > best) {
      best = score;
      bestMask = mask;
    }
  }
  // A word with letters outside a-z has no score: each keeps its usual reading.
  for (let b = 0; b < ambiguous.length; b++) {
    const at = ambiguous[b]!;
    out[at] = best === Number.NEGATIVE_INFINITY ? LEET[s.charCodeAt(start + at)]! : bestMask & (1 << b) ? L : I;
  }
  return out;
}

/** A string of char codes, built in slices: one call with a hostile 100k-character word would overflow the stack. */
function fromCodes(codes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < codes.length; i += 4096) out += String.fromCharCode(...codes.slice(i, i + 4096));
  return out;
}

/**
 * Whether the one letter of the word [start, end) comes before its end: "7h3",
 * "1n70" and "b357" are leet, while "80s" or "500g" are numbers with a
 * unit.
 */
function letterBeforeEnd(s: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (isLetter(s.charCodeAt(k))) return k < end - 1;
  return false;
}

/** Rewrites the leet words of a lower-cased text; returns `s` itself when none. */
export function deleet(s: string): string {
  let out: string[] | undefined;
  let last = 0;
  const len = s.length;
  let i = 0;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && !isLeetSymbol(c)) {
      i++;
      continue;
    }
    let j = i;
    let letters = 0;
    let leet = 0;
    while (j < len) {
      const d = s.charCodeAt(j);
      if (isLetter(d)) letters++;
      else if (isLeetDigit(d)) leet++;
      else if (isLeetSymbol(d)) {
        let r = j + 1;
        while (r < len && isLeetSymbol(s.charCodeAt(r))) r++;
        // A run of symbols that no letter or digit follows ends the word, unless it ends in "$" after letters.
        // "@" opening a word is a mention ("@user"), not an "a".
        const inside = !(j === i && d === AT) && r < len && isAlnum(s.charCodeAt(r));
        if (inside || (s.charCodeAt(r - 1) === DOLLAR && letters >= 2)) {
          leet += r - j;
          j = r;
        }
        if (inside) continue;
        break;
      } else if (!isAlnum(d)) break;
      j++;
    }
    if (j === i) {
      i++;
      continue;
    }
    if (leet > 0 && letters >= 1 && (letters >= 2 || (leet >= 2 && letterBeforeEnd(s, i, j)))) {
      const word = readWord(s, i, j);
      if (letters >= 2 || bigramScore(word) / (word.length + 1) >= PLAUSIBLE) {
        out ??= [];
        out.push(s.slice(last, i), fromCodes(word));
        last = j;
      }
    }
    i = j;
  }
  if (out === undefined) return s;
  out.push(s.slice(last));
  return out.join('');
}
