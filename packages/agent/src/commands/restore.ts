import path from 'node:path';
import { readServerInfo } from '../postgres/connection';
import { libpqEnvOf } from '../postgres/libpqEnv';
import { chooseRestoreClient, findClients } from '../postgres/pgClients';
import { ArchiveInput, readToc } from '../archive/archiveToc';
import { readDatabaseProperties } from '../archive/databaseProperties';
import { manifestFacts, readManifest } from '../archive/manifest';
import { restoreArchive } from '../archive/restoreArchive';
import { describeErrors } from '../archive/restoreErrors';
import { readArchiveNeeds } from '../archive/restorePreflight';
import {
  applyDatabaseProperties,
  assertEmpty,
  checkTarget,
  createDatabaseLike,
  restoreRoles,
} from '../archive/restoreTarget';
import { localCheckedArchive, digestOf } from '../archive/archiveSource';
import { assertDigest, digestStream } from '../archive/digest';
import { openArtifact } from '../storage/openStore';
import { AgentError } from '../cli/errors';
import { parseJobs } from '../cli/jobs';
import { CommandRun, ResultFacts } from '../cli/runCommand';

export interface RestoreOptions {
  from: string;
  targetUrl?: string;
  jobs?: string;
  create?: boolean;
  /** create the backup's roles the target server lacks, then restore owners and grants */
  roles?: boolean;
  /** accept pg_restore's "errors ignored on restore", logging each error */
  allowErrors?: boolean;
  /** NDJSON events on stdout */
  events?: boolean;
}

/**
 * Restores a committed dump into an empty (or, with --create, new) database. Before anything is
 * written, the target is checked for what the archive needs; with --create the database is made
 * as the source was (encoding, locale) and gets its settings, comment and grants once the data is in.
 */
export async function restore(
  options: RestoreOptions,
  run: CommandRun,
): Promise<ResultFacts> {
  const { reporter, signal } = run;
  const jobs = parseJobs(options.jobs);
  const manifest = await readManifest(options.from);
  const env = libpqEnvOf(options.targetUrl, '--target-url');
  const database = env.PGDATABASE || 'postgres';
  // the server is checked before --create makes anything on it
  const server = await readServerInfo(
    env,
    options.create ? 'postgres' : undefined,
  );
  if (server.major < manifest.server.major) {
    throw new AgentError(
      'restore',
      `refusing to restore a dump of PostgreSQL ${manifest.server.version} into PostgreSQL ${server.version}: ` +
        `dumps do not load into an older major; restore into a server of major ${manifest.server.major} or newer`,
    );
  }
  const client = chooseRestoreClient(
    await findClients(),
    manifest.pgDump,
    server,
  );
  const pgRestore = path.join(client.dir, 'pg_restore');
  const { store, name } = openArtifact(options.from);
  // pg_restore needs a seekable file for --jobs and for a directory-format dump; otherwise the
  // archive streams from the store, checked as it goes
  const local =
    store.kind === 'filesystem' || jobs > 1 || manifest.format === 'directory'
      ? await localCheckedArchive(options.from, manifest, reporter)
      : undefined;
  try {
    const input: ArchiveInput = local
      ? { file: local.file }
      : { open: () => store.openReader(name) };
    // the table of contents is read once: pg_restore stops after it, so a stream costs its head
    const toc = await readToc(pgRestore, input, signal);
    await checkTarget(
      env,
      options.create ? 'postgres' : database,
      server,
      await readArchiveNeeds(pgRestore, input, toc, signal),
    );
    const properties = options.create
      ? await readDatabaseProperties(pgRestore, input, toc, signal)
      : undefined;
    if (options.create)
      await createDatabaseLike(env, database, properties, server.major);
    await assertEmpty(env, database);
    if (options.roles) await restoreRoles(store, name, manifest, env, reporter);
    reporter.log(
      `restoring ${options.from} into "${database}" on PostgreSQL ${server.version} with pg_restore ${client.version}`,
    );
    const restoreFrom = (
      archive: Parameters<typeof restoreArchive>[0]['archive'],
    ) =>
      restoreArchive({
        client,
        archive,
        database,
        env,
        serverMajor: server.major,
        jobs,
        reporter,
        owners: Boolean(options.roles),
        allowErrors: Boolean(options.allowErrors),
        signal,
      });
    let outcome: Awaited<ReturnType<typeof restoreFrom>>;
    if (local) {
      outcome = await restoreFrom({ file: local.file });
    } else {
      // No copy on disk: the bytes are checked as they stream, so a corrupted object fails the restore.
      reporter.log(
        `streaming ${options.from} into pg_restore (with --jobs 2 or more it is downloaded first, which needs ${manifest.bytes} bytes of disk)`,
      );
      const digest = digestStream();
      outcome = await restoreFrom({
        stream: await store.openReader(name),
        through: digest.stream,
      });
      try {
        assertDigest('the artifact', digestOf(digest), manifest);
      } catch (error) {
        throw new AgentError(
          'verification',
          `${
            (error as Error).message
          }; "${database}" now holds data from a corrupted artifact: drop it`,
        );
      }
    }
    if (properties) {
      await applyDatabaseProperties(
        env,
        database,
        properties,
        Boolean(options.roles),
        reporter,
      );
    }
    for (const line of outcome.ignoredErrors)
      reporter.log(`ignored a harmless error: ${line}`);
    if (outcome.allowedErrors) {
      reporter.log(
        `"${database}" was restored with ${describeErrors(
          outcome.allowedErrors,
        )} ignored (--allow-errors): check that it holds what you need`,
      );
    }
    return {
      ...manifestFacts(options.from, manifest),
      errorsIgnored: outcome.allowedErrors ?? null,
    };
  } finally {
    await local?.release();
  }
}
