/**
 * The Luhn (mod 10) checksum used by payment card numbers.
 */

/**
 * True when `digits` passes the Luhn check. `digits` must contain ASCII
 * digits only (strip spaces and dashes first); anything else, or an empty
 * string, is not valid.
 *
 * @example
 * isLuhnValid('4111111111111111'); // true
 * isLuhnValid('4111111111111112'); // false
 */
export function isLuhnValid(digits: string): boolean {
  const n = digits.length;
  if (n === 0) return false;
  let sum = 0;
  let double = false;
  for (let i = n - 1; i >= 0; i--) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      const x = d * 2;
      sum += x > 9 ? x - 9 : x;
    } else {
      sum += d;
    }
    double = !double;
  }
  return sum % 10 === 0;
}
