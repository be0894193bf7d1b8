import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentError } from './errors';
import { PgClient } from './pgClients';

const run = promisify(execFile);

/**
 * The cluster's roles (`pg_dumpall --roles-only`), so a dump can be restored into a fresh server with
 * its owners and grants. Passwords are left out unless asked for: a backup should not become a
 * credential store (and reading them needs a superuser).
 */
export async function dumpRoles(
  client: PgClient,
  options: { passwords?: boolean } = {},
): Promise<string> {
  try {
    const { stdout } = await run(
      path.join(client.dir, 'pg_dumpall'),
      [
        '--roles-only',
        ...(options.passwords ? [] : ['--no-role-passwords']),
        '--no-password',
      ],
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
      `pg_dumpall --roles-only failed: ${message} (${
        options.passwords
          ? 'role passwords need a superuser; drop --role-passwords, or '
          : ''
      }run with --no-globals to back up without roles)`,
    );
  }
}
