/**
 * The `safegate` command line. Each command lives in `commands/<name>.ts` and
 * exports `register(program)`; this file only lists them.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('safegate')
    .description('Self-hosted safety gateway for applications built on LLM APIs')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .showHelpAfterError();
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}
