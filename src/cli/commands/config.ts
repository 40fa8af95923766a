/** `safegate config schema|check`: the configuration's JSON Schema, and a dry validation of a file. */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { checks } from '../../checks/index.js';
import { choicesOf, ClassifierHub } from '../../classifiers/backends/hub.js';
import { ConfigError, configJsonSchema, loadConfig } from '../../config/load.js';
import { compilePolicies } from '../../policy/compile.js';

export function register(program: Command): void {
  const config = program.command('config').description('Inspect and validate configuration');
  config
    .command('schema')
    .description('Print the JSON Schema of safegate.yaml (for editor completion)')
    .action(() => {
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    });
  config
    .command('check')
    .description('Validate a configuration file and its policies without starting, loading every classifier model they use')
    .option('-c, --config <file>', 'configuration file (default: ./safegate.yaml if present)')
    .action(async (opts: { config?: string }) => {
      try {
        const loaded = loadConfig(opts.config ? { file: opts.config } : {});
        const policies = compilePolicies(loaded.config, checks);
        // The same start-up checks `serve` makes: models load, named judges and ONNX models exist, provider back-ends have an upstream.
        const hub = new ClassifierHub({ config: loaded.config.classifiers, baseDir: loaded.file ? dirname(resolve(loaded.file)) : process.cwd() });
        const issues = await hub.prepare(choicesOf(policies), { provider: Object.keys(loaded.config.upstreams).length > 0 });
        if (issues.length > 0) throw new ConfigError('the classifiers', issues);
        const summary = policies.names().map((name) => {
          const p = policies.get(name);
          return `  ${name}: input [${p.input.map((c) => c.definition.id + (c.mode === 'shadow' ? ' (shadow)' : '')).join(', ')}], output [${p.output.map((c) => c.definition.id + (c.mode === 'shadow' ? ' (shadow)' : '')).join(', ')}]`;
        });
        process.stdout.write(`${loaded.file ?? 'no file (defaults and environment)'}: valid\npolicies:\n${summary.join('\n')}\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`safegate: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
