/**
 * Encryption at rest for secrets Safegate must be able to read back (upstream
 * provider keys, the user ids behind safety identifiers): AES-256-GCM under a
 * master key kept outside the database.
 *
 * The master key comes from `SAFEGATE_MASTER_KEY` or, failing that, from
 * `<dataDir>/master.key` (created with mode 0600 on first use). Either holds a
 * keyring: one or more 32-byte keys (base64, base64url or hex), comma or
 * newline separated, the first being the current one. A database dump alone
 * therefore reveals nothing.
 *
 * Ciphertexts are versioned: `v1.<kid>.<base64url(iv | tag | data)>`, where
 * `kid` names the master key (a hash of it, not the key). Decryption picks the
 * key by `kid`, so after a master-key rotation old and new ciphertexts both
 * read until `rotateMasterKey` has re-encrypted everything under the new key.
 *
 * Each ciphertext is bound to a context string (additional authenticated
 * data), e.g. `upstream_key:<id>`: a ciphertext copied into another row or
 * column fails to decrypt instead of revealing one secret as another.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'master.key';
const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A master key as loaded: the raw 32 bytes and their public identifier. */
export interface MasterKey {
  kid: string;
  /** 32 bytes of key material; never logged */
  material: Buffer;
}

/** Thrown for a bad ciphertext, an unknown master key, or tampering; the message never holds secret data. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** The public id of a master key: 8 bytes of SHA-256 over a label and the key, hex. */
export function masterKeyId(material: Buffer): string {
  return createHash('sha256').update('safegate master key id\0').update(material).digest('hex').slice(0, 16);
}

/** Parses one encoded 32-byte key (hex, base64 or base64url). */
export function parseMasterKey(text: string): MasterKey {
  const t = text.trim();
  let material: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) material = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) material = Buffer.from(t.replace(/=$/, '').replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
  if (!material || material.length !== 32) {
    throw new SecretBoxError('a master key must be 32 random bytes written as 64 hex characters or 43 base64 characters (generate one with: openssl rand -base64 32)');
  }
  return { kid: masterKeyId(material), material };
}

/** Parses a keyring (keys separated by commas, whitespace or newlines; `#` starts a comment line). First = current. */
export function parseKeyring(text: string): MasterKey[] {
  const keys = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join(',')
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map(parseMasterKey);
  if (keys.length === 0) throw new SecretBoxError('the master keyring is empty');
  return keys;
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface LoadMasterKeyOptions {
  dataDir: string;
  /** SAFEGATE_MASTER_KEY, when set; wins over the file */
  env?: string | undefined;
  /** create `<dataDir>/master.key` when neither is present (the gateway does; read-only CLI commands do not) */
  create: boolean;
}

export interface LoadedKeyring {
  keys: MasterKey[];
  source: 'env' | 'file' | 'generated';
  /** the keyring file, when the keys came from one */
  file: string | null;
}

/**
 * Loads the master keyring. Fails (throws) rather than silently generating a
 * new key when a configured source is unreadable, because a new key would
 * make every stored secret unreadable.
 */
export function loadMasterKeyring(options: LoadMasterKeyOptions): LoadedKeyring {
  if (options.env !== undefined && options.env.trim() !== '') {
    try {
      return { keys: parseKeyring(options.env), source: 'env', file: null };
    } catch (err) {
      throw new SecretBoxError(`SAFEGATE_MASTER_KEY: ${(err as Error).message}`);
    }
  }
  const file = join(options.dataDir, MASTER_KEY_FILE);
  try {
    const text = readFileSync(file, 'utf8');
    // Tighten permissions if someone loosened them: the file decrypts every stored secret.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    try {
      return { keys: parseKeyring(text), source: 'file', file };
    } catch (err) {
      throw new SecretBoxError(`${file}: ${(err as Error).message}`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!options.create) {
    throw new SecretBoxError(`no master key: set SAFEGATE_MASTER_KEY or start the gateway once to create ${file}`);
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails when another process created the file first; then read theirs.
    writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKeyring({ ...options, create: false });
    throw err;
  }
  return { keys: parseKeyring(readFileSync(file, 'utf8')), source: 'generated', file };
}

/** Writes a keyring file atomically with mode 0600 (first key = current). */
export function writeKeyringFile(file: string, keys: readonly string[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `# Safegate master keyring: the first key encrypts, all decrypt. Keep this file secret.\n${keys.join('\n')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export class SecretBox {
  #keys: Map<string, Buffer>;
  #current: string;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(keys: readonly MasterKey[]) {
    if (keys.length === 0) throw new SecretBoxError('a secret box needs at least one master key');
    this.#keys = new Map(keys.map((k) => [k.kid, deriveKey(k.material)]));
    this.#current = keys[0]!.kid;
  }

  /**
   * Adopts a reloaded keyring: `keys[0]` becomes current; keys no longer in
   * the ring stay available for decryption in this process.
   */
  replaceKeys(keys: readonly MasterKey[]): void {
    if (keys.length === 0) throw new SecretBoxError('a secret box needs at least one master key');
    const next = new Map(this.#keys);
    for (const k of keys) if (!next.has(k.kid)) next.set(k.kid, deriveKey(k.material));
    this.#keys = next;
    this.#current = keys[0]!.kid;
  }

  /** The id of the master key new ciphertexts use. */
  get currentKid(): string {
    return this.#current;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}.${this.#current}.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url')}`;
  }

  /** Throws SecretBoxError for a foreign format, an unknown master key, a wrong context or tampering. */
  decrypt(ciphertext: string, context: string): string {
    const [format, kid, payload, extra] = ciphertext.split('.');
    if (format !== FORMAT || !kid || payload === undefined || extra !== undefined) throw new SecretBoxError('not a Safegate ciphertext');
    const key = this.#keys.get(kid);
    if (!key) throw new SecretBoxError(`encrypted under master key ${kid}, which is not in the keyring`);
    const raw = Buffer.from(payload, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('ciphertext failed authentication (wrong key, wrong context or tampered)');
    }
  }

  /** True when the ciphertext was made under the current master key. */
  isCurrent(ciphertext: string): boolean {
    return ciphertext.startsWith(`${FORMAT}.${this.#current}.`);
  }
}

/** The master key is not used directly: HKDF gives a key bound to this purpose and format. */
function deriveKey(material: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'safegate secret box v1 aes-256-gcm', 32));
}
