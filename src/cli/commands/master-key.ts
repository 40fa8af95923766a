/**
 * `safegate master-key`: rotate the key that encrypts secrets at rest.
 *
 * With the keyring file (`<dataDir>/master.key`): `rotate` makes a new key
 * current (the old one stays, for reading) and re-encrypts everything;
 * running gateways re-read the file within their refresh interval. `retire`
 * then re-encrypts what they wrote meanwhile and drops the old key.
 *
 * With `SAFEGATE_MASTER_KEY`: put the new key first in the variable
 * (`NEW,OLD`), restart the gateways, run `reencrypt`, then remove the old key
 * from the variable.
 */
import type { Command } from 'commander';
import { reencryptAll } from '../../accounts/master-key-rotation.js';
import { generateMasterKey, loadMasterKeyring, parseMasterKey, writeKeyringFile } from '../../accounts/secret-box.js';
import { out, withAdminContext, withAdminOptions, type AdminContext } from '../admin-context.js';

function keyring(ctx: AdminContext) {
  return loadMasterKeyring({ dataDir: ctx.loaded.config.dataDir, env: ctx.loaded.env.masterKey, create: false });
}

export function register(program: Command): void {
  const group = program.command('master-key').description('rotate the master key that encrypts secrets at rest');

  withAdminOptions(group.command('rotate'))
    .description('make a new master key current and re-encrypt every stored secret under it (keyring file only)')
    .action(async (_opts: unknown, cmd: Command) => {
      await withAdminContext(cmd, async (ctx) => {
        const ring = keyring(ctx);
        if (ring.source === 'env') {
          cmd.error(
            'error: the master key comes from SAFEGATE_MASTER_KEY. Generate a key (openssl rand -base64 32), set SAFEGATE_MASTER_KEY="NEW,OLD" on every gateway, restart them, run "safegate master-key reencrypt", then set SAFEGATE_MASTER_KEY="NEW".',
            { exitCode: 2 },
          );
        }
        const fresh = generateMasterKey();
        const texts = [fresh, ...ring.keys.map((k) => k.material.toString('base64url'))];
        writeKeyringFile(ring.file!, texts);
        const result = await reencryptAll(ctx.store, [parseMasterKey(fresh), ...ring.keys], ctx.safetyIds());
        out(`New master key ${result.kid} is current; re-encrypted ${result.upstreamKeys} upstream key(s) and ${result.identities} identity record(s).`);
        out('Running gateways load it within their refresh interval (access.upstreamKeys.refreshInterval). After that, run: safegate master-key retire');
      });
    });

  withAdminOptions(group.command('reencrypt'))
    .description('re-encrypt every stored secret under the current (first) master key')
    .action(async (_opts: unknown, cmd: Command) => {
      await withAdminContext(cmd, async (ctx) => {
        const result = await reencryptAll(ctx.store, keyring(ctx).keys, ctx.safetyIds());
        out(`Re-encrypted ${result.upstreamKeys} upstream key(s) and ${result.identities} identity record(s) under master key ${result.kid}.`);
      });
    });

  withAdminOptions(group.command('retire'))
    .description('re-encrypt what is left under old keys, then remove them from the keyring file')
    .action(async (_opts: unknown, cmd: Command) => {
      await withAdminContext(cmd, async (ctx) => {
        const ring = keyring(ctx);
        if (ring.source === 'env') cmd.error('error: the master key comes from SAFEGATE_MASTER_KEY; remove old keys from the variable instead', { exitCode: 2 });
        const result = await reencryptAll(ctx.store, ring.keys, ctx.safetyIds());
        writeKeyringFile(ring.file!, [ring.keys[0]!.material.toString('base64url')]);
        out(`Re-encrypted ${result.upstreamKeys + result.identities} leftover secret(s); the keyring now holds only ${result.kid}.`);
      });
    });
}
