/**
 * `safegate users`: abuse-notice lookup, suspend, restore and list end users.
 *
 * A provider's abuse notice names a safety identifier; `lookup` turns it back
 * into the user id the app passed (decrypted with the master key) and shows
 * the user's recent flagged requests. Every action is a security event.
 */
import type { Command } from 'commander';
import type { Transition } from '../../accounts/abuse.js';
import { UserAdmin, type UserRef } from '../../accounts/user-admin.js';
import type { UserStateName } from '../../storage/types.js';
import { formatTime, out, table, withAdminContext, withAdminOptions, type AdminContext } from '../admin-context.js';

const STATES: readonly UserStateName[] = ['ok', 'throttled', 'suspended', 'review'];

/** Only lookups decrypt, so only they need the master key. */
function admin(ctx: AdminContext, lookup: boolean): UserAdmin {
  return new UserAdmin({ store: ctx.store, abuse: ctx.abuse(), safetyIds: ctx.safetyIds(), ...(lookup ? { identities: ctx.identities() } : {}) });
}

function userRef(cmd: Command, user: string | undefined, safetyId: string | undefined): UserRef {
  if (user && safetyId) cmd.error('error: name the user either by USER or by --safety-id, not both');
  if (safetyId?.trim()) return { safetyId: safetyId.trim() };
  if (user?.trim()) return { userId: user.trim() };
  return cmd.error('error: name the user: USER (the id your app passes) or --safety-id ID');
}

function describeTransition(t: Transition | null, verb: string): string {
  if (!t) return `No change: the user was already ${verb}.`;
  return `User ${t.safetyId}: ${t.from} -> ${t.to}.`;
}

export function register(program: Command): void {
  const users = program.command('users').description('look up, suspend and restore end users (abuse handling)');

  withAdminOptions(users.command('lookup'))
    .description('find the user behind a safety identifier from an abuse notice, with their recent flagged activity')
    .requiredOption('--safety-id <id>', 'the safety identifier the provider reported')
    .option('--days <n>', 'how far back to show flagged requests', '30')
    .option('--json', 'print JSON')
    .action(async (opts: { safetyId: string; days: string; json?: boolean }, cmd: Command) => {
      const days = Number(opts.days);
      if (!Number.isFinite(days) || days <= 0) cmd.error(`error: --days must be a positive number, got "${opts.days}"`);
      const result = await withAdminContext(cmd, (ctx) => admin(ctx, true).lookup(opts.safetyId.trim(), 'cli', { sinceMs: days * 86_400_000 }));
      const flagged = result.flagged.map((r) => ({
        requestId: r.requestId,
        time: new Date(r.time).toISOString(),
        outcome: r.outcome,
        blockedBy: r.blockedBy,
        endpoint: r.endpoint,
        model: r.model,
        keyId: r.keyId,
      }));
      if (opts.json) {
        const id = result.identity;
        out(JSON.stringify({
          safetyId: result.safetyId,
          userId: id?.rawUserId ?? null,
          source: id?.source ?? null,
          keyId: id?.keyId ?? null,
          firstSeen: id ? new Date(id.firstSeen).toISOString() : null,
          lastSeen: id ? new Date(id.lastSeen).toISOString() : null,
          state: result.standing.state,
          strikes: Math.round(result.standing.strikes * 100) / 100,
          flagged,
        }));
      } else {
        if (result.identity) {
          const id = result.identity;
          out(`User id:       ${id.rawUserId}`);
          out(`Safety id:     ${result.safetyId}`);
          out(`Named by:      ${id.source === 'header' ? 'X-Safegate-User header' : 'request body'}, last with key ${id.keyId ?? '-'}`);
          out(`Seen:          ${formatTime(id.firstSeen)} .. ${formatTime(id.lastSeen)}`);
        } else {
          out(`Safety id:     ${result.safetyId}`);
          out('User id:       unknown (no request naming this user was seen, or the identifier is not from this deployment)');
        }
        out(`Standing:      ${result.standing.state} (${result.standing.strikes.toFixed(2)} strikes)`);
        out('');
        if (flagged.length === 0) out(`No flagged requests in the last ${days} days.`);
        else {
          out(`Flagged requests in the last ${days} days (newest first):`);
          const rows = flagged.map((f) => [f.time.slice(0, 19).replace('T', ' '), f.requestId, f.outcome, f.blockedBy ?? '-', f.endpoint, f.model ?? '-']);
          for (const line of table([['TIME', 'REQUEST', 'OUTCOME', 'BY', 'ENDPOINT', 'MODEL'], ...rows])) out(`  ${line}`);
        }
      }
      if (!result.identity) process.exitCode = 1;
    });

  withAdminOptions(users.command('suspend'))
    .description('suspend a user: their requests get 403 user_suspended with the appeal text')
    .argument('[user]', 'the user id your app passes (X-Safegate-User, safety_identifier or user)')
    .option('--safety-id <id>', 'name the user by safety identifier instead')
    .action(async (user: string | undefined, opts: { safetyId?: string }, cmd: Command) => {
      const ref = userRef(cmd, user, opts.safetyId);
      const t = await withAdminContext(cmd, (ctx) => admin(ctx, false).suspend(ref, 'cli'));
      out(describeTransition(t, 'suspended'));
      out('Running gateways refuse the user within a few seconds.');
    });

  withAdminOptions(users.command('restore'))
    .description('lift a suspension, review or throttle and clear the user\'s strikes')
    .argument('[user]', 'the user id your app passes')
    .option('--safety-id <id>', 'name the user by safety identifier instead')
    .action(async (user: string | undefined, opts: { safetyId?: string }, cmd: Command) => {
      const ref = userRef(cmd, user, opts.safetyId);
      const t = await withAdminContext(cmd, (ctx) => admin(ctx, false).restore(ref, 'cli'));
      out(describeTransition(t, 'in good standing'));
    });

  withAdminOptions(users.command('list'))
    .description('list users with an abuse state (default: suspended and under review)')
    .option('--state <state>', `one of ${STATES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; json?: boolean }, cmd: Command) => {
      if (opts.state !== undefined && !STATES.includes(opts.state as UserStateName)) cmd.error(`error: --state must be one of ${STATES.join(', ')}`);
      const states = opts.state ? [opts.state as UserStateName] : (['review', 'suspended'] as const);
      const records = await withAdminContext(cmd, async (ctx) => (await Promise.all(states.map((state) => ctx.store.userState.list({ state, limit: 1000 })))).flat());
      if (opts.json) {
        out(JSON.stringify(records.map((r) => ({ safetyId: r.safetyId, state: r.state, strikes: r.strikes, reason: r.reason, updatedAt: new Date(r.updatedAt).toISOString(), updatedBy: r.updatedBy }))));
        return;
      }
      if (records.length === 0) {
        out('No users in that state.');
        return;
      }
      const rows = records.map((r) => [r.safetyId, r.state, r.strikes.toFixed(2), r.reason ?? '-', formatTime(r.updatedAt), r.updatedBy ?? '-']);
      for (const line of table([['SAFETY ID', 'STATE', 'STRIKES', 'REASON', 'UPDATED', 'BY'], ...rows])) out(line);
      out('');
      out('Find who a user is with: safegate users lookup --safety-id ID');
    });
}
