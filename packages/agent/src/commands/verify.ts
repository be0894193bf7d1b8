import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connect, readServerInfo } from '../postgres/connection';
import { exitOf, runPgTool } from '../postgres/pgTool';
import { AgentError } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { Manifest, manifestFacts, readManifest } from '../archive/manifest';
import { CommandRun, ResultFacts } from '../cli/runCommand';
import { chooseRestoreClient, findClients } from '../postgres/pgClients';
import { restoreArchive } from '../archive/restoreArchive';
import { countRows } from '../postgres/snapshot';
import {
  assertNoDifferences,
  compareTableHashes,
  differingTables,
  tableHashes,
} from '../archive/tableHashes';
import { localCheckedArchive } from '../archive/archiveSource';
import { readDatabaseProperties } from '../archive/databaseProperties';
import {
  assertServerCanTake,
  readArchiveNeeds,
} from '../archive/restorePreflight';
import { readToc } from '../archive/archiveToc';
import { libpqEnvOf } from '../postgres/libpqEnv';

export interface VerifyOptions {
  from: string;
  scratchUrl?: string;
  /** Use the libpq environment's server for the scratch database (keeps passwords out of argv). */
  scratch?: boolean;
  /** NDJSON events on stdout */
  events?: boolean;
}

/**
 * Restores into a throw-away database, then compares its row counts with the manifest's (counted
 * in the source's snapshot) and each table's content with the archive's (sha256 of the COPY text).
 */
async function checkScratchRestore(
  file: string,
  manifest: Manifest,
  env: NodeJS.ProcessEnv,
  reporter: Reporter,
  signal?: AbortSignal,
) {
  const server = await readServerInfo(env);
  if (server.major < manifest.server.major) {
    throw new AgentError(
      'usage',
      `the scratch server (${server.version}) is older than the dump's (${manifest.server.version})`,
    );
  }
  const client = chooseRestoreClient(
    await findClients(),
    manifest.pgDump,
    server,
  );
  const pgRestore = path.join(client.dir, 'pg_restore');
  const database = `backlot_verify_${randomBytes(6).toString('hex')}`;
  const admin = await connect(env);
  try {
    const input = { file };
    const toc = await readToc(pgRestore, input, signal);
    // a server that lacks what the archive needs says so; the backup is not called corrupt
    await assertServerCanTake(
      admin,
      await readArchiveNeeds(pgRestore, input, toc, signal),
      server,
      `the scratch server (PostgreSQL ${server.version})`,
    );
    // the source's encoding, so both sides' COPY text is in the same bytes; the locale does not
    // change the data, and C exists on every server
    const encoding =
      (await readDatabaseProperties(pgRestore, input, toc, signal))?.encoding ??
      'UTF8';
    await admin.query(
      `create database ${database} template template0 encoding ${admin.escapeLiteral(
        encoding,
      )} locale 'C'`,
    );
  } catch (error) {
    await admin.end().catch(() => {});
    throw error;
  }
  reporter.log(
    `restoring into the scratch database "${database}" (dropped afterwards)`,
  );
  try {
    const [archiveHashes] = await Promise.all([
      tableHashes(
        pgRestore,
        ['--data-only', '--file=-', file],
        process.env,
        signal,
      ),
      restoreArchive({
        client,
        archive: { file },
        database,
        env,
        serverMajor: server.major,
        jobs: 2,
        reporter,
        // the data is what is compared: grants name roles the scratch server may not have
        privileges: false,
        signal,
      }),
    ]);
    // pg_dump reads without synchronized scans, so rows come back in the order they were restored.
    const restoredHashes = await tableHashes(
      path.join(client.dir, 'pg_dump'),
      ['--data-only', '--no-password', '--file=-', `--dbname=${database}`],
      env,
      signal,
      archiveHashes.columns,
    );
    const restored = await connect(env, database);
    let counts: Record<string, number>;
    try {
      await restored.query('begin read only'); // countRows releases locks through savepoints
      counts = await countRows(restored).catch(error => {
        throw new AgentError(
          'verification',
          `counting the rows restored into the scratch database "${database}" failed: ${error.message}`,
        );
      });
      await restored.query('commit');
    } finally {
      await restored.end().catch(() => {});
    }
    assertNoDifferences(
      'the manifest',
      differingTables(
        manifest.tables ?? {},
        counts,
        (table, expected, restoredCount) =>
          `${table}: manifest ${expected ?? 'none'}, restored ${
            restoredCount ?? 'none'
          }`,
      ),
    );
    assertNoDifferences(
      'the archive',
      compareTableHashes(archiveHashes, restoredHashes),
    );
    reporter.log(
      `restored ${
        Object.keys(counts).length
      } tables into a scratch database; row counts match the manifest and the content of ${
        Object.keys(archiveHashes.hashes).length
      } tables matches the archive`,
    );
  } finally {
    const force = server.major >= 13 ? ' with (force)' : '';
    await admin
      .query(`drop database if exists ${database}${force}`)
      .catch(() => {});
    await admin.end().catch(() => {});
  }
}

/** Checks that a backup can be restored: checksum, archive table of contents, optionally a real restore. */
export async function verify(
  options: VerifyOptions,
  run: CommandRun,
): Promise<ResultFacts> {
  const { reporter, signal } = run;
  const manifest = await readManifest(options.from);
  const local = await localCheckedArchive(options.from, manifest, reporter);
  try {
    await checkArchive(local.file, manifest, options, reporter, signal);
  } finally {
    await local.release();
  }
  return manifestFacts(options.from, manifest);
}

async function checkArchive(
  file: string,
  manifest: Manifest,
  options: VerifyOptions,
  reporter: Reporter,
  signal?: AbortSignal,
) {
  const client = chooseRestoreClient(
    await findClients(),
    manifest.pgDump,
    manifest.server,
  );
  // the whole table of contents read: the archive is one pg_restore can restore
  const { exit, stderrTail } = await runPgTool(
    path.join(client.dir, 'pg_restore'),
    ['--list', file],
    { env: process.env, stdout: 'ignore', signal },
  );
  if (exit.code !== 0) {
    throw new AgentError(
      'verification',
      `pg_restore cannot read the archive: ${
        stderrTail.trim() || exitOf(exit)
      }`,
    );
  }
  if (options.scratchUrl || options.scratch) {
    await checkScratchRestore(
      file,
      manifest,
      libpqEnvOf(options.scratchUrl, '--scratch-url'),
      reporter,
      signal,
    );
  }
}
