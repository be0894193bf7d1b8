import { createHash } from 'node:crypto';
import { AgentError } from '../cli/errors';
import { openArtifact } from '../storage/openStore';
import { artifactKeysOf } from './layout';

/** One file of a directory-format dump (`dump --jobs N`), stored below `<run>.dump/`. */
export interface ArchiveFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** The commit marker written beside each dump. */
export interface Manifest {
  formatVersion: 1;
  entityRef: string;
  runId: string;
  server: { version: string; major: number };
  pgDump: { version: string; major: number; path: string };
  /** custom: one archive file; directory: pg_dump --jobs output, one object per file of `files` */
  format: 'custom' | 'directory';
  compression: string;
  /** the archive's size; for a directory, of all its files */
  bytes: number;
  /** the archive's sha256; for a directory, of its file list (see directoryDigest) */
  sha256: string;
  files?: ArchiveFile[];
  /** directory format: pg_dump's --jobs */
  jobs?: number;
  dumpKey: string;
  /** Rows per table, counted in the snapshot the dump was taken in. */
  tables?: Record<string, number>;
  /** Roles of the cluster (pg_dumpall --roles-only, without passwords), or null with --no-globals. */
  globalsKey?: string | null;
  startedAt: string;
  finishedAt: string;
}

/** The manifest's URL beside a dump's URL. */
export function manifestUrlOf(dumpUrl: string): string {
  return artifactKeysOf(dumpUrl).manifest;
}

/** What a result event says of a backup that was read: where it is and what its manifest records. */
export function manifestFacts(dumpUrl: string, manifest: Manifest) {
  return {
    location: dumpUrl,
    manifest: manifestUrlOf(dumpUrl),
    bytes: manifest.bytes,
    sha256: manifest.sha256,
    serverVersion: manifest.server.version,
    pgDumpVersion: manifest.pgDump.version,
  };
}

/** Reads the manifest of a dump; without it there is no backup to restore or verify. */
export async function readManifest(dumpUrl: string): Promise<Manifest> {
  const url = manifestUrlOf(dumpUrl);
  const { store, name } = openArtifact(url);
  const text = await store.readSmall(name);
  if (text === undefined) {
    throw new AgentError(
      'verification',
      `${url} does not exist: the dump was never committed, so it is not a backup`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AgentError(
      'verification',
      `${url} is not valid JSON (${
        (error as Error).message
      }): the backup cannot be trusted`,
    );
  }
}

/**
 * Size and sha256 of a directory-format dump: the sha256 of its `sha256sum`-style file list
 * ("<sha256>  <name>" lines sorted by name), so one value still stands for the whole archive.
 */
export function directoryDigest(files: ArchiveFile[]) {
  const list = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(f => `${f.sha256}  ${f.name}\n`)
    .join('');
  return {
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    sha256: createHash('sha256').update(list).digest('hex'),
  };
}
