import path from 'node:path';
import { Client } from 'pg';
import { AgentError } from '../cli/errors';
import { PgClient } from './pgClients';
import { exitOf, FinishedTool, lastLines, runPgTool } from './pgTool';

/**
 * The cluster's roles (`pg_dumpall --roles-only`), so a dump can be restored into a fresh server with
 * its owners and grants. Passwords are left out unless asked for: a backup should not become a
 * credential store (and reading them needs a superuser).
 */
export async function dumpRoles(
  client: PgClient,
  options: { passwords?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const failed = (why: string) =>
    new AgentError(
      'dump',
      `pg_dumpall --roles-only failed: ${why} (${
        options.passwords
          ? 'role passwords need a superuser; drop --role-passwords, or '
          : ''
      }run with --no-globals to back up without roles)`,
    );
  let finished: FinishedTool;
  try {
    finished = await runPgTool(
      path.join(client.dir, 'pg_dumpall'),
      [
        '--roles-only',
        ...(options.passwords ? [] : ['--no-role-passwords']),
        '--no-password',
        // the database being dumped, not "postgres": the backup user may connect only to its own,
        // and a password file entry may name it
        ...(process.env.PGDATABASE
          ? [`--database=${process.env.PGDATABASE}`]
          : []),
      ],
      { env: process.env, signal: options.signal },
    );
  } catch (error) {
    throw failed((error as Error).message); // it could not be started
  }
  const { exit, stdout, stderrTail } = finished;
  if (exit.code !== 0) throw failed(lastLines(stderrTail, 2) || exitOf(exit));
  return stdout.toString('utf8');
}

/** The statements of a SQL script, split at semicolons outside quotes; psql meta-commands dropped. */
export function sqlStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: "'" | '"' | undefined;
  for (const line of script.split('\n')) {
    if (!quote && (/^\s*\\/.test(line) || /^\s*--/.test(line))) continue;
    for (const ch of `${line}\n`) {
      if (quote) {
        if (ch === quote) quote = undefined; // a doubled quote closes and reopens: same result
      } else if (ch === "'" || ch === '"') {
        quote = ch;
      } else if (ch === ';') {
        if (current.trim()) statements.push(current.trim());
        current = '';
        continue;
      }
      current += ch;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

const IDENT = String.raw`("(?:[^"]|"")*"|[^\s;,"]+)`;
const unquote = (ident: string) =>
  ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident;

/** The roles a `pg_dumpall --roles-only` statement is about, or undefined for one that is not (SET …). */
function rolesOf(statement: string): string[] | undefined {
  const single = new RegExp(
    String.raw`^(?:CREATE ROLE|ALTER ROLE|COMMENT ON ROLE|SECURITY LABEL(?: FOR \S+)? ON ROLE)\s+${IDENT}`,
    'i',
  ).exec(statement);
  if (single) return [unquote(single[1])];
  // a membership: pg_dumpall writes keywords in upper case and quotes every name that is not lower
  // case, so the statement's lower-case or quoted words are its role names (and the grantor's)
  if (/^GRANT\s/i.test(statement)) {
    return [...statement.matchAll(new RegExp(IDENT, 'g'))]
      .map(m => m[1])
      .filter(word => word.startsWith('"') || word !== word.toUpperCase())
      .map(unquote);
  }
  return undefined;
}

/**
 * Creates the roles of a backup's globals file that the target server lacks, with their attributes,
 * settings, comments and memberships, in one transaction. Roles the server already has are left as
 * they are: a restore must not change (or reset the password of) a role other databases rely on.
 */
export async function createMissingRoles(
  client: Client,
  globalsSql: string,
): Promise<{ created: string[]; existing: string[] }> {
  const statements = sqlStatements(globalsSql)
    .map(sql => ({ sql, roles: rolesOf(sql) }))
    .filter(s => s.roles !== undefined) as { sql: string; roles: string[] }[];
  const inBackup = new Set(
    statements.filter(s => /^CREATE ROLE/i.test(s.sql)).flatMap(s => s.roles),
  );
  const { rows } = await client.query('select rolname from pg_roles');
  const present = new Set(rows.map(r => r.rolname as string));
  const created = [...inBackup].filter(role => !present.has(role));
  const missing = new Set(created);
  await client.query('begin');
  try {
    for (const { sql, roles } of statements) {
      if (!roles.some(role => missing.has(role))) continue;
      // the grantor of a membership is whoever restores it: the source's grantor may not exist here
      await client.query(
        sql.replace(
          new RegExp(String.raw`\s+GRANTED\s+BY\s+${IDENT}$`, 'i'),
          '',
        ),
      );
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw new AgentError(
      'restore',
      `creating the backup's roles (${created.join(', ')}) failed: ${
        (error as Error).message
      } (--roles needs a superuser or a role with CREATEROLE)`,
    );
  }
  return {
    created,
    existing: [...inBackup].filter(role => present.has(role)),
  };
}
