import { Command, CommanderError } from 'commander';
import { check } from './commands/check';
import { dump } from './commands/dump';
import { EXIT_CODES, toAgentError } from './errors';
import { createReporter } from './events';

const program = new Command('backlot-agent')
  .description(
    'Backs up PostgreSQL databases; the connection comes from the libpq environment (PGHOST, PGPASSWORD, ...)',
  )
  .exitOverride();

program
  .command('check')
  .description(
    'list the pg clients found and check that the storage can be written',
  )
  .option('--json', 'print JSON')
  .option('--to <url>', 'storage URL to check (file:///path)')
  .action(async opts => {
    process.exitCode = await check(opts, createReporter({ events: false }));
  });

program
  .command('dump')
  .description(
    'dump the database with the pg_dump of its major into the storage',
  )
  .requiredOption('--to <url>', 'storage URL (file:///path/prefix)')
  .requiredOption(
    '--entity <namespace/name>',
    'the catalog entity the dump belongs to',
  )
  .option('--run-id <id>', 'id of the run (default: a new UUID)')
  .option('--events', 'print NDJSON events on stdout')
  .action(async opts => {
    const reporter = createReporter({ events: Boolean(opts.events) });
    const controller = new AbortController();
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => controller.abort(sig));
    }
    try {
      await dump(opts, reporter, controller.signal);
      process.exitCode = EXIT_CODES.ok;
    } catch (error) {
      const agentError = toAgentError(error);
      reporter.log(`failed: ${agentError.message}`);
      process.exitCode = agentError.exitCode;
    }
  });

program.parseAsync(process.argv).catch(error => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
    return;
  }
  process.stderr.write(`backlot-agent: ${toAgentError(error).message}\n`);
  process.exitCode = toAgentError(error).exitCode;
});
