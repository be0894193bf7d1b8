import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readServerInfo } from '../connection';
import { DumpSnapshot } from '../snapshot';
import { DumpProgress } from '../progress';
import { dumpRoles } from '../globals';
import {
  defaultCompression,
  describeCompression,
  parseCompression,
  pgDumpCompressArg,
} from '../compression';
import { AgentError, ioReason } from '../errors';
import { digestStream } from '../digest';
import { Reporter } from '../events';
import { chooseClient, findClients } from '../pgClients';
import { openStore } from '../stores/openStore';

export interface DumpOptions {
  to: string;
  entity: string;
  runId?: string;
  compress?: string;
  /** commander's --no-globals sets this to false */
  globals?: boolean;
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

/** Why a dump did not produce a complete artifact, or undefined when it did. */
function describeFailure(outcome: {
  interrupted?: string;
  streamError?: Error;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  bytes: number;
  stderr: string;
  location: string;
}): AgentError | undefined {
  if (outcome.interrupted) {
    return new AgentError(
      'interrupted',
      `interrupted by ${outcome.interrupted} after ${outcome.bytes} bytes; nothing was kept`,
    );
  }
  if (outcome.streamError) {
    // the S3 store fails its stream with a storage error that already says what to fix
    if (outcome.streamError instanceof AgentError) return outcome.streamError;
    return new AgentError(
      'storage',
      `cannot write ${outcome.location}: ${ioReason(outcome.streamError)}`,
    );
  }
  if (outcome.exit.signal) {
    return new AgentError(
      'dump',
      `pg_dump was killed by ${outcome.exit.signal} after ${outcome.bytes} bytes; nothing was kept`,
    );
  }
  if (outcome.exit.code !== 0) {
    const tail = outcome.stderr.trim().split('\n').slice(-3).join(' | ');
    return new AgentError(
      'dump',
      `pg_dump failed (exit ${outcome.exit.code}): ${tail || 'no message'}`,
    );
  }
  return undefined;
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
  let versions: { serverVersion: string | null; pgDumpVersion: string | null } =
    {
      serverVersion: null,
      pgDumpVersion: null,
    };

  try {
    const base = artifactBase(options.entity, runId, startedAt);
    const requested = options.compress
      ? parseCompression(options.compress)
      : undefined;
    const store = openStore(options.to);
    const dumpKey = `${base}.dump`;
    const manifestKey = `${base}.manifest.json`;
    const globalsKey = `${base}.globals.sql`;
    const server = await readServerInfo();
    versions.serverVersion = server.version;
    const client = chooseClient(await findClients(), server);
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

    await store.check();
    snapshot = await DumpSnapshot.open();
    const sizes = await snapshot.sizes();
    const progress = new DumpProgress(reporter, sizes);
    // Counted on a second connection in the dump's own snapshot, while pg_dump runs.
    const tablesCounted = snapshot.rowCounts();
    tablesCounted.catch(() => {});
    // the roles, read while pg_dump runs rather than after it
    const roles = options.globals !== false ? dumpRoles(client) : undefined;
    roles?.catch(() => {});
    // Text COPY of binary-ish data can outgrow the database: twice its size bounds even an uncompressed dump.
    const writer = await store.openWriter(dumpKey, {
      expectedBytes: 2 * sizes.databaseBytes,
    });
    // The connection (password included) reaches pg_dump through its environment only.
    const child = spawn(
      pgDump,
      [
        '--format=custom',
        compressArg,
        '--no-password',
        '--verbose', // its "dumping contents of table" lines drive the progress
        `--snapshot=${snapshot.id}`,
      ],
      { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onAbort = () => child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      for (const line of chunk.split('\n').filter(Boolean)) {
        progress.onStderrLine(line);
        // --verbose narrates every step; a human needs only what went wrong
        if (/(error|warning|detail|hint):/i.test(line))
          reporter.log(`pg_dump: ${line}`);
      }
    });
    const exited = new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>(resolve =>
      child.on('close', (code, sig) => resolve({ code, signal: sig })),
    );
    const counter = digestStream(bytes => progress.onBytes(bytes));

    let streamError: unknown;
    await pipeline(child.stdout, counter.stream, writer.stream).catch(error => {
      streamError = error;
      child.kill('SIGTERM');
    });
    const exit = await exited;
    signal.removeEventListener('abort', onAbort);

    const failure = describeFailure({
      interrupted: signal.aborted
        ? String(signal.reason ?? 'a signal')
        : undefined,
      streamError: streamError
        ? (await writer.failure()) ?? (streamError as Error)
        : undefined,
      exit,
      bytes: counter.bytes(),
      stderr,
      location: store.locationOf(dumpKey),
    });
    if (failure) {
      await writer.abort();
      throw failure;
    }
    let tables: Record<string, number>;
    try {
      tables = await tablesCounted;
    } catch (error) {
      await writer.abort();
      throw new AgentError(
        'dump',
        `counting rows in the dump's snapshot failed: ${
          (error as Error).message
        }`,
      );
    }
    await writer.commit();
    progress.onBytes(counter.bytes());
    progress.finish();

    let globals: string | undefined;
    if (options.globals !== false) {
      try {
        await store.putSmall(globalsKey, await roles!);
        globals = store.keyOf(globalsKey);
      } catch (error) {
        await store.remove(dumpKey);
        throw error;
      }
    }

    const bytes = counter.bytes();
    const sha256 = counter.sha256();
    const manifest = {
      formatVersion: 1,
      entityRef: options.entity,
      runId,
      server: { version: server.version, major: server.major },
      pgDump: { version: client.version, major: client.major, path: pgDump },
      format: 'custom',
      compression: describeCompression(compression),
      bytes,
      sha256,
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
      await store.remove(dumpKey);
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
      ...ownResources(),
    });
  } catch (error) {
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
    });
    throw agentError;
  } finally {
    await snapshot?.close();
  }
}
