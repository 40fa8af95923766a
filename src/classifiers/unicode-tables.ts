/**
 * Per-character lookup tables that let the normaliser skip whole-string
 * Unicode passes when they would change nothing. Built lazily on first use
 * (tens of milliseconds, once per process).
 *
 * Contract: `needsNfkc(s)` is false only when `s.normalize('NFKC') === s`
 * and no invisible character needs removing; `foldAccents(s)` equals
 * removing combining marks after canonical decomposition and folding small
 * capitals, character by character.
 */

/** Combining marks removed when folding accents (Latin, Greek, Cyrillic diacritics, zalgo). */
const COMBINING = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const MARK = /\p{M}/u;

export const SMALL_CAPS: Record<string, string> = {
  ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ꜰ: 'f', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k',
  ʟ: 'l', ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ǫ: 'q', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v',
  ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
};

/** Zero-width, bidi-control, soft-hyphen, variation-selector and similar format characters. */
export const INVISIBLE =
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
const INVISIBLE_ONE = new RegExp(INVISIBLE.source);

let stable: Uint8Array | undefined;
let marks: Uint8Array | undefined;
let fold: (string | undefined)[] | undefined;
const astralStable = new Map<number, boolean>();

function build(): void {
  const st = new Uint8Array(0x10000);
  const mk = new Uint8Array(0x10000);
  const fl: (string | undefined)[] = new Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    const mark = MARK.test(ch);
    const ok = ch.normalize('NFKC') === ch && !mark && !(c >= 0x1100 && c <= 0x11ff) && !INVISIBLE_ONE.test(ch);
    st[c] = ok ? 1 : 0;
    mk[c] = mark ? 1 : 0;
    const f = SMALL_CAPS[ch] ?? ch.normalize('NFD').replace(COMBINING, '').normalize('NFC');
    if (f !== ch) fl[c] = f;
  }
  stable = st;
  marks = mk;
  fold = fl;
}

/** Whether the UTF-16 code unit `c` is a combining mark (Unicode category M: accents, vowel signs, tone marks). */
export function isMark(c: number): boolean {
  if (marks === undefined) build();
  return marks![c] === 1;
}

/** True when NFKC or invisible-character removal could change `s` (any non-ASCII `s`). */
export function needsNfkc(s: string): boolean {
  if (stable === undefined) build();
  const st = stable!;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const cp = s.codePointAt(i)!;
      let ok = astralStable.get(cp);
      if (ok === undefined) {
        const ch = String.fromCodePoint(cp);
        ok = ch.normalize('NFKC') === ch && !(cp >= 0xe0000 && cp <= 0xe007f) && !MARK.test(ch);
        astralStable.set(cp, ok);
      }
      if (!ok) return true;
      i++;
      continue;
    }
    if (st[c] === 0) return true;
  }
  return false;
}

/** Removes accents and combining marks and folds small capitals, character by character. */
export function foldAccents(s: string): string {
  if (fold === undefined) build();
  const fl = fold!;
  let out: string[] | undefined;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xc0) continue;
    const f = fl[c];
    if (f === undefined) continue;
    out ??= [];
    out.push(s.slice(last, i), f);
    last = i + 1;
  }
  if (out === undefined) return s;
  out.push(s.slice(last));
  return out.join('');
}
