import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientConfig } from 'pg';
import * as pgpass from 'pgpass/lib/helper';
import { AgentError } from '../cli/errors';
import { SSL_MODES, SslMode } from '../contract';

// node-pg settings for the agent's own connection (version check, snapshot, row counts) that
// connect where and how libpq would with the same environment: sslmode and its fallback, the CA,
// client certificates and CRL, the password file looked up only when the server asks.

export function sslModeOf(env: NodeJS.ProcessEnv): SslMode {
  const mode = env.PGSSLMODE || 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new AgentError(
      'usage',
      `invalid sslmode "${mode}": use one of ${SSL_MODES.join(', ')}`,
    );
  }
  return mode as SslMode;
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error: any) {
    if (error.code === 'ENOENT') return undefined;
    throw new AgentError('usage', `cannot read "${file}": ${error.message}`);
  }
}

function readRequired(file: string, what: string): Buffer {
  const contents = readIfExists(file);
  if (!contents) {
    throw new AgentError(
      'usage',
      `${what} "${file}" does not exist: check sslrootcert/PGSSLROOTCERT, sslcert/PGSSLCERT and sslkey/PGSSLKEY`,
    );
  }
  return contents;
}

/** How much of the server's certificate libpq checks: the chain, and with "full" also the host name. */
function verification(
  mode: SslMode,
  system: boolean,
  haveRootCert: boolean,
): 'none' | 'chain' | 'full' {
  if (mode === 'verify-full' || system) return 'full';
  // libpq checks the chain in every mode when a root certificate is at hand
  if (mode === 'verify-ca' || haveRootCert) return 'chain';
  return 'none';
}

/**
 * node-pg's TLS options for libpq's ssl* settings: the same root certificate, client certificate
 * and verification as pg_dump would use. `undefined` for sslmode=disable.
 */
function tlsOptions(
  env: NodeJS.ProcessEnv,
  mode: SslMode,
): ClientConfig['ssl'] | undefined {
  if (mode === 'disable') return undefined;
  const home = path.join(env.HOME || os.homedir(), '.postgresql');
  const rootcert = env.PGSSLROOTCERT || path.join(home, 'root.crt');
  const system = env.PGSSLROOTCERT === 'system';
  const ca = system ? undefined : readIfExists(rootcert);
  const verify = verification(mode, system, !!ca);
  if (verify !== 'none' && !system && !ca) {
    throw new AgentError(
      'usage',
      `sslmode=${mode} needs the CA's certificate, and root certificate file "${rootcert}" does not exist: set PGSSLROOTCERT (sslrootcert=) to it, use sslrootcert=system for the system's CAs, or use sslmode=require`,
    );
  }
  const certFile = env.PGSSLCERT || path.join(home, 'postgresql.crt');
  const cert = env.PGSSLCERT
    ? readRequired(certFile, 'client certificate file')
    : readIfExists(certFile);
  const keyFile = env.PGSSLKEY || path.join(home, 'postgresql.key');
  const key = cert ? readRequired(keyFile, 'client key file') : undefined;
  const crl = env.PGSSLCRL ? readRequired(env.PGSSLCRL, 'CRL file') : undefined;
  return {
    rejectUnauthorized: verify !== 'none',
    ...(ca ? { ca } : {}),
    ...(cert ? { cert, key } : {}),
    ...(crl ? { crl } : {}),
    // verify-ca trusts any name the CA signed; verify-full also checks it is the host's
    ...(verify === 'chain' ? { checkServerIdentity: () => undefined } : {}),
    // with hostaddr the certificate is checked against host, as libpq does
    ...(env.PGHOSTADDR && env.PGHOST ? { servername: env.PGHOST } : {}),
  };
}

/**
 * The password file's entry for a connection (PGPASSFILE or ~/.pgpass of `env`, not of the agent's own
 * environment), looked up only when the server asks for a password, as libpq does.
 */
function passwordFromFile(
  env: NodeJS.ProcessEnv,
  target: { host?: string; port?: number; database?: string; user?: string },
): () => Promise<string> {
  return () =>
    new Promise(resolve => {
      const file = pgpass.getFileName(env);
      fs.stat(file, (error, stats) => {
        if (error || !pgpass.usePgPass(stats, file)) {
          resolve('');
          return;
        }
        const host = target.host?.startsWith('/') ? 'localhost' : target.host;
        pgpass.getPassword(
          { ...target, host: host ?? 'localhost' },
          fs.createReadStream(file),
          password => resolve(password ?? ''),
        );
      });
    });
}

export interface LibpqClientConfig {
  /** node-pg's settings for the first attempt */
  config: ClientConfig;
  /** the settings of libpq's second attempt (sslmode allow/prefer), if the first one fails */
  fallback?: ClientConfig;
  sslmode: SslMode;
}

/** node-pg settings that connect the way libpq would with the (resolved) environment `env`. */
export function clientConfig(
  env: NodeJS.ProcessEnv,
  defaults: { connectTimeoutMs: number; database?: string },
): LibpqClientConfig {
  if (env.PGHOST?.includes(',')) {
    throw new AgentError(
      'usage',
      `PGHOST names several hosts ("${env.PGHOST}"): backlot-agent connects to one; give the primary's`,
    );
  }
  const sslmode = sslModeOf(env);
  const timeout = Number(env.PGCONNECT_TIMEOUT);
  const base: ClientConfig = {
    host: env.PGHOSTADDR || env.PGHOST,
    port: env.PGPORT ? Number(env.PGPORT) : undefined,
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: defaults.database ?? env.PGDATABASE,
    application_name: env.PGAPPNAME || 'backlot-agent',
    options: env.PGOPTIONS,
    connectionTimeoutMillis:
      timeout > 0 ? Math.max(timeout, 2) * 1000 : defaults.connectTimeoutMs,
  };
  if (base.password === undefined) {
    base.password = passwordFromFile(env, {
      host: base.host,
      port: base.port ?? 5432,
      database: base.database,
      user: base.user ?? env.USER,
    });
  }
  const tls = tlsOptions(env, sslmode);
  const plain = { ...base, ssl: false };
  const encrypted = { ...base, ssl: tls };
  switch (sslmode) {
    case 'disable':
      return { config: plain, sslmode };
    case 'allow':
      return { config: plain, fallback: encrypted, sslmode };
    case 'prefer':
      return { config: encrypted, fallback: plain, sslmode };
    default:
      return { config: encrypted, sslmode };
  }
}
