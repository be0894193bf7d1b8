import { Client } from 'pg';
import { ArchiveInput, entriesSql, TocEntry } from './archiveToc';
import { AgentError } from '../cli/errors';
import { splitStatements } from '../postgres/sqlScript';
import { ServerInfo } from '../postgres/connection';

/** What an archive needs of the server it is restored into, beyond a major that is new enough. */
export interface ArchiveNeeds {
  extensions: string[];
  /** C libraries, with the functions that name them */
  libraries: { library: string; usedBy: string[] }[];
  /** column compression methods other than pglz, with the columns that use them */
  compression: { method: string; usedBy: string[] }[];
}

const C_FUNCTION =
  /^CREATE (?:FUNCTION|PROCEDURE) (.+?\))[\s\S]*?\n\s+LANGUAGE c\b[\s\S]*?\n\s+AS '((?:[^']|'')*)', '/;
const SET_COMPRESSION =
  /^ALTER TABLE (?:ONLY )?(.+) ALTER COLUMN (.+) SET COMPRESSION (\S+);$/s;

function group(pairs: [string, string][]) {
  const byKey = new Map<string, string[]>();
  for (const [key, user] of pairs)
    byKey.set(key, [...(byKey.get(key) ?? []), user]);
  return [...byKey].map(([key, usedBy]) => ({ key, usedBy }));
}

/** Reads from the archive's table of contents (`toc`, from readToc) what the target server must provide. */
export async function readArchiveNeeds(
  pgRestore: string,
  input: ArchiveInput,
  toc: TocEntry[],
  signal?: AbortSignal,
): Promise<ArchiveNeeds> {
  const extensions = toc
    .filter(e => e.desc === 'EXTENSION')
    .map(e => e.rest.split(' ')[1]);
  const statements = splitStatements(
    await entriesSql(
      pgRestore,
      input,
      toc.filter(e => ['FUNCTION', 'PROCEDURE', 'TABLE'].includes(e.desc)),
      signal,
    ),
  );
  const libraries: [string, string][] = [];
  const compression: [string, string][] = [];
  for (const statement of statements) {
    const fn = C_FUNCTION.exec(statement);
    if (fn) libraries.push([fn[2].replace(/''/g, "'"), fn[1]]);
    const column = SET_COMPRESSION.exec(statement);
    if (column && column[3] !== 'pglz')
      compression.push([column[3], `${column[1]}.${column[2]}`]);
  }
  return {
    extensions: [...new Set(extensions)],
    libraries: group(libraries).map(g => ({
      library: g.key,
      usedBy: g.usedBy,
    })),
    compression: group(compression).map(g => ({
      method: g.key,
      usedBy: g.usedBy,
    })),
  };
}

const some = (names: string[]) =>
  names.length > 3
    ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
    : names.join(', ');

/**
 * What the server `client` is connected to lacks of `needs`, one line each, saying what to
 * install. Read-only, like pg_upgrade's checks: libraries are tried with LOAD, which lasts as
 * long as this session; compression methods with a SET that is rolled back.
 */
async function missingOnServer(
  client: Client,
  needs: ArchiveNeeds,
  serverMajor: number,
): Promise<string[]> {
  const problems: string[] = [];
  if (needs.extensions.length) {
    const { rows } = await client.query(
      'select name from pg_available_extensions where name = any($1)',
      [needs.extensions],
    );
    const available = new Set(rows.map(r => r.name));
    for (const name of needs.extensions.filter(n => !available.has(n))) {
      problems.push(
        `extension "${name}" is not installed on the server: install its package for PostgreSQL ${serverMajor} (contrib modules come with the server's contrib package)`,
      );
    }
  }
  if (needs.libraries.length) {
    const { rows } = await client.query(
      'select rolsuper from pg_roles where rolname = current_user',
    );
    if (!rows[0]?.rolsuper) {
      problems.push(
        `the backup has C functions (${some(
          needs.libraries.flatMap(l => l.usedBy),
        )}), which only a superuser can create: restore as a superuser`,
      );
    } else {
      for (const { library, usedBy } of needs.libraries) {
        try {
          await client.query(`load ${client.escapeLiteral(library)}`);
        } catch (error: any) {
          problems.push(
            `library "${library}" (used by ${some(usedBy)}) does not load: ${
              error.message
            }: install the library built for PostgreSQL ${serverMajor}`,
          );
        }
      }
    }
  }
  for (const { method, usedBy } of needs.compression) {
    await client.query('begin');
    try {
      await client.query(
        `set local default_toast_compression = ${client.escapeLiteral(method)}`,
      );
    } catch {
      problems.push(
        `column compression ${method} (used by ${some(
          usedBy,
        )}) is not supported by this server, which was built without it: restore into a server built --with-${method}, or set those columns to pglz on the source (ALTER TABLE … ALTER COLUMN … SET COMPRESSION pglz) and back up again`,
      );
    } finally {
      await client.query('rollback');
    }
  }
  return problems;
}

/**
 * Fails, before anything is written, when the server `client` is connected to (`where`, for the
 * message) cannot take the archive.
 */
export async function assertServerCanTake(
  client: Client,
  needs: ArchiveNeeds,
  server: ServerInfo,
  where: string,
) {
  const problems = await missingOnServer(client, needs, server.major);
  if (problems.length) {
    throw new AgentError(
      'incompatible_target',
      `${where} cannot take this backup, so nothing was restored: ${problems.join(
        '; ',
      )}`,
    );
  }
}
