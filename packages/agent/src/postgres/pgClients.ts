import fs from 'node:fs';
import path from 'node:path';
import { AgentError } from '../cli/errors';
import { runPgTool } from './pgTool';

/** A directory holding pg_dump, pg_restore and psql of one PostgreSQL major. */
export interface PgClient {
  major: number;
  version: string;
  dir: string;
}

const SYSTEM_ROOT = '/usr/lib/postgresql';

/** Candidate bin dirs: BACKLOT_PG_BIN_DIRS first, then Debian's /usr/lib/postgresql/<major>/bin. */
export function candidateDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.BACKLOT_PG_BIN_DIRS ?? '').split(':').filter(Boolean);
  if (env.BACKLOT_PG_SYSTEM_BINS !== '0' && fs.existsSync(SYSTEM_ROOT)) {
    for (const entry of fs.readdirSync(SYSTEM_ROOT)) {
      dirs.push(path.join(SYSTEM_ROOT, entry, 'bin'));
    }
  }
  return [...new Set(dirs)];
}

export function parsePgVersion(
  output: string,
): { version: string; major: number } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return {
    version: match[2] ? `${match[1]}.${match[2]}` : match[1],
    major: Number(match[1]),
  };
}

/** The pg clients found, one per directory whose pg_dump answers --version. */
export async function findClients(
  env: NodeJS.ProcessEnv = process.env,
): Promise<PgClient[]> {
  const found: PgClient[] = [];
  for (const dir of candidateDirs(env)) {
    const pgDump = path.join(dir, 'pg_dump');
    if (!fs.existsSync(pgDump)) continue;
    try {
      const { exit, stdout } = await runPgTool(pgDump, ['--version'], {
        env: process.env,
      });
      const parsed = parsePgVersion(stdout.toString('utf8'));
      if (parsed && exit.code === 0) found.push({ ...parsed, dir });
    } catch {
      // a broken install is skipped, the others may still match
    }
  }
  return found.sort((a, b) => a.major - b.major);
}

/**
 * pg_dump reads servers of its own major and older ones, never newer: take the exact major,
 * else the nearest newer one, else say what to install.
 */
export function chooseClient(
  clients: PgClient[],
  server: { major: number; version: string },
): PgClient {
  const exact = clients.find(c => c.major === server.major);
  if (exact) return exact;
  const newer = clients
    .filter(c => c.major > server.major)
    .sort((a, b) => a.major - b.major)[0];
  if (newer) return newer;
  const found = clients.length
    ? clients.map(c => `${c.major} (${c.dir})`).join(', ')
    : 'none';
  throw new AgentError(
    'no_client',
    `no pg_dump for PostgreSQL ${server.major} (server ${server.version}): install postgresql-client-${server.major} (or newer) ` +
      `or add its bin directory to dbBackups.local.pgBinDirs / BACKLOT_PG_BIN_DIRS; found: ${found}`,
  );
}

/**
 * pg_restore must be at least as new as the pg_dump that wrote the archive; among those, the
 * target server's own major is preferred (its SET commands all exist there).
 */
export function chooseRestoreClient(
  clients: PgClient[],
  archive: { major: number },
  server: { major: number; version: string },
): PgClient {
  const readable = clients.filter(c => c.major >= archive.major);
  const exact = readable.find(c => c.major === server.major);
  if (exact) return exact;
  const nearest = readable.sort((a, b) => a.major - b.major)[0];
  if (nearest) return nearest;
  throw new AgentError(
    'no_client',
    `no pg_restore that reads archives of pg_dump ${
      archive.major
    }: install postgresql-client-${Math.max(archive.major, server.major)} ` +
      `or add its bin directory to BACKLOT_PG_BIN_DIRS; found: ${
        clients.map(c => c.major).join(', ') || 'none'
      }`,
  );
}
