import { Reporter } from '../events';
import { manifestUrlOf } from '../manifest';
import { openArtifact } from '../stores/openStore';

/**
 * Deletes one backup: the manifest first, so that a crash half-way leaves an uncommitted dump
 * (never listed as a backup) rather than a manifest that points at nothing.
 */
export async function prune(options: { from: string }, reporter: Reporter) {
  manifestUrlOf(options.from); // refuses anything but a .dump
  const { store, name } = openArtifact(options.from);
  const base = name.slice(0, -'.dump'.length);
  for (const key of [`${base}.manifest.json`, name, `${base}.globals.sql`]) {
    await store.remove(key);
  }
  reporter.log(`deleted ${options.from} and its manifest`);
}
