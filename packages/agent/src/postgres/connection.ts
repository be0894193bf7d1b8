import { Client, ClientConfig } from 'pg';
import { AgentError } from '../cli/errors';
import { clientConfig } from './clientConfig';

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
    sslmode: env.PGSSLMODE || 'prefer',
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
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new AgentError(
        'connection',
        `the server's certificate does not name "${t.host}" (${
          error.reason ?? error.message
        }): connect by a name the certificate holds, or use sslmode=verify-ca to check only who signed it`,
      );
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'CERT_REVOKED':
      return new AgentError(
        'connection',
        `cannot verify the certificate of ${t.where} (${error.code}: ${error.message}): set PGSSLROOTCERT (sslrootcert=) to the certificate of the CA that signed the server's`,
      );
    default:
      if (/does not support SSL/i.test(String(error?.message))) {
        return new AgentError(
          'connection',
          `${t.where} does not accept SSL connections, and sslmode=${t.sslmode} requires one: enable ssl on the server, or lower sslmode`,
        );
      }
      if (/client password must be/i.test(String(error?.message))) {
        return new AgentError(
          'auth',
          `${t.where} asks user "${t.user}" for a password and none is set: set PGPASSWORD, a line in the password file (PGPASSFILE or ~/.pgpass), or the URL's password`,
        );
      }
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

/** Errors of a first attempt that libpq's sslmode=allow/prefer answers by trying the other way. */
function encryptionRefused(error: any): boolean {
  return (
    /does not support SSL/i.test(String(error?.message)) ||
    error?.code === '28000' // pg_hba.conf has no entry for this encryption
  );
}

/**
 * A connected client for the libpq environment `env` (PGHOST, PGPASSWORD or PGPASSFILE, PGSSLMODE,
 * PGSSLROOTCERT, ...), connecting the way pg_dump would with the same environment.
 */
export async function connect(
  env: NodeJS.ProcessEnv = process.env,
  database?: string,
): Promise<Client> {
  const { config, fallback } = clientConfig(env, {
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    database,
  });
  const attempt = async (settings: ClientConfig) => {
    const client = new Client(settings);
    client.on('error', () => {}); // a dropped connection after the work is done is not our concern
    try {
      await client.connect();
    } catch (error) {
      // a failure inside authentication leaves the socket open, and the process alive until the
      // server's authentication_timeout
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  };
  try {
    try {
      return await attempt(config);
    } catch (error) {
      if (!fallback || !encryptionRefused(error)) throw error;
      return await attempt(fallback);
    }
  } catch (error) {
    throw connectionError(error, {
      ...env,
      ...(database ? { PGDATABASE: database } : {}),
    });
  }
}

/** Connects through the libpq environment and reads the server's version. */
export async function readServerInfo(
  env: NodeJS.ProcessEnv = process.env,
  database?: string,
): Promise<ServerInfo> {
  const client = await connect(env, database);
  try {
    return await serverInfoOf(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The version of the server `client` is connected to. */
export async function serverInfoOf(client: Client): Promise<ServerInfo> {
  const { rows } = await client.query(
    "select current_setting('server_version_num') as num, current_setting('server_version') as version",
  );
  const num = Number(rows[0].num);
  return {
    version: String(rows[0].version).split(' ')[0],
    major: Math.floor(num / 10000),
  };
}
