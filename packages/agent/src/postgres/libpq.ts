import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientConfig } from 'pg';
import * as pgpass from 'pgpass/lib/helper';
import { AgentError } from '../cli/errors';
import { LIBPQ_ENV_OF_KEYWORD, SSL_MODES, SslMode } from '../contract';

/** libpq keywords that have no environment variable, so they cannot reach the agent's children. */
const KEYWORDS_WITHOUT_ENV = new Set([
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'sslpassword',
  'sslkeylogfile',
]);

function envName(keyword: string, where: string): string | undefined {
  const name: string | undefined =
    LIBPQ_ENV_OF_KEYWORD[keyword as keyof typeof LIBPQ_ENV_OF_KEYWORD];
  if (name) return name;
  if (KEYWORDS_WITHOUT_ENV.has(keyword)) {
    throw new AgentError(
      'usage',
      `${where}: "${keyword}" cannot be passed on to pg_dump and pg_restore (libpq reads it from no environment variable); remove it`,
    );
  }
  throw new AgentError(
    'usage',
    `${where}: "${keyword}" is not a libpq connection parameter`,
  );
}

/** The lines of `[service]` in a pg_service.conf, parsed the way libpq does (no inline comments, no quoting). */
function readServiceSection(
  file: string,
  service: string,
): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // libpq passes over a service file it cannot read
  }
  let inSection = false;
  let found: Record<string, string> | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      if (found) inSection = false;
      else inSection = line === `[${service}]`;
      if (inSection) found = {};
      return;
    }
    if (!inSection) return;
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new AgentError(
        'usage',
        `syntax error in service file "${file}", line ${index + 1}`,
      );
    }
    const keyword = line.slice(0, eq);
    if (keyword === 'service') {
      throw new AgentError(
        'usage',
        `nested "service" specifications are not supported in service file "${file}", line ${
          index + 1
        }`,
      );
    }
    // the first value of a keyword wins, as in libpq
    found![keyword] ??= line.slice(eq + 1);
  });
  return found;
}

/** The parameters of a connection service, looked up where libpq looks (PGSERVICEFILE, ~/.pg_service.conf, PGSYSCONFDIR). */
export function serviceParameters(
  service: string,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const home = env.HOME || os.homedir();
  const files = [
    env.PGSERVICEFILE || path.join(home, '.pg_service.conf'),
    path.join(env.PGSYSCONFDIR || '/etc/postgresql-common', 'pg_service.conf'),
  ];
  for (const file of files) {
    const parameters = readServiceSection(file, service);
    if (parameters) return parameters;
  }
  throw new AgentError(
    'usage',
    `definition of service "${service}" not found (looked in ${files.join(
      ' and ',
    )})`,
  );
}

/** The keyword=value parameters of a postgresql:// URL, decoded; the URL itself is never repeated. */
function urlParameters(url: string, what: string): Record<string, string> {
  const notAUrl = new AgentError('usage', `${what} is not a postgresql:// URL`);
  const scheme = /^(postgres|postgresql):\/\//.exec(url);
  if (!scheme) throw notAUrl;
  const authority = url.slice(scheme[0].length).split(/[/?]/, 1)[0];
  if (authority.slice(authority.lastIndexOf('@') + 1).includes(',')) {
    throw new AgentError(
      'usage',
      `${what} names several hosts: backlot-agent connects to one; give the primary's`,
    );
  }
  let parsed: URL;
  try {
    // WHATWG URLs of unknown schemes keep the host as written; http gives host, port and [IPv6] parsing
    parsed = new URL(`http://${url.slice(scheme[0].length)}`);
  } catch {
    throw notAUrl;
  }
  const parameters: Record<string, string> = {};
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host) parameters.host = decodeURIComponent(host);
  if (parsed.port) parameters.port = parsed.port;
  const dbname = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (dbname) parameters.dbname = dbname;
  if (parsed.username) parameters.user = decodeURIComponent(parsed.username);
  if (parsed.password)
    parameters.password = decodeURIComponent(parsed.password);
  for (const [keyword, value] of parsed.searchParams) {
    // libpq's JDBC-style alias
    if (keyword === 'ssl' && value === 'true') parameters.sslmode = 'require';
    else parameters[keyword] = value;
  }
  return parameters;
}

function applyParameters(
  env: NodeJS.ProcessEnv,
  parameters: Record<string, string>,
  where: string,
) {
  for (const [keyword, value] of Object.entries(parameters)) {
    const name = envName(keyword, where);
    if (name) env[name] = value;
  }
}

/**
 * The libpq environment of a connection, flattened: a URL's parameters over its service's over the
 * environment's, which is libpq's precedence. The service is expanded and PGSERVICE dropped, so the
 * agent's own connection and its children's cannot disagree about where they connect.
 */
export function resolveLibpqEnv(
  base: NodeJS.ProcessEnv,
  url?: { url: string; what: string },
): NodeJS.ProcessEnv {
  const fromUrl = url ? urlParameters(url.url, url.what) : {};
  const service = fromUrl.service ?? base.PGSERVICE;
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.PGSERVICE;
  if (service) {
    applyParameters(
      env,
      serviceParameters(service, base),
      `service "${service}"`,
    );
  }
  delete fromUrl.service;
  applyParameters(env, fromUrl, url?.what ?? '');
  return env;
}

/** Makes `env` (from resolveLibpqEnv) the agent's own environment, which its children inherit. */
export function useLibpqEnv(env: NodeJS.ProcessEnv) {
  for (const name of Object.keys(process.env)) {
    if (!(name in env)) delete process.env[name];
  }
  Object.assign(process.env, env);
}

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
