/**
 * Password rules after NIST SP 800-63B-4 §3.1.1.2: length over composition.
 *
 * - Length in Unicode code points after NFKC normalisation: at least
 *   `minLength` (default 15, the minimum NIST sets for a password that is the
 *   only authentication factor; configurable down to 8, NIST's floor when a
 *   second factor exists) and at most `maxLength` (default 128; NIST asks for
 *   at least 64). Spaces and every printable character are allowed.
 * - No composition rules (no "one digit, one symbol"): they push people to
 *   predictable patterns without adding strength.
 * - A blocklist: the shipped list of common passwords (data/breached-passwords.txt),
 *   matched case-insensitively, also after stripping leading and trailing
 *   digits and symbols (`dragon2024!!!`), after undoing leetspeak (`p@ssw0rd`),
 *   and for repetitions of a listed word (`footballfootball`); plus
 *   context-specific words: the service's name, the account's email address
 *   and its local part.
 * - Trivial strings: one short unit repeated, fewer than four distinct
 *   characters, or a run of the alphabet, digits or a keyboard row.
 *
 * Each refusal names its reason so that people can pick a better password
 * (NIST asks verifiers to say why a password was rejected).
 */
import { readFileSync } from 'node:fs';
import { normalizePassword } from './password-hash.js';

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_email' | 'trivial';

export interface PasswordPolicyOptions {
  minLength: number;
  maxLength: number;
  /** lower-cased common passwords */
  blocklist: ReadonlySet<string>;
  /** words of this deployment that must not be (the core of) a password, e.g. its name */
  contextWords?: readonly string[];
}

const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '0123456789',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  'qwertyuiopasdfghjklzxcvbnm',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
  'qazwsxedcrfvtgbyhnujmikolp',
].flatMap((s) => {
  const cycled = s.repeat(8);
  return [cycled, [...cycled].reverse().join('')];
});

const LEET: Record<string, string> = { '@': 'a', '4': 'a', '8': 'b', '3': 'e', '6': 'g', '1': 'i', '!': 'i', '0': 'o', '$': 's', '5': 's', '7': 't', '+': 't', '2': 'z' };

/** Reads the blocklist file: one password per line, `#` comments and blank lines ignored. */
export function loadBlocklist(file: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const entry = line.trim();
    if (entry && !entry.startsWith('#')) out.add(normalizePassword(entry).toLowerCase());
  }
  return out;
}

export class PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
  readonly #blocklist: ReadonlySet<string>;
  readonly #context: string[];

  constructor(options: PasswordPolicyOptions) {
    this.minLength = options.minLength;
    this.maxLength = options.maxLength;
    this.#blocklist = options.blocklist;
    this.#context = (options.contextWords ?? []).map((w) => w.toLowerCase()).filter((w) => w.length >= 3);
  }

  /** The first problem with a password, or null when it is acceptable. */
  check(password: string, context: { email?: string | null } = {}): PasswordProblem | null {
    const normalized = normalizePassword(password);
    const length = [...normalized].length;
    if (length < this.minLength) return 'too_short';
    if (length > this.maxLength) return 'too_long';
    const lower = normalized.toLowerCase();

    const email = context.email?.trim().toLowerCase();
    const words = [...this.#context];
    if (email) {
      if (lower.includes(email)) return 'contains_email';
      const local = email.split('@')[0] ?? '';
      if (local.length >= 4 && lower.includes(local)) return 'contains_email';
      if (local.length >= 3) words.push(local);
    }
    if (this.#isTrivial(lower)) return 'trivial';
    for (const candidate of variants(lower)) {
      if (this.#blocklist.has(candidate) || words.includes(candidate)) return 'common';
      const unit = repeatedUnit(candidate);
      if (unit && (this.#blocklist.has(unit) || words.includes(unit))) return 'common';
    }
    return null;
  }

  /** A sentence for the person choosing the password; never repeats the password. */
  describe(problem: PasswordProblem): string {
    switch (problem) {
      case 'too_short':
        return `Use at least ${this.minLength} characters; a few unrelated words make a long password that is easy to remember.`;
      case 'too_long':
        return `Use at most ${this.maxLength} characters.`;
      case 'common':
        return 'This password is too common: it appears in lists of frequently used or breached passwords. Choose another.';
      case 'contains_email':
        return 'The password must not contain your email address or its user name.';
      case 'trivial':
        return 'This password is a repeated or sequential pattern that is easy to guess. Choose another.';
    }
  }

  #isTrivial(lower: string): boolean {
    const chars = [...lower];
    if (new Set(chars).size < 4) return true;
    const unit = repeatedUnit(lower);
    if (unit && [...unit].length <= 4) return true;
    const core = stripAffixes(lower);
    const target = core.length >= 6 ? core : lower;
    return SEQUENCES.some((s) => s.includes(target));
  }
}

/** The password as typed, without leading/trailing digits and symbols, with leetspeak undone, and combinations. */
function variants(lower: string): Set<string> {
  const out = new Set<string>([lower]);
  const stripped = stripAffixes(lower);
  if (stripped) out.add(stripped);
  for (const v of [...out]) {
    for (const oneAs of ['i', 'l']) {
      const unleet = [...v].map((ch) => (ch === '1' ? oneAs : (LEET[ch] ?? ch))).join('');
      out.add(unleet);
      const core = stripAffixes(unleet);
      if (core) out.add(core);
    }
  }
  out.delete('');
  return out;
}

function stripAffixes(text: string): string {
  return text.replace(/^[\p{N}\p{P}\p{S}\s]+/u, '').replace(/[\p{N}\p{P}\p{S}\s]+$/u, '');
}

/** `unit` when `text` is `unit` repeated two or more times, else null. */
function repeatedUnit(text: string): string | null {
  const match = /^(.+?)\1+$/su.exec(text);
  return match ? match[1]! : null;
}
