import { describe, expect, it } from 'vitest';
import { findGatewayKeys, generateGatewayKey, GATEWAY_KEY_LENGTH, isGatewayKey } from './key-format.js';

describe('gateway key format', () => {
  it('generates well-formed, unique keys', () => {
    const keys = new Set(Array.from({ length: 200 }, generateGatewayKey));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^sg_[0-9A-Za-z]{38}$/);
      expect(k).toHaveLength(GATEWAY_KEY_LENGTH);
      expect(isGatewayKey(k)).toBe(true);
    }
  });

  it('rejects a key with one character changed (checksum)', () => {
    const k = generateGatewayKey();
    const i = 10;
    const changed = k.slice(0, i) + (k[i] === 'a' ? 'b' : 'a') + k.slice(i + 1);
    expect(isGatewayKey(changed)).toBe(false);
  });

  it.each(['', 'sg_', 'sg_short', 'sk-proj-abcdef', 'sg_' + 'a'.repeat(38), 'xg_' + 'a'.repeat(38)])('rejects %s', (text) => {
    expect(isGatewayKey(text)).toBe(false);
  });

  it('finds keys inside text and ignores look-alikes', () => {
    const k = generateGatewayKey();
    const text = `here is my key ${k}, and a fake sg_${'x'.repeat(38)} too`;
    expect(findGatewayKeys(text)).toEqual([{ key: k, index: text.indexOf(k) }]);
  });
});
