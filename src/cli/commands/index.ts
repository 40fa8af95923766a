/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as keys } from './keys.js';
import { register as serve } from './serve.js';

export const commands: ReadonlyArray<(program: Command) => void> = [
  serve,
  keys,
];
