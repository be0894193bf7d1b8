import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  MultipartUploadStream,
  partSizeFor,
  PARTS_IN_MEMORY,
} from '@backlot/agent';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';

/** Everything a measurement needs to reach the server, the pg clients, S3 and the agent. */
export interface BenchTarget {
  /** libpq environment of the server (password included; never on a command line). */
  libpq: Record<string, string>;
  /** pg_dump/psql of the server's major: the same ones the agent picks. */
  pgBinDir: string;
  /** AWS_* and BACKLOT_* variables for the agent. */
  agentEnv: Record<string, string>;
  /** the S3 server's process, whose CPU is charged to the backup it serves */
  s3ServerPid?: number;
  agentBin: string;
  s3Url: string;
  s3: { client: S3Client; bucket: string };
}

export interface Measured {
  seconds: number;
  bytes?: number;
  peakRssBytes?: number;
  /** the agent's own CPU seconds (pg_dump's not included) */
  agentCpuSeconds?: number;
  /** CPU seconds the S3 server spent meanwhile (it shares the machine) */
  s3ServerCpuSeconds?: number;
  /** CPU seconds the whole machine was busy meanwhile, every process and the kernel */
  machineCpuSeconds?: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return undefined;
  }
}

/** CPU seconds (all cores) the machine has been busy since boot: /proc/stat's first line less idle and iowait. */
function machineBusySeconds(): number {
  const [, ...ticks] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Starts counting the machine's busy CPU seconds; the returned function says how many since. */
export function machineCpuMeter(): () => number {
  const before = machineBusySeconds();
  return () => machineBusySeconds() - before;
}

/** Starts counting the S3 server's CPU seconds; the returned function says how many it spent since. */
function s3CpuMeter(target: BenchTarget): () => number | undefined {
  const before = cpuSecondsOf(target.s3ServerPid);
  return () => {
    const after = cpuSecondsOf(target.s3ServerPid);
    return before !== undefined && after !== undefined
      ? after - before
      : undefined;
  };
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ seconds: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', d => (stdout += d));
    child.stderr!.on('data', d => (stderr = (stderr + d).slice(-4000)));
    if (input !== undefined) child.stdin!.end(input);
    child.on('error', reject);
    child.on('close', code => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(
          new Error(
            `${path.basename(command)} exited ${code}: ${stderr.trim()}`,
          ),
        );
      } else {
        resolve({ seconds, stdout, stderr });
      }
    });
  });
}

/** Every user table of `database`, quoted, largest first. */
export async function userTables(client: Client): Promise<string[]> {
  const { rows } = await client.query(`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg_toast%'
    order by pg_total_relation_size(c.oid) desc`);
  return rows.map(r => r.name);
}

/** B0: `COPY … TO STDOUT` of every table, in one psql session, into /dev/null: reading the data and nothing else. */
export async function copyAll(
  target: BenchTarget,
  database: string,
  tables: string[],
): Promise<Measured> {
  const script = tables.map(t => `COPY ${t} TO STDOUT;`).join('\n');
  const { seconds } = await run(
    path.join(target.pgBinDir, 'psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', '-f', '-'],
    { ...target.libpq, PGDATABASE: database },
    script,
  );
  return { seconds };
}

/** B1 (compression none, to /dev/null) and B2 (the backup's compression, to a local file). */
export async function pgDumpToFile(
  target: BenchTarget,
  database: string,
  compression: string,
  toDevNull: boolean,
): Promise<Measured> {
  const file = toDevNull
    ? '/dev/null'
    : path.join(os.tmpdir(), `backlot-bench-${process.pid}.dump`);
  try {
    const { seconds } = await run(
      path.join(target.pgBinDir, 'pg_dump'),
      [
        '--format=custom',
        `--compress=${compression}`,
        '--no-password',
        // no fsync: /dev/null cannot, and B2 without it is the stricter baseline
        '--no-sync',
        `--file=${file}`,
      ],
      { ...target.libpq, PGDATABASE: database },
    );
    return { seconds, bytes: toDevNull ? undefined : fs.statSync(file).size };
  } finally {
    if (!toDevNull) fs.rmSync(file, { force: true });
  }
}

/**
 * B2s, the floor of any backup into this S3 server: B2's `pg_dump` piped straight into the agent's
 * multipart upload with its part size and buffers, in this process. No hash, no row counts, no roles, no
 * manifest: what storing the dump in S3 costs on this machine, before the engine adds anything.
 */
export async function pgDumpToS3(
  target: BenchTarget,
  database: string,
  compression: string,
  databaseBytes: number,
): Promise<Measured> {
  const key = `bench/floor-${process.pid}.dump`;
  const s3Cpu = s3CpuMeter(target);
  const started = process.hrtime.bigint();
  const child = spawn(
    path.join(target.pgBinDir, 'pg_dump'),
    ['--format=custom', `--compress=${compression}`, '--no-password'],
    {
      env: { ...process.env, ...target.libpq, PGDATABASE: database },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', d => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const upload = new MultipartUploadStream(
    target.s3.client,
    { Bucket: target.s3.bucket, Key: key },
    partSizeFor(databaseBytes),
    PARTS_IN_MEMORY,
  );
  try {
    const [code] = await Promise.all([exited, pipeline(child.stdout!, upload)]);
    if (code !== 0) throw new Error(`pg_dump exited ${code}: ${stderr.trim()}`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, s3ServerCpuSeconds: s3Cpu() };
  } finally {
    child.kill();
    await target.s3.client.send(
      new DeleteObjectCommand({ Bucket: target.s3.bucket, Key: key }),
    );
  }
}

/**
 * The product: `backlot-agent dump`, timed from process start to exit, into S3 (or a local folder,
 * to tell the engine's cost from the S3 server's); its artifact is removed after.
 */
export async function agentBackup(
  target: BenchTarget,
  database: string,
  entity: string,
  compression: string,
  into: 's3' | 'file' = 's3',
): Promise<Measured> {
  const env = { ...target.libpq, ...target.agentEnv, PGDATABASE: database };
  const to =
    into === 's3'
      ? target.s3Url
      : `file://${path.join(os.tmpdir(), `backlot-bench-${process.pid}`)}`;
  const s3Cpu = s3CpuMeter(target);
  const { seconds, stdout } = await run(
    process.execPath,
    [
      target.agentBin,
      'dump',
      '--to',
      to,
      '--entity',
      entity,
      '--compress',
      compression,
      '--events',
    ],
    env,
  );
  const s3ServerCpuSeconds = s3Cpu();
  const result = stdout
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line))
    .find(e => e.type === 'result');
  if (result?.status !== 'succeeded') {
    throw new Error(`backup failed: ${JSON.stringify(result?.error)}`);
  }
  await run(
    process.execPath,
    [target.agentBin, 'prune', '--from', result.location],
    env,
  );
  return {
    seconds,
    bytes: result.bytes,
    peakRssBytes: result.peakRssBytes,
    agentCpuSeconds: result.cpuSeconds,
    s3ServerCpuSeconds: into === 's3' ? s3ServerCpuSeconds : undefined,
  };
}
