import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentError } from './errors';
import { PgClient } from './pgClients';

const run = promisify(execFile);

/**
 * The cluster's roles (`pg_dumpall --roles-only`), so a dump can be restored into a fresh server with
 * its owners and grants. Passwords are left out: a backup should not become a credential store.
 */
export async function dumpRoles(client: PgClient): Promise<string> {
  try {
    const { stdout } = await run(
      path.join(client.dir, 'pg_dumpall'),
      ['--roles-only', '--no-role-passwords', '--no-password'],
      { env: process.env, maxBuffer: 256 * 1024 * 1024 },
    );
    return stdout;
  } catch (error: any) {
    const message = String(error.stderr || error.message)
      .trim()
      .split('\n')
      .slice(-2)
      .join(' | ');
    throw new AgentError(
      'dump',
      `pg_dumpall --roles-only failed: ${message} (run with --no-globals to back up without roles)`,
    );
  }
}
