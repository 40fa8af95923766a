import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetyIds } from './safety-id.js';
import { IDENTITY_SECRET_FILE, loadOrCreateIdentitySecret } from './secret.js';

describe('SafetyIds', () => {
  const ids = new SafetyIds(Buffer.from('s'.repeat(43)), 'acme');

  it('is stable, at most 64 base64url characters, and never contains the user id', () => {
    const a = ids.derive('alice@example.com');
    expect(a).toBe(ids.derive('alice@example.com'));
    expect(a).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(a).not.toContain('alice');
  });

  it('differs by tenant, by secret and by user', () => {
    const other = new SafetyIds(Buffer.from('s'.repeat(43)), 'globex');
    const otherSecret = new SafetyIds(Buffer.from('t'.repeat(43)), 'acme');
    expect(ids.derive('alice')).not.toBe(other.derive('alice'));
    expect(ids.derive('alice')).not.toBe(otherSecret.derive('alice'));
    expect(ids.derive('alice')).not.toBe(ids.derive('bob'));
  });

  it.each([
    [{ headerUser: 'u1', trustedHeader: true, body: { user: 'u2' } }, 'header', 'u1'],
    [{ headerUser: 'u1', trustedHeader: false, body: { user: 'u2' } }, 'body', 'u2'],
    [{ trustedHeader: true, body: { safety_identifier: 'u3', user: 'u2' } }, 'body', 'u3'],
    [{ trustedHeader: true, body: {} }, 'anonymous', null],
    [{ headerUser: '   ', trustedHeader: true, body: { user: '' } }, 'anonymous', null],
  ] as const)('resolves %j as %s', (input, source, raw) => {
    const user = ids.resolve({ ...input, session: 'key_1:127.0.0.1' });
    expect(user.source).toBe(source);
    expect(user.rawUserId).toBe(raw);
  });

  it('keeps anonymous sessions apart from a user named like the session', () => {
    expect(ids.anonymous('x')).not.toBe(ids.derive('x'));
  });
});

describe('identity secret', () => {
  it('generates a 0600 file once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-id-'));
    const first = loadOrCreateIdentitySecret(dir);
    expect(first.source).toBe('generated');
    const file = join(dir, IDENTITY_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateIdentitySecret(dir);
    expect(second.source).toBe('file');
    expect(second.secret.equals(first.secret)).toBe(true);
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(43);
  });

  it('prefers a configured secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-id-'));
    expect(loadOrCreateIdentitySecret(dir, 'x'.repeat(40)).source).toBe('config');
  });
});
