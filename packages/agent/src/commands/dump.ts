import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { resolveLibpqEnv, useLibpqEnv } from '../postgres/libpq';
import { DumpSnapshot } from '../postgres/snapshot';
import { DumpProgress } from '../cli/progress';
import { dumpRoles } from '../postgres/roles';
import {
  Compression,
  defaultCompression,
  describeCompression,
  parseCompression,
  pgDumpCompressArg,
} from '../archive/compression';
import { AgentError } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { chooseClient, findClients } from '../postgres/pgClients';
import { openStore } from '../storage/openStore';
import { parseJobs } from '../cli/jobs';
import { dumpCustom, dumpDirectory } from '../archive/dumpArchive';

export interface DumpOptions {
  to: string;
  entity: string;
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

/** `<namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>`: one folder per entity and day (UTC). */
export function artifactBase(entity: string, runId: string, now: Date) {
  const [namespace, name, ...rest] = entity.split('/');
  if (
    !namespace ||
    !name ||
    rest.length ||
    /[^a-zA-Z0-9._-]/.test(namespace + name)
  ) {
    throw new AgentError(
      'usage',
      `--entity "${entity}" is not <namespace>/<name>`,
    );
  }
  if (!/^[a-zA-Z0-9-]+$/.test(runId)) {
    throw new AgentError(
      'usage',
      `--run-id "${runId}" may hold only letters, digits and dashes`,
    );
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${namespace}/${name}/${now.getUTCFullYear()}/${pad(
    now.getUTCMonth() + 1,
  )}/${pad(now.getUTCDate())}/${runId}`;
}

/** The agent's own peak memory and CPU (children excluded), for sizing runners and the benchmark. */
function ownResources() {
  const usage = process.resourceUsage();
  return {
    peakRssBytes: usage.maxRSS * 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  };
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
 * Dumps the database of the libpq environment with the pg_dump of its major into the store.
 * The manifest is written last: no manifest, no backup. Any failure removes what was written.
 */
export async function dump(
  options: DumpOptions,
  reporter: Reporter,
  signal: AbortSignal,
) {
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  let snapshot: DumpSnapshot | undefined;
  let progress: DumpProgress | undefined;
  let versions: { serverVersion: string | null; pgDumpVersion: string | null } =
    {
      serverVersion: null,
      pgDumpVersion: null,
    };

  try {
    // the agent and its children (pg_dump, pg_dumpall) all read this one libpq environment
    useLibpqEnv(
      resolveLibpqEnv(
        process.env,
        options.sourceUrl
          ? { url: options.sourceUrl, what: '--source-url' }
          : undefined,
      ),
    );
    const jobs = parseJobs(options.jobs);
    const base = artifactBase(options.entity, runId, startedAt);
    const requested = options.compress
      ? parseCompression(options.compress)
      : undefined;
    const store = openStore(options.to);
    const dumpKey = `${base}.dump`;
    const manifestKey = `${base}.manifest.json`;
    const globalsKey = `${base}.globals.sql`;
    // Independent start-up steps, at once; a failure is reported in this order, whichever came first.
    const [snapshotOpened, clientsFound, storeChecked] =
      await Promise.allSettled([
        DumpSnapshot.open(),
        findClients(),
        store.check(),
      ]);
    snapshot = settled(snapshotOpened);
    const server = snapshot.server;
    versions.serverVersion = server.version;
    const client = chooseClient(settled(clientsFound), server);
    versions = { serverVersion: server.version, pgDumpVersion: client.version };
    const pgDump = path.join(client.dir, 'pg_dump');
    const compression = requested ?? defaultCompression(client.major);
    const compressArg = pgDumpCompressArg(compression, client.major);
    reporter.log(`server ${server.version}, using ${pgDump} ${client.version}`);
    reporter.event({
      type: 'start',
      runId,
      entityRef: options.entity,
      serverVersion: server.version,
      serverMajor: server.major,
      pgDumpVersion: client.version,
      pgDumpPath: pgDump,
    });
    settled(storeChecked);
    const sizes = await snapshot.sizes();
    progress = new DumpProgress(reporter, sizes);
    let tables: Record<string, number>;
    // Counted on a second connection in the dump's own snapshot, while pg_dump runs.
    const tablesCounted = snapshot.rowCounts();
    tablesCounted.catch(() => {});
    // the roles, read while pg_dump runs rather than after it
    const roles =
      options.globals !== false
        ? dumpRoles(client, { passwords: options.rolePasswords })
        : undefined;
    roles?.catch(() => {});
    const pgDumpArgs = [
      compressArg,
      '--no-password',
      '--verbose', // its "dumping contents of table" lines drive the progress
      `--snapshot=${snapshot.id}`,
    ];
    const archive = await (jobs > 1 ? dumpDirectory : dumpCustom)({
      pgDump,
      pgDumpArgs,
      jobs,
      store,
      dumpKey,
      expectedDumpBytes: expectedDumpBytes(sizes.databaseBytes, compression),
      progress,
      reporter,
      signal,
    });
    try {
      tables = await tablesCounted;
    } catch (error) {
      await archive.remove();
      throw new AgentError(
        'dump',
        `counting rows in the dump's snapshot failed: ${
          (error as Error).message
        }`,
      );
    }
    progress.onBytes(archive.bytes);
    progress.finish();

    let globals: string | undefined;
    if (options.globals !== false) {
      try {
        await store.putSmall(globalsKey, await roles!);
        globals = store.keyOf(globalsKey);
      } catch (error) {
        await archive.remove();
        throw error;
      }
    }

    const { bytes, sha256 } = archive;
    const manifest = {
      formatVersion: 1,
      entityRef: options.entity,
      runId,
      server: { version: server.version, major: server.major },
      pgDump: { version: client.version, major: client.major, path: pgDump },
      format: archive.files ? 'directory' : 'custom',
      compression: describeCompression(compression),
      bytes,
      sha256,
      ...(archive.files ? { files: archive.files, jobs } : {}),
      dumpKey: store.keyOf(dumpKey),
      tables,
      globalsKey: globals ?? null,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    try {
      await store.putSmall(
        manifestKey,
        `${JSON.stringify(manifest, null, 2)}\n`,
      );
    } catch (error) {
      // a dump without its manifest is not a backup: do not leave one behind
      await archive.remove();
      if (globals) await store.remove(globalsKey);
      throw error;
    }
    reporter.log(
      `done: ${bytes} bytes, sha256 ${sha256}, ${store.locationOf(dumpKey)}`,
    );
    reporter.event({
      type: 'result',
      status: 'succeeded',
      location: store.locationOf(dumpKey),
      manifest: store.locationOf(manifestKey),
      key: store.keyOf(dumpKey),
      bytes,
      sha256,
      ...versions,
      error: null,
      errorsIgnored: null,
      ...ownResources(),
    });
  } catch (error) {
    progress?.stop();
    const agentError =
      error instanceof AgentError
        ? error
        : new AgentError(
            'internal',
            String((error as Error)?.message ?? error),
          );
    reporter.event({
      type: 'result',
      status: 'failed',
      location: null,
      manifest: null,
      key: null,
      bytes: null,
      sha256: null,
      ...versions,
      error: { code: agentError.code, message: agentError.message },
      errorsIgnored: null,
      ...ownResources(),
    });
    throw agentError;
  } finally {
    await snapshot?.close();
  }
}
