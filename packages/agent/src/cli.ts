// The agent's entry point (bin/backlot-agent runs it, the bundle is built from it).
import { CommanderError } from 'commander';
import { check } from './commands/check';
import { dump } from './commands/dump';
import { restore } from './commands/restore';
import { verify } from './commands/verify';
import { prune } from './commands/prune';
import { EXIT_CODES } from './contract';
import { toAgentError } from './cli/errors';
import { createReporter } from './cli/reporter';
import { createProgram } from './cli/program';
import { runCommand } from './cli/runCommand';

const program = createProgram({
  check: async opts => {
    process.exitCode = await check(opts, createReporter({ events: false }));
  },
  dump: opts => runCommand(opts, run => dump(opts, run)),
  // a failed restore, verify or prune still names the dump it was given
  restore: opts =>
    runCommand({ ...opts, known: { location: opts.from } }, run =>
      restore(opts, run),
    ),
  verify: opts =>
    runCommand({ ...opts, known: { location: opts.from } }, run =>
      verify(opts, run),
    ),
  prune: opts =>
    runCommand({ ...opts, known: { location: opts.from } }, run =>
      prune(opts, run),
    ),
});

program.parseAsync(process.argv).catch(error => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
    return;
  }
  process.stderr.write(`backlot-agent: ${toAgentError(error).message}\n`);
  process.exitCode = toAgentError(error).exitCode;
});
