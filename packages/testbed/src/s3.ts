import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  HOST,
  PACKAGE_DIR,
  S3_ACCESS_KEY_ID,
  S3_BUCKET,
  S3_REGION,
  S3_SECRET_ACCESS_KEY,
  s3Port,
  stateDir,
} from './config';
import { log } from './exec';
import { TestbedS3 } from './types';

export function s3Info(): TestbedS3 {
  return {
    endpoint: `http://${HOST}:${s3Port()}`,
    bucket: S3_BUCKET,
    region: S3_REGION,
    accessKeyId: S3_ACCESS_KEY_ID,
    secretAccessKey: S3_SECRET_ACCESS_KEY,
    forcePathStyle: true,
  };
}

export function s3Client(info: TestbedS3 = s3Info()): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
    },
    maxAttempts: 1,
  });
}

function s3Dir(): string {
  return path.join(stateDir(), 's3');
}

function pidFile(): string {
  return path.join(s3Dir(), 'pid');
}

/** True when the endpoint answers and holds the test bucket. */
export async function probeS3(timeoutMs = 3000): Promise<boolean> {
  const client = s3Client();
  try {
    await client.send(new HeadBucketCommand({ Bucket: S3_BUCKET }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

function readPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Guards against pid reuse: only a process that is our S3 server gets signalled. */
function isOurServer(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('s3-serve');
  } catch {
    return false;
  }
}

/**
 * Starts the in-memory S3 server in a detached node process (it must outlive the CLI call that started it)
 * unless one already answers. fauxqs keeps objects in memory: a restart empties the bucket.
 */
export async function ensureS3(): Promise<TestbedS3> {
  if (await probeS3()) return s3Info();
  const old = readPid();
  if (old && isOurServer(old)) {
    // Alive but not answering (wedged, or mid start-up of a crashed run): replace it.
    process.kill(old, 'SIGKILL');
  }
  fs.mkdirSync(s3Dir(), { recursive: true });
  fs.rmSync(pidFile(), { force: true });
  const logFile = path.join(s3Dir(), 's3.log');
  const out = fs.openSync(logFile, 'a');
  log(`S3: starting fauxqs on ${HOST}:${s3Port()}`);
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      path.join(PACKAGE_DIR, 'bin', 'testbed'),
      's3-serve',
      '--port',
      String(s3Port()),
      '--bucket',
      S3_BUCKET,
      '--pid-file',
      pidFile(),
    ],
    { detached: true, stdio: ['ignore', out, out], cwd: s3Dir() },
  );
  child.unref();
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', code => {
    exited = code;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (fs.existsSync(pidFile()) && (await probeS3())) return s3Info();
    await new Promise(r => setTimeout(r, 150));
  }
  const tail = fs
    .readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .slice(-15)
    .join('\n');
  throw new Error(
    `S3 server did not come up on port ${s3Port()} (exit ${
      exited ?? 'none'
    })\n${tail}`,
  );
}

export async function stopS3(): Promise<boolean> {
  const pid = readPid();
  fs.rmSync(pidFile(), { force: true });
  if (!pid || !isOurServer(pid)) return false;
  log('S3: stopping');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && isOurServer(pid); i++)
    await new Promise(r => setTimeout(r, 100));
  if (isOurServer(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/** The body of the detached server process (`testbed s3-serve`). */
export async function serveS3(opts: {
  port: number;
  bucket: string;
  pidFile?: string;
}): Promise<void> {
  // fauxqs is ESM-only; a dynamic import keeps the rest of the package loadable as CommonJS (jest, tsx).
  const { buildApp } = await import('fauxqs');
  // buildApp rather than startFauxqs: the latter always listens on 0.0.0.0.
  const app = buildApp({ logger: false, defaultRegion: S3_REGION });
  await app.listen({ port: opts.port, host: HOST });
  const client = s3Client({
    ...s3Info(),
    endpoint: `http://${HOST}:${opts.port}`,
  });
  await client.send(new CreateBucketCommand({ Bucket: opts.bucket }));
  client.destroy();
  if (opts.pidFile) fs.writeFileSync(opts.pidFile, String(process.pid));
  process.stderr.write(
    `[testbed s3] listening on http://${HOST}:${opts.port}, bucket ${opts.bucket}\n`,
  );
  const stop = () => {
    app.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
