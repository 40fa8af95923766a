/**
 * The format of Safegate gateway keys: `sg_` + 32 random base62 characters +
 * 6 base62 characters of CRC-32 over the prefix and random part.
 *
 * The fixed prefix and the checksum let secret scanners (ours, and any that
 * adopt the pattern) recognise a real key with almost no false positives,
 * without a database lookup. The checksum is not a secret and adds no entropy;
 * the 32 random characters carry ~190 bits.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const GATEWAY_KEY_PREFIX = 'sg_';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const GATEWAY_KEY_LENGTH = GATEWAY_KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;

/** Finds candidate keys in text; confirm each with `isGatewayKey`. Global: reset lastIndex or use matchAll. */
export const GATEWAY_KEY_PATTERN = /\bsg_[0-9A-Za-z]{38}\b/g;

function base62(value: number, width: number): string {
  let out = '';
  let v = value >>> 0;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

/** A new random gateway key. Show it once; store only its hash. */
export function generateGatewayKey(): string {
  // Rejection sampling keeps the characters uniform over the 62-letter alphabet.
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && random.length < RANDOM_LENGTH) random += ALPHABET[byte % 62];
    }
  }
  const body = GATEWAY_KEY_PREFIX + random;
  return body + checksum(body);
}

/** True when `text` is exactly a well-formed gateway key with a valid checksum. */
export function isGatewayKey(text: string): boolean {
  if (text.length !== GATEWAY_KEY_LENGTH || !text.startsWith(GATEWAY_KEY_PREFIX)) return false;
  if (!/^sg_[0-9A-Za-z]{38}$/.test(text)) return false;
  const body = text.slice(0, GATEWAY_KEY_PREFIX.length + RANDOM_LENGTH);
  return checksum(body) === text.slice(-CHECKSUM_LENGTH);
}

/** All well-formed gateway keys in a text, with their offsets. */
export function findGatewayKeys(text: string): Array<{ key: string; index: number }> {
  if (!text.includes(GATEWAY_KEY_PREFIX)) return [];
  const found: Array<{ key: string; index: number }> = [];
  for (const m of text.matchAll(GATEWAY_KEY_PATTERN)) {
    if (isGatewayKey(m[0])) found.push({ key: m[0], index: m.index });
  }
  return found;
}
