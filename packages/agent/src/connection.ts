import { Client } from 'pg';
import { AgentError } from './errors';

export interface ServerInfo {
  version: string;
  major: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Where libpq would connect, for messages; never includes the password. */
export function describeTarget(env: NodeJS.ProcessEnv = process.env) {
  const host = env.PGHOST || 'localhost';
  const port = env.PGPORT || '5432';
  return {
    host,
    port,
    user: env.PGUSER || env.USER || 'postgres',
    database: env.PGDATABASE || env.PGUSER || 'postgres',
    where: `${host}:${port}`,
  };
}

/** Turns a connection failure into a message that names the cause and what to check. */
export function connectionError(
  error: any,
  env: NodeJS.ProcessEnv = process.env,
): AgentError {
  const t = describeTarget(env);
  switch (error?.code) {
    case '28P01':
      return new AgentError(
        'auth',
        `password authentication failed for user "${t.user}" on ${t.where}: check the password of this connection`,
      );
    case '28000':
      return new AgentError(
        'auth',
        `${t.where} refused user "${t.user}": ${error.message} (check pg_hba.conf and the user name)`,
      );
    case '3D000':
      return new AgentError(
        'connection',
        `database "${t.database}" does not exist on ${t.where}: check the database name of this connection`,
      );
    case 'ECONNREFUSED':
      return new AgentError(
        'connection',
        `cannot connect to ${t.where}: connection refused (is the server running, and are host and port right?)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AgentError(
        'connection',
        `cannot connect to ${t.where}: host "${t.host}" cannot be resolved`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new AgentError(
        'connection',
        `cannot connect to ${t.where}: host unreachable`,
      );
    default:
      if (/timeout/i.test(String(error?.message))) {
        return new AgentError(
          'connection',
          `cannot connect to ${t.where}: no answer within ${
            CONNECT_TIMEOUT_MS / 1000
          } s (firewall, wrong host, or server down?)`,
        );
      }
      return new AgentError(
        'connection',
        `cannot connect to ${t.where} as "${t.user}": ${
          error?.message ?? error
        }`,
      );
  }
}

/** Connects through the libpq environment (PGHOST, PGPASSWORD or PGPASSFILE, ...) and reads the version. */
export async function readServerInfo(): Promise<ServerInfo> {
  const client = new Client({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {}); // a dropped connection after the query is not our concern
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(error);
  }
  try {
    const { rows } = await client.query(
      "select current_setting('server_version_num') as num, current_setting('server_version') as version",
    );
    const num = Number(rows[0].num);
    return {
      version: String(rows[0].version).split(' ')[0],
      major: Math.floor(num / 10000),
    };
  } finally {
    await client.end().catch(() => {});
  }
}
