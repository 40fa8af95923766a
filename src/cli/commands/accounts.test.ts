import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyPassword } from '../../accounts/auth/password-hash.js';
import { openStore } from '../../storage/open.js';
import { main } from '../main.js';

let root: string;
let dir: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safegate-cli-accounts-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  dir = join(root, `d${++n}`);
  for (const name of ['DATABASE_URL', 'SAFEGATE_DATA_DIR', 'SAFEGATE_CONFIG', 'SAFEGATE_AUTH_SECRET', 'SAFEGATE_SMTP_URL']) vi.stubEnv(name, '');
  return () => vi.unstubAllEnvs();
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main([...argv, '--data-dir', dir]), stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
}

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: dir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('safegate accounts', () => {
  it('creates the first administrator with a one-time password that is stored only as an argon2id hash', async () => {
    const { code, stdout } = await run('accounts', 'create-admin', '--email', 'Root@Example.com');
    expect(code).toBe(0);
    const password = /one-time password: (\S+)/.exec(stdout)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(32);
    await withStore(async (store) => {
      const account = await store.accounts.findByEmail('root@example.com');
      expect(account).toMatchObject({ role: 'admin', providers: ['credential'] });
      const row = await store.kysely().selectFrom('auth_account').select('password').where('user_id', '=', account!.id).executeTakeFirstOrThrow();
      expect(row.password).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword({ hash: row.password, password })).toBe(true);
      const events = await store.securityEvents.query({ subject: account!.id });
      expect(events.map((e) => e.type)).toContain('user.admin_created');
      expect(JSON.stringify(events)).not.toContain(password);
    });
    const again = await run('accounts', 'create-admin', '--email', 'root@example.com');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('--promote');
  });

  it('mails a reset link instead of printing a password with --send-reset', async () => {
    const { code, stdout } = await run('accounts', 'create-admin', '--email', 'ops@example.com', '--send-reset');
    expect(code).toBe(0);
    expect(stdout).not.toContain('one-time password');
    expect(readdirSync(join(dir, 'outbox')).some((f) => f.includes('reset-password'))).toBe(true);
  });

  it('grants and removes levels, guards the last administrator, and lists', async () => {
    await run('accounts', 'create-admin', '--email', 'root@example.com');
    expect((await run('accounts', 'set-level', 'root@example.com', 'payment_verified', '--reason', 'invoice paid')).stdout).toContain('registered -> payment_verified');
    expect((await run('accounts', 'set-level', 'root@example.com', 'gold')).code).not.toBe(0);
    const last = await run('accounts', 'set-role', 'root@example.com', 'user');
    expect(last.code).not.toBe(0);
    expect(last.stderr).toContain('last administrator');
    const listed = JSON.parse((await run('accounts', 'list', '--json')).stdout) as Array<{ email: string; level: string; role: string }>;
    expect(listed).toEqual([expect.objectContaining({ email: 'root@example.com', level: 'payment_verified', role: 'admin' })]);
    expect((await run('accounts', 'set-level', 'root@example.com', 'none')).stdout).toContain('payment_verified -> registered');
    const events = JSON.parse((await run('accounts', 'events', '--type', 'user.level_changed', '--json')).stdout) as Array<{ actor: string }>;
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.actor === 'cli')).toBe(true);
  });
});
