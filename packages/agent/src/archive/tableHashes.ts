import { createHash, Hash } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AgentError } from '../cli/errors';
import { lastLines, startPgTool } from '../postgres/pgTool';

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^ ,()."]+)`;
const COPY_LINE = new RegExp(
  String.raw`^COPY (${IDENT}\.${IDENT}) +(?:\((.*)\) +)?FROM stdin;$`,
);
const COLUMN = new RegExp(IDENT, 'g');

/** Each table's content hash, and the columns its COPY lines list, in that order. */
export interface TableContents {
  hashes: Record<string, string>;
  columns: Record<string, string[]>;
}

/**
 * sha256 of each table's rows as COPY text, in the order they appear, read from a plain
 * data-only SQL script on the standard output of `command` (pg_restore -f - or pg_dump).
 * Both sides of a verify go through this one parser, so their hashes compare like for like.
 *
 * Columns are matched by name, not position: a restore may lay a table's columns out in another
 * order (an inheritance child gets its inherited columns first when it is recreated), which
 * changes nothing in the data. With `reference` (the other side's columns), each row's fields are
 * put in the reference's order before they are hashed, which costs a split only where the orders
 * differ.
 */
export async function tableHashes(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
  reference?: Record<string, string[]>,
): Promise<TableContents> {
  const tool = startPgTool(command, args, { env, signal });
  const contents: TableContents = { hashes: {}, columns: {} };
  let table: string | undefined;
  let hash: Hash | undefined;
  let permutation: number[] | undefined;
  for await (const line of createInterface({
    input: tool.stdout!,
    crlfDelay: Infinity,
  })) {
    if (hash) {
      if (line === '\\.') {
        contents.hashes[table!] = hash.digest('hex');
        hash = undefined;
      } else if (permutation) {
        // COPY text escapes tabs inside values, so a tab always separates fields
        const fields = line.split('\t');
        hash.update(permutation.map(i => fields[i]).join('\t')).update('\n');
      } else {
        hash.update(line).update('\n');
      }
      continue;
    }
    const copy = COPY_LINE.exec(line);
    if (copy) {
      table = copy[1];
      const columns = copy[2]?.match(COLUMN) ?? [];
      contents.columns[table] = columns;
      permutation = permutationTo(columns, reference?.[table]);
      hash = createHash('sha256');
    }
  }
  const { code } = await tool.exited;
  if (code !== 0) {
    throw new AgentError(
      'verification',
      `${path.basename(
        command,
      )} could not read the data (exit ${code}): ${lastLines(
        tool.stderrTail(),
        2,
      )}`,
    );
  }
  return contents;
}

/**
 * Where each of `target`'s columns sits in `columns`, or undefined when the order is already the
 * same or the two are not the same set of columns (then the hashes differ, as they should).
 */
function permutationTo(
  columns: string[],
  target: string[] | undefined,
): number[] | undefined {
  if (!target || target.length !== columns.length) return undefined;
  if (target.every((name, i) => columns[i] === name)) return undefined;
  const permutation = target.map(name => columns.indexOf(name));
  return permutation.includes(-1) ? undefined : permutation;
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
  archive: TableContents,
  restored: TableContents,
): string[] {
  return differingTables(
    archive.hashes,
    restored.hashes,
    (table, inArchive, after) => {
      if (!after) return `${table}: in the archive, missing after the restore`;
      if (!inArchive)
        return `${table}: not in the archive, present after the restore`;
      const before = [...archive.columns[table]].sort().join(', ');
      const now = [...restored.columns[table]].sort().join(', ');
      if (before !== now)
        return `${table}: columns differ (archive: ${before}; restored: ${now})`;
      return `${table}: content differs`;
    },
  );
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
