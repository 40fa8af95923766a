/**
 * Password hashing for better-auth's `emailAndPassword.password`: argon2id
 * through @node-rs/argon2 (prebuilt Rust binding), with the OWASP Password
 * Storage Cheat Sheet's first configuration: 19 MiB memory, 2 passes, 1 lane
 * (about 140 ms per hash on the reference machine). Parameters and a random
 * 16-byte salt travel inside the PHC string, so they can be raised later
 * without invalidating stored hashes.
 *
 * Passwords are NFKC-normalised first (NIST SP 800-63B-4 §3.1.1.2), so the
 * same passphrase typed on keyboards that compose characters differently
 * still matches.
 */
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';

/** `Algorithm.Argon2id`; the enum is a declared const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

export const ARGON2_OPTIONS: Readonly<Options> = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 };

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), ARGON2_OPTIONS);
}

/** Constant-time comparison inside the binding; a malformed stored hash verifies as false. */
export async function verifyPassword(data: { hash: string; password: string }): Promise<boolean> {
  try {
    return await verify(data.hash, normalizePassword(data.password));
  } catch {
    return false;
  }
}
