import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayKey } from '../../shared/key-format.js';
import { openStore } from '../../storage/open.js';
import { runCli } from '../../../test/helpers/run-cli.js';
import { resolveStoreOptions } from '../store-options.js';


let root: string;
let tmp: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safegate-cli-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  tmp = join(root, `d${++n}`);
  vi.stubEnv('DATABASE_URL', '');
  vi.stubEnv('SAFEGATE_DATA_DIR', '');
  return () => vi.unstubAllEnvs();
});

const run = runCli;

describe('safegate keys', () => {
  it('creates a key and prints {"id","key"} with --json', async () => {
    const r = await run('keys', 'create', '--name', 'x', '--json', '--data-dir', tmp);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { id: string; key: string };
    expect(Object.keys(printed).sort()).toEqual(['id', 'key']);
    expect(printed.id).toMatch(/^key_/);
    expect(isGatewayKey(printed.key)).toBe(true);

    const store = await openStore({ dataDir: tmp });
    try {
      expect(await store.keys.get(printed.id)).toMatchObject({ name: 'x', policy: null, expiresAt: null });
    } finally {
      await store.close();
    }
  });

  it('says the key is shown only once in the human output, with policy and expiry', async () => {
    const before = Date.now();
    const r = await run('keys', 'create', '--name', 'ci bot', '--policy', 'strict', '--expires', '30d', '--data-dir', tmp);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shown only once/);
    const key = /sg_[0-9A-Za-z]{38}/.exec(r.stdout)?.[0];
    expect(key && isGatewayKey(key)).toBe(true);

    const list = JSON.parse((await run('keys', 'list', '--json', '--data-dir', tmp)).stdout) as Array<Record<string, unknown>>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'ci bot', policy: 'strict', status: 'active', revokedAt: null, lastUsedAt: null });
    const expires = Date.parse(list[0]!.expiresAt as string);
    expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expires).toBeLessThan(Date.now() + 30 * 86_400_000 + 1000);
  });

  it('rejects a bad --expires', async () => {
    const r = await run('keys', 'create', '--name', 'x', '--expires', 'soon', '--data-dir', tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--expires/);
  });

  it('lists keys without hashes or keys, then revokes one', async () => {
    const a = JSON.parse((await run('keys', 'create', '--name', 'alpha', '--json', '--data-dir', tmp)).stdout);
    const b = JSON.parse((await run('keys', 'create', '--name', 'beta', '--json', '--data-dir', tmp)).stdout);

    const human = await run('keys', 'list', '--data-dir', tmp);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+POLICY\s+STATUS\s+CREATED\s+EXPIRES\s+REVOKED\s+LAST USED/);
    expect(human.stdout).toContain(a.id);
    expect(human.stdout).toContain(a.key.slice(0, 11));
    const json = await run('keys', 'list', '--json', '--data-dir', tmp);
    const store = await openStore({ dataDir: tmp });
    const hashes = (await store.keys.list()).map((k) => k.hash);
    await store.close();
    for (const output of [human.stdout, json.stdout]) {
      expect(output).not.toContain(a.key);
      expect(output).not.toContain(b.key);
      for (const hash of hashes) expect(output).not.toContain(hash);
    }

    const revoked = await run('keys', 'revoke', a.id, '--data-dir', tmp);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`Revoked key ${a.id}`));
    const again = await run('keys', 'revoke', a.id, '--data-dir', tmp);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already revoked/);

    const listed = JSON.parse((await run('keys', 'list', '--json', '--data-dir', tmp)).stdout) as Array<{
      id: string;
      status: string;
      revokedAt: string | null;
    }>;
    expect(listed.map((k) => [k.id, k.status])).toEqual([
      [a.id, 'revoked'],
      [b.id, 'active'],
    ]);
    expect(listed[0]!.revokedAt).not.toBeNull();
  });

  it('exits 1 with a clear message for an unknown id', async () => {
    const r = await run('keys', 'revoke', 'key_doesnotexist', '--data-dir', tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no key with id "key_doesnotexist"/);
    expect(r.stdout).toBe('');
  });

  it('says so when there are no keys', async () => {
    const r = await run('keys', 'list', '--data-dir', tmp);
    expect(r.stdout).toMatch(/No keys/);
  });
});

describe('resolveStoreOptions', () => {
  it('prefers --data-dir, then SAFEGATE_DATA_DIR, then .safegate; DATABASE_URL selects PostgreSQL', () => {
    expect(resolveStoreOptions({ dataDir: 'a' }, { SAFEGATE_DATA_DIR: 'b' })).toEqual({ dataDir: 'a' });
    expect(resolveStoreOptions({}, { SAFEGATE_DATA_DIR: 'b' })).toEqual({ dataDir: 'b' });
    expect(resolveStoreOptions({}, {})).toEqual({ dataDir: '.safegate' });
    expect(resolveStoreOptions({}, { DATABASE_URL: 'postgres://h/db' })).toEqual({
      dataDir: '.safegate',
      databaseUrl: 'postgres://h/db',
    });
    expect(resolveStoreOptions({}, { DATABASE_URL: '  ' })).toEqual({ dataDir: '.safegate' });
  });
});
