/**
 * Finds characters that hide or disguise text: zero-width characters, bidi
 * controls, Unicode tag characters ("ASCII smuggling"), runs of variation
 * selectors, and words that mix Latin letters with Cyrillic or Greek
 * look-alikes ("pаypal" with a Cyrillic а). Runs as a normaliser: its
 * redactions delete the hidden characters and fold the look-alikes, and the
 * runner applies them before the other checks of the stage read the text, so
 * deny-lists and secret patterns cannot be dodged with invisible separators.
 *
 * Legitimate uses are left untouched: joiners inside Arabic or Indic words,
 * ZWJ between emoji (family and profession emoji), emoji and CJK variation
 * selectors, flag tag sequences (🏴 + tags, e.g. England), direction marks in
 * text that contains right-to-left script, and whole words in a non-Latin
 * script.
 */
import { z } from 'zod';
import { LATIN_LOOKALIKE_PATTERN, latinLookalike } from '../shared/confusables.js';
import { defineCheck, type Redaction, type Verdict } from '../pipeline/types.js';

const config = z.object({
  stripInvisible: z.boolean().default(true).describe('Delete hidden characters before the other checks read the text.'),
  foldHomoglyphs: z.boolean().default(true).describe('Replace look-alike letters in mixed-script words by the Latin letters they imitate.'),
  action: z.enum(['flag', 'block']).default('flag').describe('Decision when anything is found.'),
});

type Kind = 'zero_width' | 'bidi_control' | 'tag_character' | 'variation_selector' | 'homoglyph';

const REASONS: Record<Kind, string> = {
  zero_width: 'zero-width or invisible characters',
  bidi_control: 'bidirectional text controls',
  tag_character: 'hidden text in Unicode tag characters',
  variation_selector: 'misused variation selectors',
  homoglyph: 'mixed-script word with look-alike letters',
};

const NON_ASCII = /[^\x00-\x7F]/;

/**
 * Every candidate; each match is then judged in context. Tag and selector runs match whole.
 * Besides zero-width and bidi characters: soft hyphen, combining grapheme joiner, Hangul and
 * Khmer fillers, deprecated format controls, interlinear annotation marks and invisible musical
 * and shorthand format controls, all of which render as nothing.
 */
const HIDDEN = String.raw`\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}`;
const TAGS = String.raw`\u{E0000}-\u{E007F}`;
const SELECTORS = String.raw`\uFE00-\uFE0F\u{E0100}-\u{E01EF}`;
const CANDIDATES = new RegExp(`[${HIDDEN}]|[${TAGS}]+|[${SELECTORS}]+`, 'gu');

/** Scripts whose spelling uses ZWJ/ZWNJ (Persian, Urdu, Hindi, Malayalam, ...) or U+180E. */
const JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Thaana}]/u;
const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI = /\p{Emoji}/u;
const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;
const WHITESPACE = /\s/u;
/** A subdivision flag's tags: ISO 3166-2 code in tag letters (`gbeng`), then CANCEL TAG. */
const FLAG_TAGS = /^[\u{E0061}-\u{E007A}]{2}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,4}\u{E007F}$/u;
/** Bases with standardised or ideographic variation sequences (FE00–FE0D, E0100–E01EF). */
const VARIANT_BASE = /[\p{Script=Han}\p{S}\p{Script=Myanmar}\p{Script=Phags_Pa}\p{Script=Manichaean}]/u;
const WAVING_BLACK_FLAG = 0x1f3f4;

/** Word runs for the homoglyph pass; hidden characters count as part of a word so they cannot split one. */
const WORD = new RegExp(String.raw`[\p{L}\p{M}\p{Nd}${HIDDEN}${TAGS}]+`, 'gu');

function codePointBefore(text: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

function test(pattern: RegExp, cp: number | undefined): boolean {
  return cp !== undefined && pattern.test(String.fromCodePoint(cp));
}

function isSelector(cp: number | undefined): boolean {
  return cp !== undefined && ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef));
}

/** Judges one candidate match; returns its kind when it is hidden or abused, undefined when legitimate. */
function judge(text: string, start: number, match: string, hasRtl: () => boolean): Kind | undefined {
  const cp = match.codePointAt(0) as number;
  const prev = codePointBefore(text, start);
  const next = text.codePointAt(start + match.length);

  if (cp >= 0xe0000 && cp <= 0xe007f) {
    return prev === WAVING_BLACK_FLAG && FLAG_TAGS.test(match) ? undefined : 'tag_character';
  }
  if (isSelector(cp)) {
    // One selector after a base character is normal (❤️, 1️⃣, CJK variants); a run of them encodes data.
    if (match.length > (cp > 0xffff ? 2 : 1)) return 'variation_selector';
    if (prev === undefined || isSelector(prev) || test(WHITESPACE, prev)) return 'variation_selector';
    if (cp === 0xfe0e || cp === 0xfe0f) return test(EMOJI, prev) ? undefined : 'variation_selector';
    // After a letter of an alphabet a selector renders as nothing and would only split the word.
    return test(VARIANT_BASE, prev) ? undefined : 'variation_selector';
  }
  switch (cp) {
    case 0x200d: // ZWJ: emoji sequences and joining scripts
      if ((test(PICTOGRAPH, prev) || isSelector(prev) || (prev !== undefined && prev >= 0x1f3fb && prev <= 0x1f3ff)) && test(PICTOGRAPH, next)) {
        return undefined;
      }
      return test(JOINING_SCRIPT, prev) && test(JOINING_SCRIPT, next) ? undefined : 'zero_width';
    case 0x200c: // ZWNJ: Persian, Indic
    case 0x180e: // Mongolian vowel separator
      return test(JOINING_SCRIPT, prev) && test(JOINING_SCRIPT, next) ? undefined : 'zero_width';
    case 0xfeff: // a byte-order mark at the very start is an encoding artefact, not hiding anything
      return start === 0 ? undefined : 'zero_width';
    case 0x200e: // LRM, RLM, ALM: needed around numbers and punctuation in right-to-left text
    case 0x200f:
    case 0x061c: {
      if (!hasRtl()) return 'bidi_control';
      const insideWord = test(LETTER, prev) && test(LETTER, next) && !test(RTL_LETTER, prev) && !test(RTL_LETTER, next);
      return insideWord ? 'bidi_control' : undefined;
    }
    case 0x202a: // embeddings and isolates: legitimate only with right-to-left text
    case 0x202b:
    case 0x202c:
    case 0x2066:
    case 0x2067:
    case 0x2068:
    case 0x2069:
      return hasRtl() ? undefined : 'bidi_control';
    case 0x202d: // overrides reorder what is displayed ("Trojan Source"); never needed in prose
    case 0x202e:
      return 'bidi_control';
    default:
      return 'zero_width';
  }
}

interface Finding {
  kinds: Map<Kind, number>;
  redactions: Redaction[];
  hiddenChars: number;
}

function scanInvisible(text: string, segment: number, strip: boolean, out: Finding): void {
  let rtl: boolean | undefined;
  const hasRtl = (): boolean => (rtl ??= RTL_LETTER.test(text));
  for (const m of text.matchAll(CANDIDATES)) {
    const kind = judge(text, m.index, m[0], hasRtl);
    if (kind === undefined) continue;
    out.kinds.set(kind, (out.kinds.get(kind) ?? 0) + 1);
    if (kind === 'tag_character') {
      for (const ch of m[0]) {
        const c = (ch.codePointAt(0) as number) - 0xe0000;
        if (c >= 0x20 && c <= 0x7e) out.hiddenChars++;
      }
    }
    if (strip) out.redactions.push({ segment, start: m.index, end: m.index + m[0].length, replacement: '', kind });
  }
}

function scanHomoglyphs(text: string, segment: number, fold: boolean, out: Finding): void {
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    if (!LATIN_LOOKALIKE_PATTERN.test(word) || !LATIN.test(word)) continue;
    const folds: Redaction[] = [];
    let foldable = true;
    let offset = 0;
    for (const ch of word) {
      const latin = latinLookalike(ch);
      if (latin !== undefined) {
        folds.push({ segment, start: m.index + offset, end: m.index + offset + ch.length, replacement: latin, kind: 'homoglyph' });
      } else if (ch.charCodeAt(0) > 0x7f && LETTER.test(ch) && !LATIN.test(ch)) {
        foldable = false;
      }
      offset += ch.length;
    }
    out.kinds.set('homoglyph', (out.kinds.get('homoglyph') ?? 0) + 1);
    // A word with non-Latin letters that have no Latin twin is flagged but not folded: folding would not make it Latin.
    if (fold && foldable) out.redactions.push(...folds);
  }
}

export default defineCheck({
  id: 'invisible-chars',
  stage: 'both',
  phase: 'normalize',
  description:
    'Strips zero-width characters, bidi controls, Unicode tag characters and variation-selector runs, folds mixed-script look-alike letters to Latin, and flags the text.',
  config,
  run(_ctx, input, cfg): Verdict {
    const found: Finding = { kinds: new Map(), redactions: [], hiddenChars: 0 };
    input.segments.forEach((seg, i) => {
      const text = seg.text;
      if (!NON_ASCII.test(text)) return;
      scanInvisible(text, i, cfg.stripInvisible, found);
      if (LATIN_LOOKALIKE_PATTERN.test(text)) scanHomoglyphs(text, i, cfg.foldHomoglyphs, found);
    });
    if (found.kinds.size === 0) return { decision: 'allow', reasons: [] };

    const scores: Record<string, number> = Object.fromEntries(found.kinds);
    if (found.hiddenChars > 0) scores.hidden_text_chars = found.hiddenChars;
    const verdict: Verdict = {
      decision: cfg.action,
      reasons: [...found.kinds.keys()].map((k) => REASONS[k]),
      scores,
    };
    if (found.redactions.length > 0) verdict.redactions = found.redactions;
    return verdict;
  },
});
