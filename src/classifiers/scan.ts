import { CodeUnits } from './code-units.js';
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
/** One word adds at most this much evidence, so one odd token (a link, a name, a code) cannot make a passage look encoded. */
const WORD_CAP = 5;

function rot13Symbol(x: number): number {
  return x === 0 ? 0 : ((x - 1 + 13) % 26) + 1;
}

/**
 * Per bigram (a, b) at 2·(a·27 + b): log P(read as rot13'd English) − log P(English),
 * then the same for reversed English, in nats.
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

/**
 * Evidence that words are rot13'd or reversed English, kept per encoding as
 * the best run of consecutive words (a maximum-sum segment, Kadane), so an
 * encoded passage inside plain text is found as surely as a wholly encoded
 * text. Letters add `LLR` entries to a word's score as they come (symbol 0
 * before the first letter); at a word's end, `wordEvidence` closes it with
 * its last letter's bigram to the boundary and caps it, and `extendRun`
 * adds it to the run. The scanners keep this state in locals: an object
 * holding it made the per-letter step about half again as slow.
 */
function wordEvidence(score: number, last: number, encoding: 0 | 1): number {
  return Math.min(WORD_CAP, score + LLR[2 * last * SYMBOLS + encoding]!);
}

function extendRun(run: number, word: number): number {
  return Math.max(0, run + word);
}

/** The scanned text's code units (see `CodeUnits`); neither scanner calls the other. */
const units = new CodeUnits();

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

/** FNV-1a of a word, odd so that 0 marks an empty slot; the scanners compute it letter by letter. */
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

function hintOf(h: number): number {
  let slot = h & (HINT_SLOTS - 1);
  for (;;) {
    const k = hintKeys[slot]!;
    if (k === h) return hintVals[slot]!;
    if (k === 0) return 0;
    slot = (slot + 1) & (HINT_SLOTS - 1);
  }
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
  const out: Hints = { english: 0, rot13: 0, reversed: 0, nato: 0, rot13Evidence: 0, reversedEvidence: 0 };
  let prev = 0;
  let rot = 0;
  let rev = 0;
  let runRot = 0;
  let runRev = 0;
  let bestRot = 0;
  let bestRev = 0;
  let h = 0x811c9dc5;
  let inWord = false;
  const len = s.length;
  const u = units.load(s, 0);
  for (let i = 0; i <= len; i++) {
    const c = u[i]!;
    if (c >= 97 && c <= 122) {
      h = Math.imul(h ^ c, 0x01000193);
      const k = 2 * (prev * SYMBOLS + c - 96);
      rot += LLR[k]!;
      rev += LLR[k + 1]!;
      prev = c - 96;
      inWord = true;
    } else if (inWord) {
      runRot = extendRun(runRot, wordEvidence(rot, prev, 0));
      runRev = extendRun(runRev, wordEvidence(rev, prev, 1));
      if (runRot > bestRot) bestRot = runRot;
      if (runRev > bestRev) bestRev = runRev;
      prev = 0;
      rot = 0;
      rev = 0;
      const f = hintOf(h | 1);
      if (f !== 0) {
        if (f & HINT_ENGLISH) out.english++;
        if (f & HINT_ROT13) out.rot13++;
        if (f & HINT_REVERSED) out.reversed++;
        if (f & HINT_NATO) out.nato++;
      }
      h = 0x811c9dc5;
      inWord = false;
    }
  }
  out.rot13Evidence = bestRot;
  out.reversedEvidence = bestRev;
  return out;
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

/** Character classes of ASCII, looked up once per character on the hot path. */
const ASCII_CLASS = Uint16Array.from({ length: 128 }, (_, c) => classify(c));

/** Scans a lower-cased text once. See `TextStats`. */
export function scanText(s: string): TextStats {
  const st: TextStats = {
    whitespace: false, leet: false, spaced: false, runs: [], hexRun: 0, binaryRun: false, morseTokens: 0,
    percents: 0, escapes: 0, braille: false, english: 0, rot13: 0, reversed: 0, nato: 0, rot13Evidence: 0,
    reversedEvidence: 0, words: 0, markStarts: 0,
  };
  const len = s.length;
  const u = units.load(s, 0);
  let prevSpace = true;
  // encoding evidence (see `wordEvidence`)
  let prev = 0;
  let rot = 0;
  let rev = 0;
  let runRot = 0;
  let runRev = 0;
  // word state (letters/digits/leet symbols)
  let wordLen = 0;
  let letters = 0;
  let leets = 0;
  let singles = 0;
  // ASCII-letter word hash for hints
  let ah = 0x811c9dc5;
  let aLen = 0;
  // base64 run
  let runStart = -1;
  // separator-delimited token (hex pairs, morse)
  let tokLen = 0;
  let tokHex = true;
  let hexRun = 0;
  let tokMorse = true;
  let bits = 0;
  for (let i = 0; i <= len; i++) {
    let c = u[i]!;
    if (c >= 97 && c <= 122) {
      // A run of lower-case ASCII letters, most of ordinary text: each letter has exactly the effect the
      // general path below gives it (hint hash, word and base64 run, hex/morse token); then that path
      // takes the character after the run.
      if (runStart < 0) runStart = i;
      const start = i;
      do {
        ah = Math.imul(ah ^ c, 0x01000193);
        const k = 2 * (prev * SYMBOLS + c - 96);
        rot += LLR[k]!;
        rev += LLR[k + 1]!;
        prev = c - 96;
        if (c > 102 && !(c === 120 && tokLen === 1)) tokHex = false;
        tokLen++;
        c = u[++i]!;
      } while (c >= 97 && c <= 122);
      const run = i - start;
      aLen += run;
      wordLen += run;
      letters += run;
      tokMorse = false;
      bits = 0;
      prevSpace = false;
    }
    const f = c < 128 ? ASCII_CLASS[c]! : classify(c);
    if (f & C_LOWER) {
      ah = Math.imul(ah ^ c, 0x01000193);
      const k = 2 * (prev * SYMBOLS + c - 96);
      rot += LLR[k]!;
      rev += LLR[k + 1]!;
      prev = c - 96;
      aLen++;
    } else if (aLen > 0) {
      runRot = extendRun(runRot, wordEvidence(rot, prev, 0));
      runRev = extendRun(runRev, wordEvidence(rev, prev, 1));
      if (runRot > st.rot13Evidence) st.rot13Evidence = runRot;
      if (runRev > st.reversedEvidence) st.reversedEvidence = runRev;
      prev = 0;
      rot = 0;
      rev = 0;
      const h = hintOf(ah | 1);
      if (h !== 0) {
        if (h & HINT_ENGLISH) st.english++;
        if (h & HINT_ROT13) st.rot13++;
        if (h & HINT_REVERSED) st.reversed++;
        if (h & HINT_NATO) st.nato++;
      }
      ah = 0x811c9dc5;
      aLen = 0;
    }
    if (f & (C_ALNUM | C_LEET_SYMBOL)) {
      if (wordLen === 0 && c >= 0x300 && isMark(c)) st.markStarts++;
      wordLen++;
      if (f & C_DIGIT) {
        if (f & C_LEET_DIGIT) leets++;
      } else if (f & C_ALNUM) letters++;
      // A symbol counts when a word character follows ("h@ck", "@bout", not "hello!"), or as a final "$" after
      // letters ("plant$"), as `deleet` reads it.
      else if ((i + 1 < len && isAlnum(u[i + 1]!)) || (c === 36 && letters >= 2)) leets++;
    } else {
      if (wordLen > 0) {
        st.words++;
        if (leets > 0 && letters >= 1 && (letters >= 2 || leets >= 2)) st.leet = true;
        if (wordLen === 1) {
          if (++singles >= 4) st.spaced = true;
        } else singles = 0;
      }
      wordLen = 0;
      letters = 0;
      leets = 0;
      if (c === 32) {
        if (prevSpace && i > 0 && i < len) st.whitespace = true;
      } else if (c < 32 || c === 0x85 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000) {
        st.whitespace = true;
      }
    }
    prevSpace = c === 32;
    if (f & C_B64) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart >= 16) {
        let end = i;
        while (end < len && end - i < 2 && u[end] === 61) end++;
        st.runs.push(runStart, end);
      }
      runStart = -1;
    }
    if (c === 48 || c === 49) {
      if (++bits >= 8) st.binaryRun = true;
    } else bits = 0;
    if (c === 37) st.percents++;
    else if (c === 92 || (c === 38 && i + 1 < len && u[i + 1] === 35)) st.escapes++;
    else if (c >= 0x2800 && c <= 0x28ff) st.braille = true;
    if (f & C_SEP) {
      if (tokLen > 0) {
        if (tokHex && (tokLen === 2 || tokLen === 4)) {
          if (++hexRun > st.hexRun) st.hexRun = hexRun;
        } else hexRun = 0;
        if (tokMorse && tokLen <= 7) st.morseTokens++;
      }
      tokLen = 0;
      tokHex = true;
      tokMorse = true;
    } else {
      if (!(f & C_HEX) && !(c === 120 && tokLen === 1) && c !== 92) tokHex = false;
      if (!(f & C_MORSE)) tokMorse = false;
      tokLen++;
    }
  }
  return st;
}
