import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CHUNK_BYTES, digestStream } from './digest';
import { AgentError, ioReason, ioReasonOfText } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { interruption } from '../cli/interrupt';
import { lastLines, relayLine, startPgTool } from '../postgres/pgTool';
import { ArchiveFile, directoryDigest } from './manifest';
import { DumpProgress } from '../cli/progress';
import { ArtifactStore } from '../storage/ArtifactStore';
import { ArtifactKeys } from './layout';

// The two ways `dump` writes pg_dump's archive into a store: streamed custom format (the default)
// and, for --jobs N, the directory format by way of a local folder.

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
    return new AgentError(
      'dump',
      `pg_dump failed (exit ${outcome.exit.code}): ${
        lastLines(outcome.stderr, 3) || 'no message'
      }`,
    );
  }
  return undefined;
}

/** What both ways of writing the archive need. */
export interface ArchiveTarget {
  pgDump: string;
  /** compression, connection and snapshot options shared by both formats */
  pgDumpArgs: string[];
  jobs: number;
  store: ArtifactStore;
  keys: ArtifactKeys;
  /** the most the dump can plausibly reach: sizes the S3 parts so the part limit is never hit */
  expectedDumpBytes: number;
  progress: DumpProgress;
  reporter: Reporter;
  signal: AbortSignal;
}

/** An archive written to the store and committed, but not yet a backup: the manifest makes it one. */
export interface WrittenArchive {
  bytes: number;
  sha256: string;
  /** directory format only */
  files?: ArchiveFile[];
  /** takes it out of the store again when a later step fails */
  remove(): Promise<void>;
}

/** Starts pg_dump; its --verbose lines feed the progress, and only what went wrong reaches the log. */
function startPgDump(
  target: ArchiveTarget,
  args: string[],
  stdout: 'pipe' | 'ignore',
) {
  return startPgTool(target.pgDump, args, {
    env: process.env,
    stdout,
    signal: target.signal,
    onStderrLine: line => {
      target.progress.onStderrLine(line);
      // --verbose narrates every step; a human needs only what went wrong
      if (/(error|warning|detail|hint):/i.test(line))
        target.reporter.log(relayLine('pg_dump', line));
    },
  });
}

/**
 * The custom format, written by pg_dump itself where the store is a local file (`--file`: no byte
 * passes through the agent, and the archive records its data offsets), else streamed from its
 * stdout through a sha256 into one object: no temp file either way.
 */
export async function dumpCustom(
  target: ArchiveTarget,
): Promise<WrittenArchive> {
  return target.store.openFile
    ? dumpCustomToFile(target, target.store.openFile.bind(target.store))
    : dumpCustomStreamed(target);
}

/** How often the size of a file pg_dump writes is read for progress. */
const PROGRESS_POLL_MS = 1000;

/**
 * pg_dump --file into the store's file. The sha256 is taken after pg_dump is done, from the page
 * cache: a seekable custom archive is rewritten at its head (the data offsets) as pg_dump ends.
 */
async function dumpCustomToFile(
  target: ArchiveTarget,
  openFile: NonNullable<ArtifactStore['openFile']>,
): Promise<WrittenArchive> {
  const { store } = target;
  const dumpKey = target.keys.dump;
  const file = await openFile(dumpKey);
  const pgDump = startPgDump(
    target,
    ['--format=custom', `--file=${file.path}`, ...target.pgDumpArgs],
    'ignore',
  );
  const sizeOfFile = () =>
    fsp.stat(file.path).then(
      s => s.size,
      () => 0,
    );
  const poll = setInterval(
    () => void sizeOfFile().then(bytes => target.progress.onBytes(bytes)),
    PROGRESS_POLL_MS,
  );
  const exit = await pgDump.exited.finally(() => clearInterval(poll));
  const stderr = pgDump.stderrTail();
  // pg_dump says why it could not write its file in the C library's words
  const outputFault =
    /could not (?:write to|open|close) output file[^:]*: (.+)$/m.exec(stderr);
  const failure = outputFault
    ? new AgentError(
        'storage',
        `cannot write ${store.locationOf(dumpKey)}: ${ioReasonOfText(
          outputFault[1],
        )}`,
      )
    : describeFailure({
        interrupted: interruption(target.signal),
        exit,
        bytes: await sizeOfFile(),
        stderr,
        location: store.locationOf(dumpKey),
      });
  if (!failure) {
    try {
      const digest = digestStream(undefined, 0);
      await pipeline(
        // large reads: the file is in the page cache, and each read is a system call
        fs.createReadStream(file.path, { highWaterMark: CHUNK_BYTES }),
        digest.stream,
        async source => {
          for await (const _ of source); // the digest is all that is wanted
        },
      );
      await file.commit();
      return {
        bytes: digest.bytes(),
        sha256: digest.sha256(),
        remove: () => store.remove(dumpKey),
      };
    } catch (error) {
      await file.abort();
      throw error instanceof AgentError
        ? error
        : new AgentError(
            'storage',
            `cannot read back ${store.locationOf(dumpKey)}: ${ioReason(error)}`,
          );
    }
  }
  await file.abort();
  throw failure;
}

/** pg_dump's stdout through a sha256 into the store's writer. */
async function dumpCustomStreamed(
  target: ArchiveTarget,
): Promise<WrittenArchive> {
  const { store } = target;
  const dumpKey = target.keys.dump;
  const writer = await store.openWriter(dumpKey, {
    expectedBytes: target.expectedDumpBytes,
  });
  const pgDump = startPgDump(
    target,
    ['--format=custom', ...target.pgDumpArgs],
    'pipe',
  );
  const counter = digestStream(
    bytes => target.progress.onBytes(bytes),
    writer.chunkBytes,
  );
  let streamError: unknown;
  await pipeline(pgDump.stdout!, counter.stream, writer.stream).catch(error => {
    streamError = error;
    pgDump.kill('SIGTERM');
  });
  const failure = describeFailure({
    interrupted: interruption(target.signal),
    streamError: streamError
      ? (await writer.failure()) ?? (streamError as Error)
      : undefined,
    exit: await pgDump.exited,
    bytes: counter.bytes(),
    stderr: pgDump.stderrTail(),
    location: store.locationOf(dumpKey),
  });
  if (failure) {
    await writer.abort();
    throw failure;
  }
  await writer.commit();
  return {
    bytes: counter.bytes(),
    sha256: counter.sha256(),
    remove: () => store.remove(dumpKey),
  };
}

/**
 * Runs `work` on every item, at most `limit` at a time. After the first failure no new item starts;
 * it is rethrown once the running ones have settled, so nothing is still writing during cleanup.
 */
async function eachAtMost<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  const queue = [...items];
  const failures: unknown[] = [];
  const worker = async () => {
    while (queue.length && !failures.length) {
      try {
        await work(queue.shift()!);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  if (failures.length) throw failures[0];
}

/** Files uploaded at a time from a directory-format dump: many small tables go faster, memory stays bounded. */
const UPLOADS_AT_ONCE = 4;

/**
 * The directory format of `pg_dump --jobs N`: pg_dump writes it into BACKLOT_TMPDIR (it cannot
 * stream), then each file goes through a sha256 into its own object below `<run>.dump/`. Costs
 * local disk of the compressed dump's size; buys N tables dumped and compressed at once.
 */
export async function dumpDirectory(
  target: ArchiveTarget,
): Promise<WrittenArchive> {
  const { store } = target;
  const dumpKey = target.keys.dump;
  const tmpRoot = process.env.BACKLOT_TMPDIR || os.tmpdir();
  const tmp = await fsp.mkdtemp(path.join(tmpRoot, 'backlot-dump-'));
  const dir = path.join(tmp, 'archive');
  const uploaded: string[] = [];
  const removeUploaded = async () => {
    for (const key of uploaded) await store.remove(key).catch(() => {});
    await store.remove(dumpKey).catch(() => {});
  };
  try {
    const pgDump = startPgDump(
      target,
      [
        '--format=directory',
        `--jobs=${target.jobs}`,
        `--file=${dir}`,
        ...target.pgDumpArgs,
      ],
      'ignore',
    );
    const exit = await pgDump.exited;
    const failure = describeFailure({
      interrupted: interruption(target.signal),
      exit,
      bytes: 0,
      stderr: pgDump.stderrTail(),
      location: dir,
    });
    if (failure) {
      if (/No space left on device/.test(pgDump.stderrTail())) {
        throw new AgentError(
          'storage',
          `the disk under ${tmpRoot} is full: dump --jobs writes the whole compressed dump there first; point BACKLOT_TMPDIR at a folder with more room, or dump with --jobs 1 (streams, no local copy)`,
        );
      }
      throw failure;
    }

    const names = (await fsp.readdir(dir)).sort();
    const files: ArchiveFile[] = [];
    let done = 0;
    const uploadOne = async (name: string) => {
      const key = target.keys.file(name);
      const file = path.join(dir, name);
      const writer = await store.openWriter(key, {
        expectedBytes: (await fsp.stat(file)).size,
      });
      const digest = digestStream(undefined, writer.chunkBytes);
      try {
        await pipeline(fs.createReadStream(file), digest.stream, writer.stream);
      } catch (error) {
        const reason = (await writer.failure()) ?? (error as Error);
        await writer.abort();
        throw reason instanceof AgentError
          ? reason
          : new AgentError(
              'storage',
              `cannot write ${store.locationOf(key)}: ${ioReason(reason)}`,
            );
      }
      await writer.commit();
      uploaded.push(key);
      files.push({ name, bytes: digest.bytes(), sha256: digest.sha256() });
      done += digest.bytes();
      target.progress.onBytes(done);
    };
    await eachAtMost(names, UPLOADS_AT_ONCE, async name => {
      if (target.signal.aborted) {
        throw new AgentError(
          'interrupted',
          `interrupted by ${interruption(target.signal)}; nothing was kept`,
        );
      }
      await uploadOne(name);
    });
    files.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { ...directoryDigest(files), files, remove: removeUploaded };
  } catch (error) {
    await removeUploaded();
    throw error;
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
