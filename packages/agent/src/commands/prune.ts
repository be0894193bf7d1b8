import { CommandRun, ResultFacts } from '../cli/runCommand';
import { artifactKeysOf, isArchiveFileName } from '../archive/layout';
import { openArtifact } from '../storage/openStore';

/**
 * The files of a directory-format dump, from its manifest (none when there is no readable one).
 * Only names pg_dump writes: a doctored manifest must not make prune delete outside the dump.
 */
function filesOf(manifestText: string | undefined): string[] {
  try {
    const files = manifestText ? JSON.parse(manifestText).files : undefined;
    return Array.isArray(files)
      ? files.map(f => String(f?.name)).filter(isArchiveFileName)
      : [];
  } catch {
    return [];
  }
}

export interface PruneOptions {
  from: string;
  events?: boolean;
}

/**
 * Deletes one backup: the manifest first, so that a crash half-way leaves an uncommitted dump
 * (never listed as a backup) rather than a manifest that points at nothing.
 */
export async function prune(
  options: PruneOptions,
  { reporter }: CommandRun,
): Promise<ResultFacts> {
  const urls = artifactKeysOf(options.from); // refuses anything but a .dump
  const { store, name } = openArtifact(options.from);
  const keys = artifactKeysOf(name);
  const files = filesOf(await store.readSmall(keys.manifest));
  await store.remove(keys.manifest);
  for (const file of files) await store.remove(keys.file(file));
  // the dump itself (for a directory-format dump, its now empty folder) and the roles
  for (const key of [keys.dump, keys.globals]) await store.remove(key);
  reporter.log(`deleted ${options.from} and its manifest`);
  return { location: urls.dump, manifest: urls.manifest };
}
