/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as accounts } from './accounts.js';
import { register as config } from './config.js';
import { register as evalCommand } from './eval.js';
import { register as keys } from './keys.js';
import { register as masterKey } from './master-key.js';
import { register as migrate } from './migrate.js';
import { register as scan } from './scan.js';
import { register as serve } from './serve.js';
import { register as upstreamKeys } from './upstream-keys.js';
import { register as users } from './users.js';

export const commands: ReadonlyArray<(program: Command) => void> = [
  serve,
  keys,
  config,
  migrate,
  users,
  upstreamKeys,
  masterKey,
  scan,
  evalCommand,
  accounts,
];
