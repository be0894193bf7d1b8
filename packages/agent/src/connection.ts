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

/** A connected client for the libpq environment `env` (PGHOST, PGPASSWORD or PGPASSFILE, ...). */
export async function connect(
  env: NodeJS.ProcessEnv = process.env,
  database?: string,
): Promise<Client> {
  const client = new Client({
    host: env.PGHOST,
    port: env.PGPORT ? Number(env.PGPORT) : undefined,
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: database ?? env.PGDATABASE,
    ssl:
      env.PGSSLMODE && env.PGSSLMODE !== 'disable'
        ? { rejectUnauthorized: env.PGSSLMODE.startsWith('verify') }
        : undefined,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {}); // a dropped connection after the work is done is not our concern
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(error, {
      ...env,
      ...(database ? { PGDATABASE: database } : {}),
    });
  }
  return client;
}

/** The libpq environment of a postgres:// URL, so children get it without the URL in their argv. */
export function libpqEnvFromUrl(
  url: string,
  what = 'the target URL',
): Record<string, string> {
  // the URL itself is never repeated: it may hold a password
  const notAUrl = new AgentError('usage', `${what} is not a postgresql:// URL`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw notAUrl;
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) throw notAUrl;
  const env: Record<string, string> = {
    PGHOST: decodeURIComponent(parsed.hostname),
    PGPORT: parsed.port || '5432',
    PGDATABASE:
      decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (parsed.username) env.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

/** Connects through the libpq environment and reads the server's version. */
export async function readServerInfo(
  env: NodeJS.ProcessEnv = process.env,
  database?: string,
): Promise<ServerInfo> {
  const client = await connect(env, database);
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
