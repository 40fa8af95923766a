/**
 * IBAN validation (ISO 13616): country code, two check digits, and a
 * country-specific length, verified with the ISO 7064 mod-97-10 checksum.
 */

/**
 * IBAN length per country, from the SWIFT IBAN registry. Countries not listed
 * are not recognised, which keeps look-alike codes (`XX12…`) from matching.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20,
  LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19,
  MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** The IBAN length for a two-letter country code, or undefined when unknown. */
export function ibanLength(country: string): number | undefined {
  return Object.hasOwn(IBAN_LENGTHS, country) ? IBAN_LENGTHS[country] : undefined;
}

/**
 * The mod-97 remainder of an IBAN after moving the first four characters to
 * the end and replacing letters by 10..35. A valid IBAN gives 1.
 * Expects upper-case `[A-Z0-9]` only; returns -1 for anything else.
 */
export function ibanRemainder(compact: string): number {
  const n = compact.length;
  let rem = 0;
  for (let k = 0; k < n; k++) {
    const c = compact.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) {
      rem = (rem * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      rem = (rem * 100 + (c - 55)) % 97;
    } else {
      return -1;
    }
  }
  return rem;
}

/**
 * True when `text` is a valid IBAN. Spaces are ignored (the printed form
 * groups by four); letters must be upper case.
 *
 * @example
 * isValidIban('GB82 WEST 1234 5698 7654 32'); // true
 * isValidIban('GB83 WEST 1234 5698 7654 32'); // false: check digits
 */
export function isValidIban(text: string): boolean {
  const compact = text.includes(' ') ? text.replaceAll(' ', '') : text;
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  if (ibanLength(compact.slice(0, 2)) !== compact.length) return false;
  return ibanRemainder(compact) === 1;
}
