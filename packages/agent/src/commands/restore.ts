import { connect, readServerInfo } from '../connection';
import { resolveLibpqEnv } from '../libpq';
import { AgentError } from '../errors';
import { Reporter } from '../events';
import { Manifest, readManifest } from '../manifest';
import { chooseRestoreClient, findClients } from '../pgClients';
import { restoreArchive } from '../restoreArchive';
import { localCheckedArchive, digestOf } from '../archiveSource';
import { assertDigest, digestStream } from '../digest';
import { openArtifact } from '../stores/openStore';
import { ArtifactStore } from '../stores/ArtifactStore';
import { parseJobs } from '../jobs';
import { createMissingRoles } from '../globals';

export interface RestoreOptions {
  from: string;
  targetUrl?: string;
  jobs?: string;
  create?: boolean;
  /** create the backup's roles the target server lacks, then restore owners and grants */
  roles?: boolean;
  /** accept pg_restore's "errors ignored on restore", logging each error */
  allowErrors?: boolean;
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

export async function createDatabaseIfMissing(
  env: NodeJS.ProcessEnv,
  database: string,
) {
  const client = await connect(env, 'postgres');
  try {
    const { rows } = await client.query(
      'select 1 from pg_database where datname = $1',
      [database],
    );
    if (!rows.length) {
      await client.query(
        `create database ${client.escapeIdentifier(database)}`,
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
  const globalsName = dumpName.replace(/\.dump$/, '.globals.sql');
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

/** Restores a committed dump into an empty (or, with --create, new) database. */
export async function restore(
  options: RestoreOptions,
  reporter: Reporter,
  signal?: AbortSignal,
) {
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
  if (options.create) await createDatabaseIfMissing(env, database);
  await assertEmpty(env, database);
  const { store, name } = openArtifact(options.from);
  if (options.roles) await restoreRoles(store, name, manifest, env, reporter);
  const client = chooseRestoreClient(
    await findClients(),
    manifest.pgDump,
    server,
  );
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
  if (
    store.kind === 'filesystem' ||
    jobs > 1 ||
    manifest.format === 'directory'
  ) {
    const local = await localCheckedArchive(options.from, manifest, reporter);
    try {
      outcome = await restoreFrom({ file: local.file });
    } finally {
      await local.release();
    }
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
  for (const line of outcome.ignoredErrors)
    reporter.log(`ignored a harmless error: ${line}`);
  for (const line of outcome.allowedErrors)
    reporter.log(`ignored an error (--allow-errors): ${line}`);
  if (outcome.allowedErrors.length) {
    reporter.log(
      `"${database}" was restored with ${outcome.allowedErrors.length} error(s) ignored: check that it holds what you need`,
    );
  }
  return { manifest, server, client, database };
}
