/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as config } from './config.js';
import { register as keys } from './keys.js';
import { register as migrate } from './migrate.js';
import { register as serve } from './serve.js';
import { register as users } from './users.js';

export const commands: ReadonlyArray<(program: Command) => void> = [
  serve,
  keys,
  config,
  migrate,
  users,
];
