/** Every CLI command, one line each. */
import type { Command } from 'commander';

export const commands: ReadonlyArray<(program: Command) => void> = [
];
