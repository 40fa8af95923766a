/**
 * Text normalisation that undoes cheap obfuscation before features are hashed.
 *
 * Contract: `normalizeText` is pure and deterministic, and training and
 * inference call it identically, so any folding it does (accents, leetspeak,
 * homoglyphs) only has to be consistent, not linguistically perfect. The
 * output is lower-case, NFKC, without accents or invisible characters, with
 * whitespace runs collapsed to one space. Encoded spans (base64, hex, rot13,
 * ...) stay in the text; their decoded form is returned separately so the
 * model sees both.
 *
 * The common case (plain text) is one scan over the characters plus the
 * engine's `toLowerCase`; every rewrite below is gated by that scan.
 */
import { decodeEmbedded, type DecodedSpan } from './decode.js';
import { deleet } from './leet.js';
import { countHints, isAlnum, scanText, type TextStats } from './scan.js';
import { foldAccents, INVISIBLE, needsNfkc } from './unicode-tables.js';

export type { DecodedSpan, DecodedKind } from './decode.js';

/** Result of normalising one text. */
export interface NormalizedText {
  /** The folded text: lower-case, NFKC, no invisible characters, single spaces. */
  text: string;
  /** Decoded payloads found in the text, each already folded. */
  decoded: DecodedSpan[];
}

/** Unicode tag characters (U+E0000..U+E007F), used to smuggle invisible ASCII. */
const TAG_CHARS = /\udb40[\udc00-\udc7f]/g;
/** Whitespace runs other than one plain space (each becomes one space); single spaces are not matched, so not rewritten. */
const WHITESPACE = /\s{2,}|[^\S ]/g;

/**
 * Letters that look like Latin letters. Applied inside words that also
 * contain Latin letters (mixed script is the obfuscation signal), and to words
 * made only of look-alikes in text that is mostly Latin ("why іѕ" with a
 * Cyrillic "іѕ"), so Russian or Greek text is left alone. Small capitals are
 * folded everywhere.
 */
const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't',
  у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
  օ: 'o', ս: 'u', հ: 'h', ո: 'n', ı: 'i', ɑ: 'a', ǀ: 'l',
};
const CONFUSABLE_ANY = new RegExp(`[${Object.keys(CONFUSABLE).join('')}]`);
const NON_SPACE_RUN = /\S+/g;
const LATIN = /[a-z]/;
const LATIN_ALL = /[a-z]/g;
/** A word of look-alikes only, punctuation around it allowed ("іѕ", "ԁо?"). */
const ONLY_CONFUSABLE = new RegExp(`^[\\p{P}\\p{S}]*[${Object.keys(CONFUSABLE).join('')}]+[\\p{P}\\p{S}]*$`, 'u');
/**
 * A text with at least this many Latin letters per Greek, Cyrillic or
 * Armenian letter that has no Latin look-alike (д, л, и, λ, ...) is Latin text:
 * a word in it made only of look-alikes ("іѕ" spelled in Cyrillic) is an
 * obfuscated Latin word, not a foreign one. Russian or Greek prose has
 * plenty of letters without a look-alike; text obfuscated with look-alikes
 * has none.
 */
const MOSTLY_LATIN = 4;

/** Greek, Cyrillic and Armenian letters of `s` that do not look like Latin ones. */
function foreignLetters(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x370 && c <= 0x58f && CONFUSABLE[s[i]!] === undefined) n++;
  }
  return n;
}

/** Any character above U+007E (DEL included): the engine's compiled regex scans faster than a loop here. */
const NON_ASCII = /[^\x00-\x7e]/;

function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}
function isSpacedSeparator(c: number): boolean {
  return c === 46 || c === 95 || c === 42 || c === 124 || c === 43 || c === 45 || c === 47 || c === 0xb7;
}

/**
 * Joins runs of at least four single characters separated by one separator
 * ("i g n o r e", "i.g.n.o.r.e"). In a space-separated run, two or more spaces
 * mark a word break; in a run separated by punctuation, any space does.
 */
function collapseSpaced(s: string): string {
  let out: string[] | undefined;
  let last = 0;
  const len = s.length;
  let i = 0;
  while (i < len) {
    if (!isAlnum(s.charCodeAt(i)) || (i > 0 && isAlnum(s.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    // i starts a token; follow a chain of one-character tokens.
    const letters: number[] = [];
    // Per gap between two letters: whether a separator character joined them, and how many spaces.
    const punctGaps: boolean[] = [];
    const spaceGaps: number[] = [];
    let j = i;
    for (;;) {
      if (j + 1 < len && isAlnum(s.charCodeAt(j + 1))) break;
      letters.push(j);
      let k = j + 1;
      let spaces = 0;
      while (k < len && s.charCodeAt(k) === 32 && spaces < 4) {
        k++;
        spaces++;
      }
      let punct = false;
      if (spaces === 0 && k < len && isSpacedSeparator(s.charCodeAt(k))) {
        k++;
        punct = true;
      }
      if ((!punct && (spaces === 0 || spaces > 3)) || k >= len || !isAlnum(s.charCodeAt(k))) break;
      punctGaps.push(punct);
      spaceGaps.push(spaces);
      j = k;
    }
    if (letters.length >= 4) {
      // With separator characters anywhere in the chain ("I k-n-o-w h-o-w"), every space is a word break;
      // with spaces only, two or more are.
      const punctRun = punctGaps.includes(true);
      const breaks = punctGaps.map((p, g) => (punctRun ? !p : spaceGaps[g]! >= 2));
      out ??= [];
      out.push(s.slice(last, i));
      let w = '';
      for (let k = 0; k < letters.length; k++) {
        if (k > 0 && breaks[k - 1]) w += ' ';
        w += s[letters[k]!];
      }
      out.push(w);
      const end = letters[letters.length - 1]! + 1;
      last = end;
      i = end;
    } else {
      i = (letters.length > 0 ? letters[letters.length - 1]! : i) + 1;
    }
  }
  if (out === undefined) return s;
  out.push(s.slice(last));
  return out.join('');
}

function foldWord(word: string): string {
  if (!LATIN.test(word) || !CONFUSABLE_ANY.test(word)) return word;
  return foldLookalikes(word);
}

/** Also folds words made only of look-alikes, for text that is mostly Latin. */
function foldWordInLatinText(word: string): string {
  if (!CONFUSABLE_ANY.test(word) || (!LATIN.test(word) && !ONLY_CONFUSABLE.test(word))) return word;
  return foldLookalikes(word);
}

function foldLookalikes(word: string): string {
  let out = '';
  for (const ch of word) out += CONFUSABLE[ch] ?? ch;
  return out;
}

/** Removes invisible characters and applies NFKC (identity on ASCII). */
function visibleForm(raw: string, ascii = isAscii(raw)): string {
  if (ascii || !needsNfkc(raw)) return raw;
  return raw.replace(INVISIBLE, '').replace(TAG_CHARS, '').normalize('NFKC');
}

/** Case, accents, small capitals and mixed-script homoglyphs; keeps offsets for ASCII input. */
function foldCase(visible: string, ascii = isAscii(visible)): string {
  let s = visible.toLowerCase();
  if (!ascii) {
    s = foldAccents(s);
    if (CONFUSABLE_ANY.test(s) && LATIN.test(s)) {
      const latin = s.match(LATIN_ALL)?.length ?? 0;
      s = s.replace(NON_SPACE_RUN, latin >= MOSTLY_LATIN * foreignLetters(s) ? foldWordInLatinText : foldWord);
    }
  }
  return s;
}

/**
 * Spacing, whitespace and leetspeak rewrites, as far as `st` says they are
 * needed. `words` tells whether letters were rejoined or replaced; whitespace
 * rewrites alone keep every word as it was.
 */
function rewrite(s: string, st: TextStats): { text: string; words: boolean } {
  let words = false;
  if (st.spaced) {
    const joined = collapseSpaced(s);
    words = joined !== s;
    s = joined;
  }
  if (st.whitespace || st.spaced) s = s.replace(WHITESPACE, ' ');
  if (st.leet) {
    const read = deleet(s);
    words ||= read !== s;
    s = read;
  }
  return { text: s.trim(), words };
}

/** Decodes Unicode tag characters to the ASCII text they smuggle. */
function decodeTags(s: string): string {
  let out = '';
  for (const m of s.matchAll(TAG_CHARS)) {
    const cp = m[0].codePointAt(0)! - 0xe0000;
    if (cp >= 0x20 && cp < 0x7f) out += String.fromCharCode(cp);
  }
  return out;
}

/** Folds a text without decoding embedded payloads. */
export function foldText(raw: string): string {
  const s = foldCase(visibleForm(raw));
  return rewrite(s, scanText(s)).text;
}

/**
 * Normalises a text and decodes obfuscated payloads inside it.
 * @example
 * normalizeText('ＩＧＮＯＲＥ 4ll prev1ous instructions').text // 'ignore all previous instructions'
 */
export function normalizeText(raw: string): NormalizedText {
  const decoded: DecodedSpan[] = [];
  const ascii = isAscii(raw);
  if (!ascii && raw.includes('\udb40')) {
    const tags = decodeTags(raw);
    if (tags.length > 0) decoded.push({ kind: 'tags', text: foldText(tags) });
  }
  const visible = visibleForm(raw, ascii);
  const lower = foldCase(visible, ascii);
  const st = scanText(lower);
  const { text, words } = rewrite(lower, st);
  // The hint counts change only when letters were rejoined or replaced.
  if (words) Object.assign(st, countHints(text));
  if (lower.length !== visible.length) st.runs = scanText(visible).runs;
  for (const span of decodeEmbedded(visible, text, st)) decoded.push({ kind: span.kind, text: foldText(span.text) });
  return { text, decoded };
}
