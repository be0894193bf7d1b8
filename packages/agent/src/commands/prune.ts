import fsp from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AgentError } from '../errors';
import { Reporter } from '../events';
import { manifestUrlOf } from '../manifest';

/**
 * Deletes one backup: the manifest first, so that a crash half-way leaves an uncommitted dump
 * (never listed as a backup) rather than a manifest that points at nothing.
 */
export async function prune(options: { from: string }, reporter: Reporter) {
  if (!options.from.startsWith('file://')) {
    throw new AgentError(
      'usage',
      `pruning ${options.from} is not supported yet; use a file:// artifact`,
    );
  }
  const dump = fileURLToPath(options.from);
  const manifest = fileURLToPath(manifestUrlOf(options.from));
  const globals = dump.replace(/\.dump$/, '.globals.sql');
  try {
    for (const file of [manifest, dump, globals]) {
      await fsp.rm(file, { force: true });
    }
  } catch (error) {
    throw new AgentError(
      'storage',
      `cannot delete ${options.from}: ${(error as Error).message}`,
    );
  }
  reporter.log(`deleted ${options.from} and its manifest`);
}
