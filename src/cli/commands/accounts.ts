/**
 * `safegate accounts`: what an operator needs without a browser: the first
 * administrator, account listings, verification levels, roles, password
 * resets and the security log. Every change is a security event with actor
 * `cli`.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createAccounts, type Accounts } from '../../accounts/auth/accounts-service.js';
import { GatewayKeys } from '../../accounts/gateway-keys.js';
import { GRANTED_LEVELS, isGrantedLevel, levelOfAccount } from '../../accounts/levels.js';
import { OutboxMailer } from '../../accounts/mailer/outbox-mailer.js';
import { createLogger } from '../../observability/logger.js';
import type { AccountRecord, AccountRole } from '../../storage/types.js';
import { formatTime, out, table, withAdminContext, withAdminOptions, type AdminContext } from '../admin-context.js';

async function withAccounts<T>(cmd: Command, fn: (accounts: Accounts, ctx: AdminContext) => Promise<T>): Promise<T> {
  return withAdminContext(cmd, async (ctx) => {
    const logger = createLogger('warn', process.stderr);
    const accounts = createAccounts({ config: ctx.loaded.config, store: ctx.store, keys: new GatewayKeys({ repo: ctx.store.keys, events: ctx.store.securityEvents }), logger });
    try {
      return await fn(accounts, ctx);
    } finally {
      await accounts.close();
    }
  });
}

async function find(cmd: Command, accounts: Accounts, ref: string): Promise<AccountRecord> {
  const account = ref.includes('@') ? await accounts.repo.findByEmail(ref) : await accounts.repo.get(ref);
  return account ?? cmd.error(`error: no account "${ref}" (give an email address or an account id)`);
}

function view(a: AccountRecord) {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    emailVerified: a.emailVerified,
    role: a.role,
    level: levelOfAccount(a),
    grantedLevel: a.verifiedLevel,
    providers: a.providers,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

function mailNote(accounts: Accounts): string {
  return accounts.mailer instanceof OutboxMailer ? `written to ${accounts.mailer.dir}` : 'sent by SMTP';
}

/** 24 random bytes, base64url: 32 characters, far from any blocklist. */
function generatedPassword(): string {
  return randomBytes(24).toString('base64url');
}

export function register(program: Command): void {
  const accounts = program.command('accounts').description('manage accounts: administrators, levels, roles, password resets, security log');

  withAdminOptions(accounts.command('create-admin'))
    .description('create an administrator with a one-time password (or mail a reset link instead)')
    .requiredOption('--email <email>', 'the administrator\'s email address')
    .option('--name <name>', 'display name', 'Administrator')
    .option('--send-reset', 'print no password: mail a password-reset link to the address instead (outbox or SMTP)')
    .option('--promote', 'if the account exists, make it an administrator instead of failing')
    .action(async (opts: { email: string; name: string; sendReset?: boolean; promote?: boolean }, cmd: Command) => {
      await withAccounts(cmd, async (acc) => {
        const existing = await acc.repo.findByEmail(opts.email);
        if (existing) {
          if (!opts.promote) cmd.error(`error: ${existing.email} already has an account (${existing.id}); add --promote to make it an administrator`);
          await acc.repo.setRole(existing.id, 'admin');
          acc.log.record({ type: 'user.role_changed', actor: 'cli', subject: existing.id, addr: null, details: { from: existing.role, to: 'admin' } });
          out(`${existing.email} (${existing.id}) is now an administrator.`);
          return;
        }
        const password = generatedPassword();
        const created = await acc.createAccount({ email: opts.email, name: opts.name, password, role: 'admin' });
        acc.log.record({ type: 'user.admin_created', actor: 'cli', subject: created.id, addr: null, details: { delivery: opts.sendReset ? 'reset-link' : 'one-time-password' } });
        out(`Created administrator ${created.email} (${created.id}).`);
        if (opts.sendReset) {
          await acc.requestPasswordReset(created.email);
          await acc.flush();
          out(`A password-reset link was ${mailNote(acc)}; it is valid for one hour.`);
          return;
        }
        out('');
        out(`  one-time password: ${password}`);
        out('');
        out('It is shown only once. Sign in with it, then choose your own password:');
        out(`  POST ${acc.baseUrl}/auth/sign-in/email     {"email", "password"}`);
        out(`  POST ${acc.baseUrl}/auth/change-password   {"currentPassword", "newPassword", "revokeOtherSessions": true}`);
      });
    });

  withAdminOptions(accounts.command('list'))
    .description('list accounts')
    .option('--email <text>', 'only addresses containing this')
    .option('--role <role>', 'user or admin')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { email?: string; role?: string; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.role && opts.role !== 'user' && opts.role !== 'admin') cmd.error('error: --role is user or admin');
      await withAccounts(cmd, async (acc) => {
        const list = await acc.repo.list({ ...(opts.email ? { email: opts.email } : {}), ...(opts.role ? { role: opts.role as AccountRole } : {}), limit: Number(opts.limit) || 100 });
        if (opts.json) return out(JSON.stringify(list.map(view)));
        if (list.length === 0) return out('No accounts. Create the first administrator with: safegate accounts create-admin --email <email>');
        const rows = list.map((a) => [a.id, a.email, a.role, levelOfAccount(a), a.providers.join(','), formatTime(a.createdAt)]);
        for (const line of table([['ID', 'EMAIL', 'ROLE', 'LEVEL', 'SIGN-IN', 'CREATED'], ...rows])) out(line);
      });
    });

  withAdminOptions(accounts.command('show'))
    .description('show an account, its level and its recent security events')
    .argument('<account>', 'email address or account id')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      await withAccounts(cmd, async (acc) => {
        const account = await find(cmd, acc, ref);
        const events = await acc.events.query({ subject: account.id, limit: 20 });
        // Failed sign-ins for an address are logged under this pseudonym (also when no account existed yet).
        const emailRef = acc.log.emailRef(account.email);
        if (opts.json) return out(JSON.stringify({ ...view(account), emailRef, events }));
        for (const [k, v] of Object.entries({ ...view(account), emailRef })) out(`${k.padEnd(14)} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
        out('');
        for (const e of events) out(`${formatTime(e.time)}  ${e.type.padEnd(22)} ${e.actor ?? '-'}  ${e.addr ?? ''}`);
      });
    });

  withAdminOptions(accounts.command('set-level'))
    .description(`grant a verification level (${GRANTED_LEVELS.join(', ')}) or remove it (none)`)
    .argument('<account>', 'email address or account id')
    .argument('<level>', `${GRANTED_LEVELS.join(' | ')} | none`)
    .option('--reason <text>', 'why, for the security log (no personal data)')
    .action(async (ref: string, level: string, opts: { reason?: string }, cmd: Command) => {
      if (level !== 'none' && !isGrantedLevel(level)) cmd.error(`error: level must be one of ${GRANTED_LEVELS.join(', ')}, none`);
      await withAccounts(cmd, async (acc) => {
        const account = await find(cmd, acc, ref);
        const change = await acc.levels.set(account.id, level === 'none' ? null : (level as (typeof GRANTED_LEVELS)[number]), { actor: 'cli', cause: opts.reason ? `admin: ${opts.reason}` : 'admin' });
        out(change?.changed ? `${account.email}: ${change.from} -> ${change.to}.` : `${account.email}: no change (${change?.to ?? 'unknown'}).`);
      });
    });

  withAdminOptions(accounts.command('set-role'))
    .description('make an account an administrator, or a user again')
    .argument('<account>', 'email address or account id')
    .argument('<role>', 'user | admin')
    .action(async (ref: string, role: string, _opts: unknown, cmd: Command) => {
      if (role !== 'user' && role !== 'admin') cmd.error('error: role is user or admin');
      await withAccounts(cmd, async (acc) => {
        const account = await find(cmd, acc, ref);
        if (account.role === role) return out(`${account.email} is already ${role}.`);
        if (account.role === 'admin' && (await acc.repo.countByRole('admin')) <= 1) cmd.error('error: this is the last administrator; make another one first');
        await acc.repo.setRole(account.id, role as AccountRole);
        acc.log.record({ type: 'user.role_changed', actor: 'cli', subject: account.id, addr: null, details: { from: account.role, to: role } });
        out(`${account.email}: ${account.role} -> ${role}.`);
      });
    });

  withAdminOptions(accounts.command('reset-password'))
    .description('mail a password-reset link to an account (outbox or SMTP), as if its owner had asked')
    .argument('<account>', 'email address or account id')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      await withAccounts(cmd, async (acc) => {
        const account = await find(cmd, acc, ref);
        await acc.requestPasswordReset(account.email);
        await acc.flush();
        acc.log.record({ type: 'auth.password_reset_requested', actor: 'cli', subject: account.id, addr: null, details: {} });
        out(`A password-reset link for ${account.email} was ${mailNote(acc)}; it is valid for one hour.`);
      });
    });

  withAdminOptions(accounts.command('events'))
    .description('read the security log (sign-ins, failures, throttling, level and role changes, keys)')
    .option('--type <type>', 'e.g. auth.sign_in_failed, user.level_changed')
    .option('--subject <id>', 'an account or key id')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { type?: string; subject?: string; limit: string; json?: boolean }, cmd: Command) => {
      await withAccounts(cmd, async (acc) => {
        const events = await acc.events.query({ ...(opts.type ? { type: opts.type } : {}), ...(opts.subject ? { subject: opts.subject } : {}), limit: Number(opts.limit) || 50 });
        if (opts.json) return out(JSON.stringify(events));
        for (const e of events) out(`${formatTime(e.time)}  ${e.type.padEnd(24)} ${(e.subject ?? '-').padEnd(32)} ${e.actor ?? '-'}  ${JSON.stringify(e.details)}`);
      });
    });
}
