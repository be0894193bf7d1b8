import { connect, describeTarget, ServerInfo } from '../postgres/connection';
import { createMissingRoles } from '../postgres/roles';
import { AgentError } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { ArtifactStore } from '../storage/ArtifactStore';
import { DatabaseProperties } from './databaseProperties';
import { artifactKeysOf } from './layout';
import { Manifest } from './manifest';
import { ArchiveNeeds, assertServerCanTake } from './restorePreflight';

// The target's side of a restore, in the order restore takes it: the server checked for what the
// archive needs, the database created as the archive describes it and found empty, the backup's
// roles created, and once the data is in, the database's own properties applied.

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
export async function restoreRoles(
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
export async function createDatabaseLike(
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
export async function applyDatabaseProperties(
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
export async function checkTarget(
  env: NodeJS.ProcessEnv,
  database: string,
  server: ServerInfo,
  needs: ArchiveNeeds,
) {
  const client = await connect(env, database);
  try {
    await assertServerCanTake(
      client,
      needs,
      server,
      `PostgreSQL ${server.version} at ${describeTarget(env).where}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
