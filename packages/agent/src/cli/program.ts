import { Command } from 'commander';
import { version } from '../../package.json';
import type { CheckOptions } from '../commands/check';
import type { DumpOptions } from '../commands/dump';
import type { PruneOptions } from '../commands/prune';
import type { RestoreOptions } from '../commands/restore';
import type { VerifyOptions } from '../commands/verify';

/** What runs each command, given the options commander parsed (argv's strings as they came). */
export interface CommandHandlers {
  check(options: CheckOptions): Promise<void>;
  dump(options: DumpOptions): Promise<void>;
  restore(options: RestoreOptions): Promise<void>;
  verify(options: VerifyOptions): Promise<void>;
  prune(options: PruneOptions): Promise<void>;
}

/**
 * The agent's command line: every flag and its help. Apart from what the commands do, so that a
 * test can parse what the contract's builders (contract/argv.ts) produce without running anything.
 */
export function createProgram(handlers: CommandHandlers): Command {
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
    .action(opts => handlers.check(opts));

  program
    .command('dump')
    .description(
      'dump the database with the pg_dump of its major into the storage',
    )
    .requiredOption('--to <url>', 'storage URL (file:///path/prefix)')
    .option(
      '--entity <namespace/name>',
      'the catalog entity the dump belongs to (default: default/<database name>)',
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
    .action(opts => handlers.dump(opts));

  program
    .command('restore')
    .description('restore a committed dump into an empty or new database')
    .requiredOption(
      '--from <url>',
      'URL of the .dump (file:///... or s3://...)',
    )
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
    .action(opts => handlers.restore(opts));

  program
    .command('verify')
    .description(
      'check a dump: checksum, archive contents, and with --scratch-url a real restore',
    )
    .requiredOption(
      '--from <url>',
      'URL of the .dump (file:///... or s3://...)',
    )
    .option(
      '--scratch-url <url>',
      'postgresql:// URL of a server where a throw-away database may be created',
    )
    .option(
      '--scratch',
      'restore into a throw-away database on the server of the libpq environment',
    )
    .option('--events', 'print NDJSON events on stdout')
    .action(opts => handlers.verify(opts));

  program
    .command('prune')
    .description(
      'delete a backup: its manifest first, then the dump and the roles',
    )
    .requiredOption(
      '--from <url>',
      'URL of the .dump (file:///... or s3://...)',
    )
    .option('--events', 'print NDJSON events on stdout')
    .action(opts => handlers.prune(opts));

  return program;
}
