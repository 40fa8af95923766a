import { describe, expect, it } from 'vitest';
import { ibanLength, isValidIban } from './iban.js';

describe('isValidIban', () => {
  it.each([
    'GB82 WEST 1234 5698 7654 32',
    'GB82WEST12345698765432',
    'DE89 3704 0044 0532 0130 00',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91 ABNA 0417 1643 00',
    'BE68 5390 0754 7034',
    'CH93 0076 2011 6238 5295 7',
    'NO93 8601 1117 947',
    'ES91 2100 0418 4502 0005 1332',
  ])('accepts %s', (iban) => {
    expect(isValidIban(iban)).toBe(true);
  });

  it.each([
    ['wrong check digits', 'GB83 WEST 1234 5698 7654 32'],
    ['one digit changed', 'DE89 3704 0044 0532 0130 01'],
    ['too short for the country', 'DE89 3704 0044 0532 0130 0'],
    ['unknown country', 'XX82 WEST 1234 5698 7654 32'],
    ['lower case', 'gb82 west 1234 5698 7654 32'],
    ['punctuation', 'GB82-WEST-1234-5698-7654-32'],
    ['empty', ''],
  ])('rejects %s', (_label, iban) => {
    expect(isValidIban(iban)).toBe(false);
  });

  it('knows common country lengths and nothing inherited', () => {
    expect(ibanLength('DE')).toBe(22);
    expect(ibanLength('GB')).toBe(22);
    expect(ibanLength('NO')).toBe(15);
    expect(ibanLength('US')).toBeUndefined();
    expect(ibanLength('__proto__')).toBeUndefined();
  });
});
