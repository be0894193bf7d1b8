import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { libpqEnvOf, useLibpqEnv } from '../postgres/libpqEnv';
import { DumpSizes, DumpSnapshot } from '../postgres/snapshot';
import { ServerInfo } from '../postgres/connection';
import { dumpRoles } from '../postgres/roles';
import { chooseClient, findClients, PgClient } from '../postgres/pgClients';
import {
  Compression,
  defaultCompression,
  describeCompression,
  parseCompression,
  pgDumpCompressArg,
} from '../archive/compression';
import {
  dumpCustom,
  dumpDirectory,
  WrittenArchive,
} from '../archive/dumpArchive';
import {
  ArtifactKeys,
  defaultEntity,
  newArtifactKeys,
} from '../archive/layout';
import { Manifest } from '../archive/manifest';
import { ArtifactStore } from '../storage/ArtifactStore';
import { openStore } from '../storage/openStore';
import { AgentError } from '../cli/errors';
import { parseJobs } from '../cli/jobs';
import { DumpProgress } from '../cli/progress';
import { CommandRun, ResultFacts } from '../cli/runCommand';

export interface DumpOptions {
  to: string;
  /** `<namespace>/<name>`; default `default/<database name>` */
  entity?: string;
  runId?: string;
  compress?: string;
  /** 2 or more: pg_dump --jobs, which writes the directory format (into BACKLOT_TMPDIR first) */
  jobs?: string;
  /** commander's --no-globals sets this to false */
  globals?: boolean;
  /** keep the roles' password hashes in the globals (needs a superuser) */
  rolePasswords?: boolean;
  /** the database to dump, instead of the libpq environment */
  sourceUrl?: string;
  /** NDJSON events on stdout */
  events?: boolean;
}

/**
 * The most a dump of a database of `databaseBytes` can plausibly reach. Compressed, about the data
 * itself (twice the database leaves room for text COPY of binary-ish columns). Uncompressed, COPY
 * text of values the server keeps pglz-compressed in TOAST can be several times the database: ten
 * times it is allowed for, at the price of bigger S3 parts (memory) for big databases.
 */
function expectedDumpBytes(databaseBytes: number, compression: Compression) {
  return databaseBytes * (compression.method === 'none' ? 10 : 2);
}

function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/**
 * What a dump has written so far, undone newest first when a later step fails: a dump without its
 * manifest is not a backup, and nothing of it may be left behind.
 */
class Rollback {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>) {
    this.steps.push(step);
  }

  async run() {
    // each step is tried: a failed removal must not keep the others from running, nor hide the
    // failure that made them necessary
    for (const step of this.steps.reverse()) await step().catch(() => {});
  }
}

/** Everything a dump settles before any data moves. */
interface DumpPlan {
  runId: string;
  entity: string;
  startedAt: Date;
  jobs: number;
  store: ArtifactStore;
  keys: ArtifactKeys;
  snapshot: DumpSnapshot;
  /** for the progress and the size of the S3 parts */
  sizes: DumpSizes;
  server: ServerInfo;
  client: PgClient;
  pgDump: string;
  compression: Compression;
}

/**
 * Prepare: the connection, the options, the snapshot, the pg_dump of the server's major and a
 * writable store. The independent checks run at once; a failure is reported in a fixed order
 * (server, client, storage), whichever came first.
 */
async function prepare(
  options: DumpOptions,
  { reporter, known }: CommandRun,
): Promise<DumpPlan> {
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  // the agent and its children (pg_dump, pg_dumpall) all read this one libpq environment
  useLibpqEnv(libpqEnvOf(options.sourceUrl, '--source-url'));
  const jobs = parseJobs(options.jobs);
  const entity = options.entity ?? defaultEntity(process.env);
  const keys = newArtifactKeys(entity, runId, startedAt);
  const requested = options.compress
    ? parseCompression(options.compress)
    : undefined;
  // The connection and the client search start first: the S3 store loads the AWS SDK, tens of
  // milliseconds of CPU during which they are in flight instead of waiting.
  const opening = DumpSnapshot.open();
  const searching = findClients();
  let store: ArtifactStore;
  try {
    store = openStore(options.to);
  } catch (error) {
    opening.then(
      s => s.close(),
      () => {},
    );
    searching.catch(() => {});
    throw error;
  }
  const [snapshotOpened, clientsFound, storeChecked, sized] =
    await Promise.allSettled([
      opening,
      searching,
      store.check(),
      opening.then(s => s.sizes()),
    ]);
  const snapshot = settled(snapshotOpened);
  try {
    const sizes = settled(sized);
    const server = snapshot.server;
    known.serverVersion = server.version;
    const client = chooseClient(settled(clientsFound), server);
    known.pgDumpVersion = client.version;
    const pgDump = path.join(client.dir, 'pg_dump');
    const compression = requested ?? defaultCompression(client.major);
    reporter.log(`server ${server.version}, using ${pgDump} ${client.version}`);
    reporter.event({
      type: 'start',
      runId,
      entityRef: entity,
      serverVersion: server.version,
      serverMajor: server.major,
      pgDumpVersion: client.version,
      pgDumpPath: pgDump,
    });
    settled(storeChecked);
    return {
      runId,
      entity,
      startedAt,
      jobs,
      store,
      keys,
      snapshot,
      sizes,
      server,
      client,
      pgDump,
      compression,
    };
  } catch (error) {
    await snapshot.close();
    throw error;
  }
}

/** What the write step stored: the archive, its row counts and the roles. Not a backup yet. */
interface Written {
  archive: WrittenArchive;
  tables: Record<string, number>;
  globalsKey: string | null;
}

/**
 * Write: pg_dump's archive into the store, with the row counts and the roles read at the same
 * time in the dump's own snapshot. Each object written goes on `rollback`.
 */
async function write(
  plan: DumpPlan,
  options: DumpOptions,
  { reporter, signal }: CommandRun,
  rollback: Rollback,
): Promise<Written> {
  const { snapshot, sizes, store, keys, client, compression } = plan;
  const progress = new DumpProgress(reporter, sizes);
  try {
    // counted on the snapshot's own connection while pg_dump runs
    const tablesCounted = snapshot.rowCounts();
    tablesCounted.catch(() => {});
    // the roles, read while pg_dump runs rather than after it
    const roles =
      options.globals !== false
        ? dumpRoles(client, { passwords: options.rolePasswords, signal })
        : undefined;
    roles?.catch(() => {});
    const archive = await (plan.jobs > 1 ? dumpDirectory : dumpCustom)({
      pgDump: plan.pgDump,
      pgDumpArgs: [
        pgDumpCompressArg(compression, client.major),
        '--no-password',
        '--verbose', // its "dumping contents of table" lines drive the progress
        `--snapshot=${snapshot.id}`,
      ],
      jobs: plan.jobs,
      store,
      keys,
      expectedDumpBytes: expectedDumpBytes(sizes.databaseBytes, compression),
      progress,
      reporter,
      signal,
    });
    rollback.add(() => archive.remove());
    const tables = await tablesCounted.catch(error => {
      throw new AgentError(
        'dump',
        `counting rows in the dump's snapshot failed: ${error.message}`,
      );
    });
    progress.onBytes(archive.bytes);
    progress.finish();
    if (!roles) return { archive, tables, globalsKey: null };
    await store.putSmall(keys.globals, await roles);
    rollback.add(() => store.remove(keys.globals));
    return { archive, tables, globalsKey: store.keyOf(keys.globals) };
  } catch (error) {
    progress.stop();
    throw error;
  }
}

/** Commit: the manifest, written last, makes what was written a backup. */
async function commit(
  plan: DumpPlan,
  { archive, tables, globalsKey }: Written,
  { reporter }: CommandRun,
): Promise<ResultFacts> {
  const { store, keys, server, client } = plan;
  const manifest: Manifest = {
    formatVersion: 1,
    entityRef: plan.entity,
    runId: plan.runId,
    server: { version: server.version, major: server.major },
    pgDump: { version: client.version, major: client.major, path: plan.pgDump },
    format: archive.files ? 'directory' : 'custom',
    compression: describeCompression(plan.compression),
    bytes: archive.bytes,
    sha256: archive.sha256,
    ...(archive.files ? { files: archive.files, jobs: plan.jobs } : {}),
    dumpKey: store.keyOf(keys.dump),
    tables,
    globalsKey,
    startedAt: plan.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  await store.putSmall(keys.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  reporter.log(
    `done: ${archive.bytes} bytes, sha256 ${archive.sha256}, ${store.locationOf(
      keys.dump,
    )}`,
  );
  return {
    location: store.locationOf(keys.dump),
    manifest: store.locationOf(keys.manifest),
    key: store.keyOf(keys.dump),
    bytes: archive.bytes,
    sha256: archive.sha256,
    serverVersion: server.version,
    pgDumpVersion: client.version,
  };
}

/**
 * Dumps the database of the libpq environment with the pg_dump of its major into the store:
 * prepare (nothing written), write (the archive and the roles, each on one rollback list), commit
 * (the manifest, last: no manifest, no backup). Any failure undoes what was written.
 */
export async function dump(
  options: DumpOptions,
  run: CommandRun,
): Promise<ResultFacts> {
  const plan = await prepare(options, run);
  const rollback = new Rollback();
  try {
    return await commit(plan, await write(plan, options, run, rollback), run);
  } catch (error) {
    await rollback.run();
    throw error;
  } finally {
    await plan.snapshot.close();
  }
}
