import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentError } from '../cli/errors';
import { LIBPQ_ENV_OF_KEYWORD } from '../contract';

// The libpq environment of a connection: a postgresql:// URL and a connection service flattened
// into PG* variables, as libpq ranks them, so the agent's own connection (clientConfig.ts) and its
// children (pg_dump, pg_restore) read one environment and cannot disagree about where they connect.

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

/** The libpq environment of a command's URL option (--source-url, --target-url, --scratch-url), else the agent's own. */
export function libpqEnvOf(
  url: string | undefined,
  what: string,
): NodeJS.ProcessEnv {
  return resolveLibpqEnv(process.env, url ? { url, what } : undefined);
}
