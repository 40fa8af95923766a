import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../shared/package-root.js';
import { BLOCKLIST_FILE } from './accounts-service.js';
import { loadBlocklist, PasswordPolicy, type PasswordProblem } from './password-policy.js';

const blocklist = loadBlocklist(join(packageRoot(), BLOCKLIST_FILE));
const policy = new PasswordPolicy({ minLength: 15, maxLength: 128, blocklist, contextWords: ['safegate'] });
const email = 'jordan.smith@example.com';

describe('shipped blocklist', () => {
  it('holds the 30,000 common passwords, lower-cased, without comments', () => {
    expect(blocklist.size).toBe(30_000);
    expect(blocklist.has('password')).toBe(true);
    expect(blocklist.has('123456')).toBe(true);
    expect([...blocklist].every((p) => p === p.toLowerCase() && !p.startsWith('#'))).toBe(true);
  });
});

describe('password policy (NIST SP 800-63B-4)', () => {
  it.each<[string, string, PasswordProblem | null]>([
    ['a long passphrase', 'correct horse battery staple', null],
    ['no composition rules: lower-case letters only', 'umbrellas quietly orbit', null],
    ['spaces and any Unicode', 'çà et là, 日本語のパスワード', null],
    ['14 characters when 15 are required', 'abcdefghijklm!', 'too_short'],
    ['length counted in code points', '🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑', 'too_short'],
    ['over the maximum', 'x'.repeat(60) + 'y'.repeat(69), 'too_long'],
    ['a common password padded with digits', 'baseball1234567890', 'common'],
    ['a common password in leetspeak with symbols', 'p@$$w0rd!!!!!!!!!', 'common'],
    ['a common password repeated', 'footballfootball', 'common'],
    ['a listed long password', 'passwordpassword', 'common'],
    ['the service name', 'safegate20242024', 'common'],
    ['the email address', `my ${email} pass`, 'contains_email'],
    ['the email local part', 'Jordan.Smith-was-here', 'contains_email'],
    ['one repeated character', 'aaaaaaaaaaaaaaaaaaaa', 'trivial'],
    ['a short unit repeated', 'abcabcabcabcabcabc', 'trivial'],
    ['a run of digits', '123456789012345678', 'trivial'],
    ['a keyboard row', 'qwertyuiopasdfghjkl', 'trivial'],
  ])('%s', (_name, password, expected) => {
    expect(policy.check(password, { email })).toBe(expected);
  });

  it('compares case-insensitively', () => {
    expect(policy.check('BASEBALL1234567890')).toBe('common');
  });

  it('describes each problem without repeating the password', () => {
    for (const problem of ['too_short', 'too_long', 'common', 'contains_email', 'trivial'] as const) {
      expect(policy.describe(problem)).toMatch(/\w/);
    }
    expect(policy.describe('too_short')).toContain('15');
  });
});
