import { Command, CommanderError } from 'commander';
import { check } from './commands/check';
import { dump } from './commands/dump';
import { restore } from './commands/restore';
import { verify } from './commands/verify';
import { prune } from './commands/prune';
import { manifestUrlOf } from './manifest';
import { AgentError, EXIT_CODES, toAgentError } from './errors';
import { interruptSignal, interruption } from './interrupt';
import { createReporter, Reporter } from './events';
import { version } from '../package.json';
import type { ErrorSummary } from './restoreErrors';

/**
 * Runs a restore or verify: exactly one result event, a human line on stderr, and the exit code
 * that tells the failure apart.
 */
async function runArtifactCommand(
  from: string,
  events: boolean,
  work: (
    reporter: Reporter,
    signal: AbortSignal,
  ) => Promise<{
    manifest: {
      bytes: number;
      sha256: string;
      server: { version: string };
      pgDump: { version: string };
    };
    outcome?: { allowedErrors?: ErrorSummary };
  }>,
) {
  const reporter = createReporter({ events });
  const base = { type: 'result' as const, location: from, key: null };
  const signal = interruptSignal();
  try {
    const { manifest, outcome } = await work(reporter, signal);
    reporter.event({
      ...base,
      status: 'succeeded',
      manifest: manifestUrlOf(from),
      bytes: manifest.bytes,
      sha256: manifest.sha256,
      serverVersion: manifest.server.version,
      pgDumpVersion: manifest.pgDump.version,
      error: null,
      errorsIgnored: outcome?.allowedErrors ?? null,
    });
    reporter.log('succeeded');
    process.exitCode = EXIT_CODES.ok;
  } catch (error) {
    const agentError = signal.aborted
      ? new AgentError(
          'interrupted',
          `interrupted by ${interruption(signal)}: ${
            toAgentError(error).message
          }`,
        )
      : toAgentError(error);
    reporter.event({
      ...base,
      status: 'failed',
      manifest: null,
      bytes: null,
      sha256: null,
      serverVersion: null,
      pgDumpVersion: null,
      error: { code: agentError.code, message: agentError.message },
    });
    reporter.log(`failed: ${agentError.message}`);
    process.exitCode = agentError.exitCode;
  }
}

const program = new Command('backlot-agent')
  .description(
    'Backs up PostgreSQL databases; the connection comes from the libpq environment (PGHOST, PGPASSWORD, ...)',
  )
  .version(version)
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
  .option(
    '--source-url <url>',
    'postgresql:// URL of the database to dump (default: the libpq environment, which keeps the password out of argv)',
  )
  .option('--run-id <id>', 'id of the run (default: a new UUID)')
  .option(
    '--no-globals',
    'do not store the roles (pg_dumpall --roles-only) beside the dump',
  )
  .option(
    '--role-passwords',
    "keep the roles' password hashes in the stored roles (left out by default; needs a superuser)",
  )
  .option(
    '--compress <spec>',
    'zstd[:N], lz4[:N], gzip[:N] or none (default: zstd:1 with pg_dump 16+, else gzip:1)',
  )
  .option(
    '--jobs <n>',
    'parallel pg_dump jobs; 2 or more write the directory format into BACKLOT_TMPDIR first (room for the compressed dump), then upload it',
    '1',
  )
  .option('--events', 'print NDJSON events on stdout')
  .action(async opts => {
    const reporter = createReporter({ events: Boolean(opts.events) });
    try {
      await dump(opts, reporter, interruptSignal());
      process.exitCode = EXIT_CODES.ok;
    } catch (error) {
      const agentError = toAgentError(error);
      reporter.log(`failed: ${agentError.message}`);
      process.exitCode = agentError.exitCode;
    }
  });

program
  .command('restore')
  .description('restore a committed dump into an empty or new database')
  .requiredOption('--from <url>', 'URL of the .dump (file:///... or s3://...)')
  .option(
    '--target-url <url>',
    'postgresql:// URL of the target database (default: the libpq environment)',
  )
  .option('--jobs <n>', 'parallel pg_restore jobs', '1')
  .option('--create', 'create the target database if it does not exist')
  .option(
    '--roles',
    "create the backup's roles the target server lacks (needs CREATEROLE), then restore owners and grants as in the source",
  )
  .option(
    '--allow-errors',
    'accept pg_restore\'s "errors ignored on restore" (each error is logged) instead of failing',
  )
  .option('--events', 'print NDJSON events on stdout')
  .action(opts =>
    runArtifactCommand(opts.from, Boolean(opts.events), (reporter, signal) =>
      restore(opts, reporter, signal),
    ),
  );

program
  .command('verify')
  .description(
    'check a dump: checksum, archive contents, and with --scratch-url a real restore',
  )
  .requiredOption('--from <url>', 'URL of the .dump (file:///... or s3://...)')
  .option(
    '--scratch-url <url>',
    'postgresql:// URL of a server where a throw-away database may be created',
  )
  .option(
    '--scratch',
    'restore into a throw-away database on the server of the libpq environment',
  )
  .option('--events', 'print NDJSON events on stdout')
  .action(opts =>
    runArtifactCommand(opts.from, Boolean(opts.events), (reporter, signal) =>
      verify(opts, reporter, signal),
    ),
  );

program
  .command('prune')
  .description(
    'delete a backup: its manifest first, then the dump and the roles',
  )
  .requiredOption('--from <url>', 'URL of the .dump (file:///... or s3://...)')
  .option('--events', 'print NDJSON events on stdout')
  .action(async opts => {
    const reporter = createReporter({ events: Boolean(opts.events) });
    try {
      await prune(opts, reporter);
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
