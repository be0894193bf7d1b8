import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgentError } from '../cli/errors';
import { lastLines, relayLine, startPgTool } from '../postgres/pgTool';
import { describeErrors, ErrorSummary, summarizeErrors } from './restoreErrors';
import { Reporter } from '../cli/reporter';
import { PgClient } from '../postgres/pgClients';

/**
 * Errors pg_restore reports that do not touch the data: a newer pg_restore sets parameters an
 * older server does not know.
 */
function isHarmless(line: string, serverMajor: number) {
  return (
    serverMajor < 17 &&
    /unrecognized configuration parameter "transaction_timeout"/.test(line)
  );
}

/**
 * Runs pg_restore of `archive` into `database`: a file, or a stream fed to its standard input
 * (sequential only: `--jobs` needs a file). Exit 1 with "errors ignored on restore" is a failure
 * unless every error is a known harmless one, or the caller allows errors.
 */
export async function restoreArchive(options: {
  client: PgClient;
  /** `through` sees every byte on its way (a digest). */
  archive: { file: string } | { stream: Readable; through: Transform };
  database: string;
  env: NodeJS.ProcessEnv;
  serverMajor: number;
  jobs: number;
  reporter: Reporter;
  /** restore the source's owners (their roles must exist); otherwise everything belongs to the restoring user */
  owners?: boolean;
  /** restore GRANTs (default); a scratch restore that only checks data leaves them out */
  privileges?: boolean;
  /** SIGTERM/SIGINT of the agent: stops pg_restore */
  signal?: AbortSignal;
  /** pg_restore's "errors ignored on restore" is accepted (each error returned) instead of failing */
  allowErrors?: boolean;
}): Promise<{
  /** known harmless errors (a newer pg_restore's settings), logged only */
  ignoredErrors: string[];
  /** with allowErrors: the errors pg_restore went on past */
  allowedErrors?: ErrorSummary;
}> {
  const pgRestore = path.join(options.client.dir, 'pg_restore');
  const args = ['--no-password', `--dbname=${options.database}`];
  if (!options.owners) args.push('--no-owner');
  if (options.privileges === false) args.push('--no-privileges');
  const { archive } = options;
  if ('file' in archive) {
    if (options.jobs > 1) args.push(`--jobs=${options.jobs}`);
    args.push(archive.file);
  }
  const errors: string[] = [];
  const tool = startPgTool(pgRestore, args, {
    env: options.env,
    stdin: 'file' in archive ? 'ignore' : 'pipe',
    stdout: 'ignore',
    signal: options.signal,
    onStderrLine: line => {
      if (/error:|ERROR:/.test(line) && !/errors ignored on restore/.test(line))
        errors.push(line);
      if (line.trim()) options.reporter.log(relayLine('pg_restore', line));
    },
  });
  // pg_restore stops reading when it fails; its own message says more than the broken pipe.
  const fed =
    'stream' in archive
      ? pipeline(archive.stream, archive.through, tool.stdin!).catch(
          error => error as Error,
        )
      : Promise.resolve(undefined);
  const exit = await tool.exited;
  const feedError = await fed;
  const harmful = errors.filter(line => !isHarmless(line, options.serverMajor));
  // exit 1 with its errors listed: pg_restore went on past them, which the caller may have allowed
  const allowed =
    options.allowErrors && exit.code === 1 && !exit.signal && errors.length > 0;
  if (
    !allowed &&
    (exit.signal || (exit.code !== 0 && (harmful.length || !errors.length)))
  ) {
    const detail = harmful.length
      ? describeErrors(summarizeErrors(harmful))
      : lastLines(tool.stderrTail(), 3);
    let hint = '';
    if (harmful.some(line => /role ".*" does not exist/.test(line))) {
      hint =
        "; the backup's roles are missing on this server: restore with --roles to create them from the backup";
    } else if (exit.signal) {
      hint = `; "${options.database}" is incomplete: drop it`;
    }
    throw new AgentError(
      'restore',
      `pg_restore into "${options.database}" failed (${
        exit.signal ?? `exit ${exit.code}`
      }): ${detail || 'no message'}${hint}`,
    );
  }
  if (feedError) {
    throw new AgentError(
      'storage',
      `reading the archive failed during the restore into "${options.database}": ${feedError.message}; the database is incomplete, drop it`,
    );
  }
  return {
    ignoredErrors: errors.filter(line => isHarmless(line, options.serverMajor)),
    allowedErrors: allowed ? summarizeErrors(harmful) : undefined,
  };
}
