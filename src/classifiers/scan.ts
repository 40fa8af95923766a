import * as K from './kernels/scan-kernel.js';
import { LETTER_BIGRAMS } from './letter-bigrams.js';
import { isMark } from './unicode-tables.js';

/**
 * One pass over a lower-cased text that collects every signal the
 * normaliser and the decoders need to decide whether to do more work.
 *
 * Contract: `scanText` never allocates per character; on ordinary prose all
 * flags are false and all counters are small, so the expensive rewrites and
 * decoders are skipped.
 */

export const HINT_ENGLISH = 1;
export const HINT_ROT13 = 2;
export const HINT_REVERSED = 4;
export const HINT_NATO = 8;

/** What `scanText` found. Positions are UTF-16 offsets into the scanned text. */
export interface TextStats {
  /** Whitespace other than single spaces (tabs, newlines, runs). */
  whitespace: boolean;
  /**
   * A word mixing letters with leet digits or symbols as `deleet` reads them
   * (two letters and one leet character, or one letter and two): true
   * whenever the leet rewrite could change the text (it may still find
   * nothing to change).
   */
  leet: boolean;
  /** Four or more one-character tokens in a row ("i g n o r e"). */
  spaced: boolean;
  /** Pairs [start, end) of runs of base64-alphabet characters, 16 or longer. */
  runs: number[];
  /**
   * Longest run of consecutive hex-pair tokens ("4f", "0x4f", "\x4f", or four
   * hex digits) with only separators between them. A hex dump of six pairs
   * or more holds at least four such whole tokens in a row (its first and
   * last pair may share a token with other characters).
   */
  hexRun: number;
  binaryRun: boolean;
  morseTokens: number;
  percents: number;
  escapes: number;
  braille: boolean;
  /** Counts of words that are common English, or common English rot13'd / reversed, or NATO spelling. */
  english: number;
  rot13: number;
  reversed: number;
  nato: number;
  /**
   * How strongly some run of words reads as rot13'd (or reversed) English
   * rather than English: the largest sum, over consecutive words, of each
   * word's letter-bigram log-likelihood ratio in nats (capped per word; see
   * `wordEvidence`). Plain English stays near 0; a sentence of rot13 scores
   * well above 20.
   */
  rot13Evidence: number;
  reversedEvidence: number;
  /** Runs of letters and digits (words; a run of unspaced Thai or CJK counts as one). */
  words: number;
  /**
   * Words that begin with a combining mark: a vowel sign or tone mark before
   * its letter, which ordinary writing never has, is how reversed Indic or
   * Thai text looks.
   */
  markStarts: number;
}

/** Letter symbols: 0 is a word boundary, 1..26 the letters a..z. */
const SYMBOLS = 27;

function rot13Symbol(x: number): number {
  return x === 0 ? 0 : ((x - 1 + 13) % 26) + 1;
}

/**
 * Per bigram (a, b) at 2·(a·27 + b): log P(read as rot13'd English) − log P(English),
 * then the same for reversed English, in nats.
 *
 * The scan keeps, per encoding, the best run of consecutive words (a
 * maximum-sum segment), so an encoded passage inside plain text is found as
 * surely as a wholly encoded text: letters add their bigram's entry to the
 * word's score (symbol 0 before the first letter); at the word's end its
 * last letter's bigram to the boundary is added, the score is capped at 5
 * nats (one odd token such as a link, a name or a code cannot make a passage
 * look encoded), and the run is max(0, run + score).
 */
const LLR = new Float64Array(2 * SYMBOLS * SYMBOLS);
for (let a = 0; a < SYMBOLS; a++) {
  for (let b = 0; b < SYMBOLS; b++) {
    const plain = LETTER_BIGRAMS[a * SYMBOLS + b]!;
    LLR[2 * (a * SYMBOLS + b)] = (LETTER_BIGRAMS[rot13Symbol(a) * SYMBOLS + rot13Symbol(b)]! - plain) / 100;
    // Reversed text shows bigram (a, b) where the English word had (b, a).
    LLR[2 * (a * SYMBOLS + b) + 1] = (LETTER_BIGRAMS[b * SYMBOLS + a]! - plain) / 100;
  }
}

const HINT_SLOTS = 1024;
const hintKeys = new Int32Array(HINT_SLOTS);
const hintVals = new Uint8Array(HINT_SLOTS);

const NATO = (
  'alfa alpha bravo charlie delta echo foxtrot golf hotel india juliett juliet kilo lima mike november ' +
  'oscar papa quebec romeo sierra tango uniform victor whiskey whisky xray yankee zulu'
).split(' ');
const ENGLISH = (
  'the and you your is of to with this that from are was ignore instructions previous system prompt ' +
  'in it for how what me tell all be not can will do have on as at by an or if my'
).split(' ');

function rot13Word(w: string): string {
  return w.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));
}

/** FNV-1a of a word, odd so that 0 marks an empty slot; the scan kernel computes it letter by letter. */
function wordHash(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return h | 1;
}

function addHint(word: string, flag: number): void {
  const h = wordHash(word);
  let slot = h & (HINT_SLOTS - 1);
  while (hintKeys[slot] !== 0 && hintKeys[slot] !== h) slot = (slot + 1) & (HINT_SLOTS - 1);
  hintKeys[slot] = h;
  hintVals[slot] = hintVals[slot]! | flag;
}

/**
 * Encoded forms that are ordinary words or abbreviations themselves ("be" is
 * rot13 "or", "no" is "on" reversed, "dna" is "and" reversed). Counted as
 * hints, they made plain English look encoded, and the decoders then added a
 * gibberish copy of the text, so they are not hints.
 */
const AMBIGUOUS_FORMS = new Set([
  'or', 'be', 'vs', 'gb', 'bs', 'va', 'na',
  'no', 'si', 'ti', 'em', 'ta', 'sa', 'od', 'ni', 'dna', 'era', 'saw', 'ton',
]);

for (const w of ENGLISH) addHint(w, HINT_ENGLISH);
for (const w of ENGLISH) {
  if (w.length < 2) continue;
  const rot = rot13Word(w);
  const rev = [...w].reverse().join('');
  if (!AMBIGUOUS_FORMS.has(rot)) addHint(rot, HINT_ROT13);
  if (!AMBIGUOUS_FORMS.has(rev)) addHint(rev, HINT_REVERSED);
}
for (const w of NATO) addHint(w, HINT_NATO);

/** Letters and digits of any script (emoji, punctuation blocks and CJK punctuation excluded). */
export function isAlnum(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  return c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x2bff) &&
    !(c >= 0x3000 && c <= 0x303f) && !(c >= 0xd800 && c <= 0xdfff) && !(c >= 0xfe30 && c <= 0xfe4f) &&
    !(c >= 0xff00 && c <= 0xff20);
}

export function isLeetDigit(c: number): boolean {
  return c === 48 || c === 49 || c === 51 || c === 52 || c === 53 || c === 55 || c === 56 || c === 57;
}

export function isLeetSymbol(c: number): boolean {
  return c === 64 || c === 36 || c === 124 || c === 33;
}

function isB64(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 47 ||
    c === 95 || c === 45;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

type Hints = Pick<TextStats, 'english' | 'rot13' | 'reversed' | 'nato' | 'rot13Evidence' | 'reversedEvidence'>;

/** Counts hint words and encoding evidence only (used again on rewritten or decoded text). */
export function countHints(s: string): Hints {
  const { english, rot13, reversed, nato, rot13Evidence, reversedEvidence } = scanText(s);
  return { english, rot13, reversed, nato, rot13Evidence, reversedEvidence };
}

const C_LOWER = 1;
const C_ALNUM = 2;
const C_DIGIT = 4;
const C_LEET_DIGIT = 8;
const C_LEET_SYMBOL = 16;
const C_B64 = 32;
const C_HEX = 64;
const C_SEP = 128;
const C_MORSE = 256;
/** A combining mark (U+0300 and up). */
const C_MARK = 512;
/** Whitespace other than the plain space. */
const C_WS = 1024;
const C_BRAILLE = 2048;

function classify(c: number): number {
  let f = 0;
  if (c >= 97 && c <= 122) f |= C_LOWER;
  if (isAlnum(c)) f |= C_ALNUM;
  if (c >= 48 && c <= 57) f |= C_DIGIT;
  if (isLeetDigit(c)) f |= C_LEET_DIGIT;
  if (isLeetSymbol(c)) f |= C_LEET_SYMBOL;
  if (isB64(c)) f |= C_B64;
  if (isHexDigit(c)) f |= C_HEX;
  if (c === 32 || c === 44 || c === 58 || c === 10 || c === 47 || c === 13 || c === 9) f |= C_SEP;
  if (c === 46 || c === 45 || c === 0xb7 || c === 0x2022) f |= C_MORSE;
  return f;
}

/** Class bits of every UTF-16 code unit, as the scan kernel reads them. */
function classTable(): Uint16Array {
  const t = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    let f = classify(c);
    if (c >= 0x300 && isMark(c)) f |= C_MARK;
    if (c < 32 || c === 0x85 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000) f |= C_WS;
    if (c >= 0x2800 && c <= 0x28ff) f |= C_BRAILLE;
    t[c] = f;
  }
  return t;
}

let kernel: K.ScanKernel | undefined;

/**
 * Scans a lower-cased text once (`kernels/scan.wat`). See `TextStats`.
 * The kernel is made at first use: its class table takes a few milliseconds.
 */
export function scanText(s: string): TextStats {
  kernel ??= new K.ScanKernel({ classes: classTable(), llr: LLR, hintKeys, hintVals });
  const r = kernel.scan(s);
  const n = r.counts;
  return {
    whitespace: n[K.WHITESPACE] === 1, leet: n[K.LEET] === 1, spaced: n[K.SPACED] === 1,
    runs: r.runs.length === 0 ? [] : Array.from(r.runs), hexRun: n[K.HEX_RUN]!, binaryRun: n[K.BINARY_RUN] === 1,
    morseTokens: n[K.MORSE_TOKENS]!, percents: n[K.PERCENTS]!, escapes: n[K.ESCAPES]!, braille: n[K.BRAILLE] === 1,
    english: n[K.ENGLISH]!, rot13: n[K.ROT13]!, reversed: n[K.REVERSED]!, nato: n[K.NATO]!,
    rot13Evidence: r.rot13Evidence, reversedEvidence: r.reversedEvidence, words: n[K.WORDS]!, markStarts: n[K.MARK_STARTS]!,
  };
}
