import { describe, expect, it } from 'vitest';
import { atLeast, levelOfAccount, VERIFICATION_LEVELS } from './levels.js';

const account = (over: Partial<Parameters<typeof levelOfAccount>[0]> = {}) => ({ emailVerified: false, providers: ['credential'], verifiedLevel: null, ...over });

describe('verification levels', () => {
  it('are ordered weakest first', () => {
    expect(VERIFICATION_LEVELS).toEqual(['anonymous', 'registered', 'email_verified', 'account_linked', 'payment_verified', 'id_verified']);
    expect(atLeast('account_linked', 'email_verified')).toBe(true);
    expect(atLeast('registered', 'email_verified')).toBe(false);
  });

  it.each([
    ['a new password account', account(), 'registered'],
    ['a verified address', account({ emailVerified: true }), 'email_verified'],
    ['a linked OAuth sign-in with a verified address', account({ emailVerified: true, providers: ['credential', 'google'] }), 'account_linked'],
    ['a linked sign-in whose address is not verified', account({ providers: ['github'] }), 'registered'],
    ['a granted payment level', account({ verifiedLevel: 'payment_verified' }), 'payment_verified'],
    ['a granted identity level', account({ emailVerified: true, providers: ['google'], verifiedLevel: 'id_verified' }), 'id_verified'],
    ['an unknown granted value', account({ emailVerified: true, verifiedLevel: 'bogus' }), 'email_verified'],
  ] as const)('%s', (_name, facts, level) => {
    expect(levelOfAccount(facts)).toBe(level);
  });
});
