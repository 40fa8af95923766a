import { describe, expect, it } from 'vitest';
import { isLuhnValid } from './luhn.js';

describe('isLuhnValid', () => {
  it.each([
    '4111111111111111', // Visa test number
    '5555555555554444', // Mastercard test number
    '378282246310005', // Amex test number
    '6011111111111117', // Discover test number
    '0',
    '79927398713', // the textbook example
  ])('accepts %s', (digits) => {
    expect(isLuhnValid(digits)).toBe(true);
  });

  it.each([
    '4111111111111112',
    '5555555555554445',
    '79927398710',
    '',
    '4111 1111 1111 1111', // separators must be stripped by the caller
    '41111111111111a1',
  ])('rejects %j', (digits) => {
    expect(isLuhnValid(digits)).toBe(false);
  });
});
