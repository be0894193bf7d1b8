import { spawn } from 'node:child_process';
import { createHash, Hash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { AgentError } from './errors';
import { killOnAbort } from './interrupt';

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^ ."]+)`;
const COPY_LINE = new RegExp(
  String.raw`^COPY (${IDENT}\.${IDENT}) .*FROM stdin;$`,
);

/**
 * sha256 of each table's rows as COPY text, in the order they appear, read from a plain
 * data-only SQL script on the standard output of `command` (pg_restore -f - or pg_dump).
 * Both sides of a verify go through this one parser, so their hashes compare like for like.
 */
export async function tableHashes(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnAbort(child, signal);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', chunk => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>(resolve =>
    child.on('close', code => resolve(code)),
  );
  const hashes: Record<string, string> = {};
  let table: string | undefined;
  let hash: Hash | undefined;
  for await (const line of createInterface({
    input: child.stdout,
    crlfDelay: Infinity,
  })) {
    if (hash) {
      if (line === '\\.') {
        hashes[table!] = hash.digest('hex');
        hash = undefined;
      } else {
        hash.update(line).update('\n');
      }
      continue;
    }
    const copy = COPY_LINE.exec(line);
    if (copy) {
      table = copy[1];
      hash = createHash('sha256');
    }
  }
  const code = await exited;
  if (code !== 0) {
    throw new AgentError(
      'verification',
      `${command
        .split('/')
        .pop()} could not read the data (exit ${code}): ${stderr
        .trim()
        .split('\n')
        .slice(-2)
        .join(' | ')}`,
    );
  }
  return hashes;
}

/** The tables whose values differ between two per-table maps, each described by `describe`. */
export function differingTables<T>(
  expected: Record<string, T>,
  actual: Record<string, T>,
  describe: (table: string, expected?: T, actual?: T) => string,
): string[] {
  return [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
    .filter(table => expected[table] !== actual[table])
    .map(table => describe(table, expected[table], actual[table]));
}

/** The tables whose content differs, as readable lines; empty when all agree. */
export function compareTableHashes(
  archive: Record<string, string>,
  restored: Record<string, string>,
): string[] {
  return differingTables(archive, restored, (table, inArchive, after) => {
    if (!after) return `${table}: in the archive, missing after the restore`;
    if (!inArchive)
      return `${table}: not in the archive, present after the restore`;
    return `${table}: content differs`;
  });
}

/** Fails verification (exit 6) when the restored data differs from `reference`. */
export function assertNoDifferences(reference: string, differences: string[]) {
  if (differences.length) {
    throw new AgentError(
      'verification',
      `the restored data differs from ${reference}: ${differences
        .slice(0, 5)
        .join('; ')}`,
    );
  }
}
