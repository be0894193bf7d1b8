import path from 'node:path';
import {
  connect,
  describeTarget,
  readServerInfo,
  ServerInfo,
} from '../postgres/connection';
import { ArchiveInput } from '../archive/archiveToc';
import {
  DatabaseProperties,
  readDatabaseProperties,
} from '../archive/databaseProperties';
import {
  assertTargetCanTake,
  missingOnServer,
  readArchiveNeeds,
} from '../archive/restorePreflight';
import { resolveLibpqEnv } from '../postgres/libpq';
import { AgentError } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { artifactKeysOf } from '../archive/layout';
import { Manifest, manifestFacts, readManifest } from '../archive/manifest';
import { CommandRun, ResultFacts } from '../cli/runCommand';
import { chooseRestoreClient, findClients } from '../postgres/pgClients';
import { restoreArchive } from '../archive/restoreArchive';
import { describeErrors } from '../archive/restoreErrors';
import { localCheckedArchive, digestOf } from '../archive/archiveSource';
import { assertDigest, digestStream } from '../archive/digest';
import { openArtifact } from '../storage/openStore';
import { ArtifactStore } from '../storage/ArtifactStore';
import { parseJobs } from '../cli/jobs';
import { createMissingRoles } from '../postgres/roles';

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

/** The target's libpq environment: --target-url if given, else the agent's own. */
export function targetEnv(
  targetUrl?: string,
  what = '--target-url',
): NodeJS.ProcessEnv {
  return resolveLibpqEnv(
    process.env,
    targetUrl ? { url: targetUrl, what } : undefined,
  );
}

/** Fails unless `database` holds no user relations: a restore never mixes with existing data. */
export async function assertEmpty(env: NodeJS.ProcessEnv, database: string) {
  const client = await connect(env, database);
  try {
    const { rows } = await client.query(`
      select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'`);
    if (rows[0].n > 0) {
      throw new AgentError(
        'restore',
        `database "${database}" is not empty (${rows[0].n} relations): restore into an empty or new database (--create with a new name)`,
      );
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the roles of the backup's globals file that the target server lacks. */
async function restoreRoles(
  store: ArtifactStore,
  dumpName: string,
  manifest: Manifest,
  env: NodeJS.ProcessEnv,
  reporter: Reporter,
) {
  const globalsName = artifactKeysOf(dumpName).globals;
  if (!manifest.globalsKey) {
    throw new AgentError(
      'usage',
      'this backup holds no roles (it was dumped with --no-globals): restore without --roles, after creating its roles by hand',
    );
  }
  const sql = await store.readSmall(globalsName);
  if (sql === undefined) {
    throw new AgentError(
      'storage',
      `the backup's roles file ${store.locationOf(
        globalsName,
      )} is missing: restore without --roles, after creating its roles by hand`,
    );
  }
  const client = await connect(env);
  try {
    const { created, existing } = await createMissingRoles(client, sql);
    reporter.log(
      `roles: created ${created.length ? created.join(', ') : 'none'}; ${
        existing.length
      } already on the server, left as they are`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** The database as the archive describes it, created under the target's name. */
async function createDatabaseLike(
  env: NodeJS.ProcessEnv,
  database: string,
  properties: DatabaseProperties | undefined,
  serverMajor: number,
) {
  const client = await connect(env, 'postgres');
  try {
    const { rows } = await client.query(
      'select pg_encoding_to_char(encoding) as encoding from pg_database where datname = $1',
      [database],
    );
    if (!rows.length) {
      await client.query(
        properties?.createStatement(database, serverMajor) ??
          `create database ${client.escapeIdentifier(database)}`,
      );
    } else if (
      properties?.encoding &&
      rows[0].encoding !== properties.encoding
    ) {
      throw new AgentError(
        'restore',
        `database "${database}" exists with encoding ${rows[0].encoding}, but the backup's database is ${properties.encoding}: ` +
          'restore with --create into a new name, or drop it first, so the agent creates it as the backup describes',
      );
    }
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      'restore',
      `cannot create database "${database}" as the backup describes it: ${
        (error as Error).message
      }`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * After the data is in: the source database's settings, comment, grants (and with the roles, its
 * owner), in one transaction. They come last so that, for example, a default_transaction_read_only
 * or a revoked CONNECT of the source never gets in the restore's way.
 */
async function applyDatabaseProperties(
  env: NodeJS.ProcessEnv,
  database: string,
  properties: DatabaseProperties,
  owners: boolean,
  reporter: Reporter,
) {
  const statements = properties
    .propertyStatements(database)
    .filter(s => owners || !s.owner);
  if (!statements.length) return;
  const client = await connect(env, database);
  try {
    await client.query('begin');
    for (const { sql } of statements) await client.query(sql);
    await client.query('commit');
    reporter.log(
      `applied the database's own properties (${
        statements.length
      } statement(s): settings, comment, grants${owners ? ', owner' : ''})`,
    );
  } catch (error: any) {
    const hint = /role .* does not exist/.test(error.message)
      ? ": the backup's roles are missing on this server: restore with --roles to create them from the backup"
      : '';
    throw new AgentError(
      'restore',
      `the data is restored into "${database}", but its database-level properties (settings, comment, grants) failed: ${error.message}${hint}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Fails, before anything is written, when the target lacks an extension, library or compression method of the archive. */
async function checkTarget(
  pgRestore: string,
  input: ArchiveInput,
  env: NodeJS.ProcessEnv,
  database: string,
  server: ServerInfo,
  signal?: AbortSignal,
) {
  const needs = await readArchiveNeeds(pgRestore, input, signal);
  const client = await connect(env, database);
  try {
    assertTargetCanTake(
      `PostgreSQL ${server.version} at ${describeTarget(env).where}`,
      await missingOnServer(client, needs, server.major),
    );
  } finally {
    await client.end().catch(() => {});
  }
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
  const env = targetEnv(options.targetUrl);
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
    await checkTarget(
      pgRestore,
      input,
      env,
      options.create ? 'postgres' : database,
      server,
      signal,
    );
    const properties = options.create
      ? await readDatabaseProperties(pgRestore, input, signal)
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
