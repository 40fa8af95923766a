/**
 * Cyrillic and Greek letters that render like Latin letters, with the Latin
 * letter each one imitates. A deliberately small subset of Unicode's
 * confusables (UTS #39): only letters that are indistinguishable from their
 * Latin twin in common fonts, so folding them never changes how a word reads.
 * Letters that merely resemble Latin ones (Greek α, μ, κ; Cyrillic к, м, т in
 * lower case) are left out: scientific and ordinary text mixes them with Latin
 * legitimately ("μm", "αSMA").
 */

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic, lower case
  ['\u0430', 'a'], ['\u0441', 'c'], ['\u0501', 'd'], ['\u0435', 'e'], ['\u04BB', 'h'],
  ['\u0456', 'i'], ['\u0458', 'j'], ['\u04CF', 'l'], ['\u043E', 'o'], ['\u0440', 'p'],
  ['\u051B', 'q'], ['\u0455', 's'], ['\u0475', 'v'], ['\u051D', 'w'], ['\u0445', 'x'],
  ['\u0443', 'y'], ['\u04AF', 'y'],
  // Cyrillic, upper case
  ['\u0410', 'A'], ['\u0412', 'B'], ['\u0421', 'C'], ['\u0415', 'E'], ['\u041D', 'H'],
  ['\u04BA', 'H'], ['\u0406', 'I'], ['\u04C0', 'I'], ['\u0408', 'J'], ['\u041A', 'K'],
  ['\u041C', 'M'], ['\u041E', 'O'], ['\u0420', 'P'], ['\u051A', 'Q'], ['\u0405', 'S'],
  ['\u0422', 'T'], ['\u0474', 'V'], ['\u051C', 'W'], ['\u0425', 'X'], ['\u0423', 'Y'],
  ['\u04AE', 'Y'],
  // Greek
  ['\u0391', 'A'], ['\u0392', 'B'], ['\u0395', 'E'], ['\u0396', 'Z'], ['\u0397', 'H'],
  ['\u0399', 'I'], ['\u039A', 'K'], ['\u039C', 'M'], ['\u039D', 'N'], ['\u039F', 'O'],
  ['\u03A1', 'P'], ['\u03A4', 'T'], ['\u03A5', 'Y'], ['\u03A7', 'X'], ['\u03BF', 'o'],
  ['\u03BD', 'v'], ['\u03B9', 'i'], ['\u03C1', 'p'], ['\u03F2', 'c'], ['\u03F3', 'j'],
];

const LOOKALIKES: ReadonlyMap<string, string> = new Map(PAIRS);

/** Matches any character that has a Latin look-alike in this table. */
export const LATIN_LOOKALIKE_PATTERN = new RegExp(`[${PAIRS.map(([c]) => c).join('')}]`, 'u');

/** The Latin letter that `ch` imitates, or undefined when it has none here. */
export function latinLookalike(ch: string): string | undefined {
  return LOOKALIKES.get(ch);
}
