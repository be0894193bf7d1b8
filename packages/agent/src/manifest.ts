import { AgentError } from './errors';
import { openArtifact } from './stores/openStore';

/** The commit marker written beside each dump. */
export interface Manifest {
  formatVersion: 1;
  entityRef: string;
  runId: string;
  server: { version: string; major: number };
  pgDump: { version: string; major: number; path: string };
  format: 'custom';
  compression: string;
  bytes: number;
  sha256: string;
  dumpKey: string;
  /** Rows per table, counted in the snapshot the dump was taken in. */
  tables?: Record<string, number>;
  /** Roles of the cluster (pg_dumpall --roles-only, without passwords), or null with --no-globals. */
  globalsKey?: string | null;
  startedAt: string;
  finishedAt: string;
}

export function manifestUrlOf(dumpUrl: string): string {
  if (!dumpUrl.endsWith('.dump')) {
    throw new AgentError(
      'usage',
      `--from "${dumpUrl}" must be the URL of a .dump`,
    );
  }
  return `${dumpUrl.slice(0, -'.dump'.length)}.manifest.json`;
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
