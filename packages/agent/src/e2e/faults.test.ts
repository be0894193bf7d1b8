import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  createDatabase,
  testbedUp,
  TestbedInfo,
  s3Client,
} from '@backlot/testbed';
import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'pg';
import S3rver from 's3rver';
import { EXIT_CODES } from '../contract';
import { runAgent } from '../__testUtils__/runAgent';

jest.setTimeout(180_000);

/**
 * A TCP relay in front of the testbed's S3 server. `stop()` closes the listener and resets every
 * connection, which is what the agent sees when the S3 server dies mid-upload, while the server
 * behind it stays up so the test can look at what was left.
 */
async function s3Relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let bytesUp = 0;
  const server = net.createServer(client => {
    client.on('data', chunk => {
      bytesUp += chunk.length;
    });
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    bytesUp: () => bytesUp,
    stop() {
      server.close();
      for (const s of sockets) s.resetAndDestroy();
    },
  };
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(f => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

const sha256 = (file: string) =>
  createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('backlot-agent under storage faults', () => {
  let testbed: TestbedInfo;
  let s3: S3Client;
  let libpq: (database: string) => Record<string, string>;
  const s3Env = (endpoint = testbed.s3!.endpoint) => ({
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: testbed.s3!.region,
    AWS_ACCESS_KEY_ID: testbed.s3!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testbed.s3!.secretAccessKey,
  });
  const dump = (
    to: string,
    database: string,
    env: Record<string, string>,
    args: string[] = [],
  ) =>
    runAgent(
      [
        'dump',
        '--to',
        to,
        '--entity',
        'default/faults',
        '--compress',
        'none',
        '--events',
        ...args,
      ],
      { ...libpq(database), ...env },
    );

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true });
    libpq = database => ({
      PGHOST: testbed.host,
      PGPORT: String(testbed.ports['16']),
      PGUSER: testbed.user,
      PGPASSWORD: testbed.password,
      PGDATABASE: database,
      BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
    s3 = s3Client(testbed.s3!);
    // ~60 MB of text that does not compress away: several S3 parts, more than the small disk holds
    const client = new Client({
      connectionString: await createDatabase(16, 'backlot_faults_big'),
    });
    await client.connect();
    await client.query(`create table big (id int, a text, b text);
      insert into big select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text),
        md5((g * 17)::text) || md5((g * 19)::text) from generate_series(1, 350000) g;`);
    await client.end();
    await createDatabase(16, 'backlot_faults_small');
  });

  async function keysUnder(prefix: string) {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: testbed.s3!.bucket, Prefix: prefix }),
    );
    return (res.Contents ?? []).map(o => o.Key!).sort();
  }

  it('fails with exit 5 when the S3 server goes away mid-upload, writes no manifest and keeps the earlier backup', async () => {
    const prefix = `faults-${randomUUID()}`;
    const to = `s3://${testbed.s3!.bucket}/${prefix}`;
    const good = await dump(to, 'backlot_faults_small', s3Env());
    expect(good.code).toBe(EXIT_CODES.ok);
    const before = await keysUnder(prefix);
    expect(before.filter(k => k.endsWith('.manifest.json'))).toHaveLength(1);

    const url = new URL(testbed.s3!.endpoint);
    const relay = await s3Relay({ host: url.hostname, port: Number(url.port) });
    const runPromise = dump(to, 'backlot_faults_big', s3Env(relay.endpoint));
    // stop the server once more than the first part (8 MiB) has gone out
    while (relay.bytesUp() < 12 * 1024 * 1024) {
      await new Promise(r => setTimeout(r, 50));
    }
    relay.stop();
    const failed = await runPromise;
    expect(failed.code).toBe(EXIT_CODES.storage);
    expect(failed.result.status).toBe('failed');
    expect(failed.result.error.message).toMatch(
      /cannot (upload|write) s3:\/\/.*\.dump: cannot reach the S3 endpoint/,
    );
    // no new object: neither a dump nor a manifest; the good backup is whole
    expect(await keysUnder(prefix)).toEqual(before);
  });

  it('fails with exit 5 on wrong S3 credentials, naming them, against a server that checks them', async () => {
    // s3rver knows one access key (S3RVER) and rejects others; it does not check SigV4 signatures
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-s3rver-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'checked' }],
    });
    const { port } = await server.run();
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const run = await dump('s3://checked/p', 'backlot_faults_small', {
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY',
        AWS_SECRET_ACCESS_KEY: 'not-the-secret',
      });
      expect(run.code).toBe(EXIT_CODES.storage);
      expect(run.result.error.message).toMatch(
        /S3 rejected the credentials .*check AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/,
      );
      expect(run.stderr).not.toContain('not-the-secret');

      // the same server with the right keys takes the backup: the failure was the credentials
      const ok = await dump('s3://checked/p', 'backlot_faults_small', {
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      });
      expect(ok.result.error).toBeNull();
      expect(ok.code).toBe(EXIT_CODES.ok);
    } finally {
      await server.close();
    }
  });

  it('fails with exit 5 when the disk fills up, leaves no partial file and keeps the earlier backup', async () => {
    // a real, small file system: 4 MiB of tmpfs (CI runs as root on these machines)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    try {
      const to = pathToFileURL(dir).href;
      const good = await dump(to, 'backlot_faults_small', {});
      expect(good.code).toBe(EXIT_CODES.ok);
      const goodFile = fileURLToPath(good.result.location);
      const before = filesUnder(dir);

      const full = await dump(to, 'backlot_faults_big', {});
      expect(full.code).toBe(EXIT_CODES.storage);
      expect(full.result.error.message).toMatch(
        /cannot write file:\/\/.*\.dump: the disk is full/,
      );
      expect(filesUnder(dir)).toEqual(before);
      expect(sha256(goodFile)).toBe(good.result.sha256);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('fails a --jobs dump with exit 5 when BACKLOT_TMPDIR fills up, naming it, and stores nothing', async () => {
    // pg_dump --jobs writes the directory format locally first: 4 MiB of tmpfs cannot hold ~60 MB
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-fulltmp-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', tmpDir]);
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-jobs-'));
      const to = pathToFileURL(dir).href;
      const good = await dump(to, 'backlot_faults_small', {}, ['--jobs', '2']);
      expect(good.code).toBe(EXIT_CODES.ok);
      const before = filesUnder(dir);

      const full = await dump(
        to,
        'backlot_faults_big',
        { BACKLOT_TMPDIR: tmpDir },
        ['--jobs', '2'],
      );
      expect(full.code).toBe(EXIT_CODES.storage);
      expect(full.result.error.message).toContain(
        `the disk under ${tmpDir} is full`,
      );
      expect(full.result.error.message).toContain('BACKLOT_TMPDIR');
      expect(filesUnder(dir)).toEqual(before);
      expect(fs.readdirSync(tmpDir)).toEqual([]); // the partial directory is gone too
    } finally {
      execFileSync('umount', [tmpDir]);
    }
  });
});
