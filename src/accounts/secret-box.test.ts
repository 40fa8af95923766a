import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateMasterKey, loadMasterKeyring, MASTER_KEY_FILE, parseKeyring, parseMasterKey, SecretBox, SecretBoxError } from './secret-box.js';

const root = mkdtempSync(join(tmpdir(), 'sg-box-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, `d${++n}`);

describe('SecretBox', () => {
  const a = parseMasterKey(generateMasterKey());
  const b = parseMasterKey(generateMasterKey());

  it('round-trips, with a fresh IV each time, and never contains the plaintext', () => {
    const box = new SecretBox([a]);
    const c1 = box.encrypt('alice@example.com', 'identity:x');
    const c2 = box.encrypt('alice@example.com', 'identity:x');
    expect(c1).not.toBe(c2);
    expect(c1).toMatch(new RegExp(`^v1\\.${a.kid}\\.[A-Za-z0-9_-]+$`));
    expect(c1).not.toContain('alice');
    expect(box.decrypt(c1, 'identity:x')).toBe('alice@example.com');
  });

  it('refuses a wrong context, tampering, a foreign format and an unknown master key', () => {
    const box = new SecretBox([a]);
    const c = box.encrypt('secret', 'ctx:1');
    expect(() => box.decrypt(c, 'ctx:2')).toThrow(SecretBoxError);
    const parts = c.split('.');
    const raw = Buffer.from(parts[2]!, 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(() => box.decrypt(`${parts[0]}.${parts[1]}.${raw.toString('base64url')}`, 'ctx:1')).toThrow(/authentication/);
    expect(() => box.decrypt('plain', 'ctx:1')).toThrow(/not a Safegate ciphertext/);
    expect(() => new SecretBox([b]).decrypt(c, 'ctx:1')).toThrow(/not in the keyring/);
  });

  it('decrypts under any keyring key and encrypts under the first', () => {
    const old = new SecretBox([a]).encrypt('k', 'c');
    const rotated = new SecretBox([b, a]);
    expect(rotated.decrypt(old, 'c')).toBe('k');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.encrypt('k', 'c'))).toBe(true);
  });

  it('adopts a reloaded keyring and keeps the keys it had for decryption', () => {
    const box = new SecretBox([a]);
    const old = box.encrypt('k', 'c');
    box.replaceKeys([b]);
    expect(box.currentKid).toBe(b.kid);
    expect(box.decrypt(old, 'c')).toBe('k');
    expect(box.isCurrent(box.encrypt('k', 'c'))).toBe(true);
  });

  it('parses hex, base64 and base64url keys and rejects anything else without echoing it', () => {
    const bytes = Buffer.alloc(32, 7);
    expect(parseMasterKey(bytes.toString('hex')).kid).toBe(parseMasterKey(bytes.toString('base64')).kid);
    expect(parseMasterKey(bytes.toString('base64url')).kid).toBe(parseMasterKey(bytes.toString('base64')).kid);
    expect(() => parseMasterKey('hunter2-too-short')).toThrow(SecretBoxError);
    try {
      parseMasterKey('hunter2-too-short');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(parseKeyring(`# comment\n${generateMasterKey()}\n${generateMasterKey()}`)).toHaveLength(2);
  });
});

describe('loadMasterKeyring', () => {
  it('creates a 0600 file once and reads it back', () => {
    const d = dir();
    const first = loadMasterKeyring({ dataDir: d, create: true });
    expect(first.source).toBe('generated');
    const file = join(d, MASTER_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadMasterKeyring({ dataDir: d, create: true });
    expect(again.source).toBe('file');
    expect(again.keys[0]!.kid).toBe(first.keys[0]!.kid);
  });

  it('prefers the environment and refuses to invent a key when told not to', () => {
    const d = dir();
    const env = generateMasterKey();
    expect(loadMasterKeyring({ dataDir: d, env, create: true })).toMatchObject({ source: 'env', file: null });
    expect(() => loadMasterKeyring({ dataDir: dir(), create: false })).toThrow(/no master key/);
    expect(() => loadMasterKeyring({ dataDir: d, env: 'nope', create: true })).toThrow(/SAFEGATE_MASTER_KEY/);
  });

  it('fails on a corrupt file instead of replacing it', () => {
    const d = dir();
    loadMasterKeyring({ dataDir: d, create: true });
    const file = join(d, MASTER_KEY_FILE);
    writeFileSync(file, 'garbage\n');
    expect(() => loadMasterKeyring({ dataDir: d, create: true })).toThrow(SecretBoxError);
    expect(readFileSync(file, 'utf8')).toBe('garbage\n');
  });
});
