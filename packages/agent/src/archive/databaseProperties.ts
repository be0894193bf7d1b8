import { AgentError } from '../cli/errors';
import { ArchiveInput, entriesSql, TocEntry } from './archiveToc';
import { splitStatements, Token, tokenize } from '../postgres/sqlScript';

/**
 * The database's own properties as the archive holds them (`pg_restore --create` would apply
 * them): how it is created (encoding, locale, template), and what is set on it once it holds the
 * data (settings, comment, grants, security labels, role settings in it, owner).
 *
 * pg_restore can only apply them under the source's name. The agent restores into a database of
 * any name, so it takes pg_restore's own statements and puts the target's name where the source's
 * stands, token by token: a quoted role or a comment that happens to spell the name is left alone.
 */
export interface DatabaseProperties {
  /** the source database's name, as the archive spells it (a quoted identifier where needed) */
  sourceName: string;
  /** the database's encoding, e.g. UTF8 or LATIN1 */
  encoding?: string;
  /** CREATE DATABASE of the source, for any name, in words the target's major knows */
  createStatement(target: string, serverMajor: number): string;
  /** statements that set the database's properties, for any name; `owner` ones need the roles */
  propertyStatements(target: string): { sql: string; owner: boolean }[];
}

const DATABASE_DESCS = new Set(['DATABASE', 'DATABASE PROPERTIES']);

/** Whether a TOC entry is about the database itself (COMMENT/ACL/SECURITY LABEL say so in their tag). */
function isDatabaseEntry(entry: TocEntry) {
  return (
    DATABASE_DESCS.has(entry.desc) ||
    (['COMMENT', 'ACL', 'SECURITY LABEL'].includes(entry.desc) &&
      entry.rest.startsWith('- DATABASE '))
  );
}

/**
 * Reads the database's properties from the archive (`toc`, from readToc); undefined when it holds
 * none (a --no-create archive cannot be).
 */
export async function readDatabaseProperties(
  pgRestore: string,
  input: ArchiveInput,
  toc: TocEntry[],
  signal?: AbortSignal,
): Promise<DatabaseProperties | undefined> {
  const entries = toc.filter(isDatabaseEntry);
  if (!entries.length) return undefined;
  return parseDatabaseProperties(
    await entriesSql(pgRestore, input, entries, signal),
  );
}

/** The identifier token right after the word DATABASE, if the statement names a database there. */
function databaseNameToken(tokens: Token[]): Token | undefined {
  const at = tokens.findIndex(
    (t, i) =>
      t.kind === 'word' &&
      t.text.toUpperCase() === 'DATABASE' &&
      i + 1 < tokens.length &&
      (tokens[i + 1].kind === 'word' || tokens[i + 1].kind === 'ident'),
  );
  return at === -1 ? undefined : tokens[at + 1];
}

function quoteIdent(name: string) {
  return `"${name.replace(/"/g, '""')}"`;
}

export function parseDatabaseProperties(
  script: string,
): DatabaseProperties | undefined {
  const statements = splitStatements(script);
  const create = statements.find(s => /^CREATE DATABASE /i.test(s));
  if (!create) return undefined;
  const sourceToken = databaseNameToken(tokenize(create))!;
  const sourceName = sourceToken.text;

  /** The statement with the target's name where the source's stands, or undefined when it is not about the source. */
  const renamed = (sql: string, target: string) => {
    const tokens = tokenize(sql);
    const token = databaseNameToken(tokens);
    if (!token || token.text !== sourceName) return undefined;
    const next = tokens[tokens.indexOf(token) + 1];
    return {
      sql: `${sql.slice(0, token.start)}${quoteIdent(target)}${sql.slice(
        token.end,
      )}`,
      owner:
        /^ALTER DATABASE/i.test(sql) && next?.text.toUpperCase() === 'OWNER',
    };
  };
  const encoding = /\bENCODING = '([^']+)'/.exec(create)?.[1];
  const properties = statements.filter(
    s =>
      s !== create &&
      /^(ALTER DATABASE|COMMENT ON DATABASE|SECURITY LABEL|GRANT|REVOKE|ALTER ROLE)\b/i.test(
        s,
      ),
  );
  return {
    sourceName,
    encoding,
    createStatement: (target, serverMajor) => {
      const statement = renamed(create, target);
      if (!statement)
        throw new AgentError(
          'internal',
          `cannot read the archive's CREATE DATABASE: ${create}`,
        );
      // pg_dump 15+ names the provider even for an older source, where libc is the only one
      // there is; servers before 15 do not know the word (pg_restore --create fails on it too)
      return serverMajor < 15
        ? statement.sql.replace(/ LOCALE_PROVIDER = libc\b/, '')
        : statement.sql;
    },
    propertyStatements: target =>
      properties.flatMap(statement => renamed(statement, target) ?? []),
  };
}
