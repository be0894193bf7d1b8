import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  s3Client,
  startRecordingProxy,
  testbedUp,
  TestbedInfo,
} from '@backlot/testbed';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { EXIT_CODES } from '../contract';
import { runAgent } from '../__testUtils__/runAgent';
import { S3Store } from './S3Store';

jest.setTimeout(120_000);

describe('S3Store against the testbed S3 server', () => {
  let testbed: TestbedInfo;
  let env: Record<string, string>;
  let s3: S3Client;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true });
    const t = testbed.s3!;
    env = {
      AWS_ENDPOINT_URL_S3: t.endpoint,
      AWS_REGION: t.region,
      AWS_ACCESS_KEY_ID: t.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
    };
    s3 = s3Client(t);
  });

  /** What an agent dump of PostgreSQL 16's postgres database into the testbed's S3 needs. */
  const dumpEnv = () => ({
    ...env,
    PGHOST: testbed.host,
    PGPORT: String(testbed.ports['16']),
    PGUSER: testbed.user,
    PGPASSWORD: testbed.password,
    PGDATABASE: 'postgres',
    BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
    BACKLOT_PG_SYSTEM_BINS: '0',
  });

  async function objectKeys(prefix: string) {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: testbed.s3!.bucket, Prefix: prefix }),
    );
    return (res.Contents ?? []).map(o => o.Key!);
  }

  it('streams a multipart upload that round-trips byte for byte', async () => {
    const prefix = `t-${randomUUID()}`;
    const store = new S3Store(`s3://${testbed.s3!.bucket}/${prefix}`, {
      env,
      partSize: 5 * 1024 * 1024,
    });
    const data = randomBytes(12 * 1024 * 1024); // three parts
    const writer = await store.openWriter('a/b.dump');
    await pipeline(
      Readable.from([data.subarray(0, 7e6), data.subarray(7e6)]),
      writer.stream,
    );
    await writer.commit();
    expect(store.locationOf('a/b.dump')).toBe(
      `s3://${testbed.s3!.bucket}/${prefix}/a/b.dump`,
    );
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: `${prefix}/a/b.dump`,
      }),
    );
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );

    await store.putSmall('a/b.manifest.json', '{}');
    await store.remove('a/b.manifest.json');
    expect(await objectKeys(prefix)).toEqual([`${prefix}/a/b.dump`]);
  });

  it('leaves nothing behind when a writer is aborted mid-stream, the multipart upload included', async () => {
    const prefix = `t-${randomUUID()}`;
    // through a recording proxy: the wire shows the abort (the testbed's S3 cannot list uploads)
    const proxy = await startRecordingProxy(testbed.s3!.endpoint);
    try {
      const store = new S3Store(`s3://${testbed.s3!.bucket}/${prefix}`, {
        env: { ...env, AWS_ENDPOINT_URL_S3: proxy.url },
        partSize: 5 * 1024 * 1024,
      });
      const writer = await store.openWriter('x.dump');
      writer.stream.write(randomBytes(6 * 1024 * 1024));
      // the upload has started (its first part is on the way) before the abort
      while (!proxy.requests.some(r => /[?&]partNumber=1/.test(r.url)))
        await new Promise(r => setTimeout(r, 10));
      await writer.abort();
      // aborted by the time abort() returns
      const uploadId = /[?&]uploadId=([^&]+)/.exec(
        proxy.requests.find(r => /[?&]partNumber=1/.test(r.url))!.url,
      )![1];
      expect(
        proxy.requests.some(
          r => r.method === 'DELETE' && r.url.includes(`uploadId=${uploadId}`),
        ),
      ).toBe(true);
      expect(await objectKeys(prefix)).toEqual([]);
      // and the server no longer knows it
      await expect(
        s3.send(
          new UploadPartCommand({
            Bucket: testbed.s3!.bucket,
            Key: `${prefix}/x.dump`,
            UploadId: decodeURIComponent(uploadId),
            PartNumber: 2,
            Body: 'late',
          }),
        ),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    } finally {
      await proxy.close();
    }
  });

  it('sends no optional CRC32 checksums to an S3-compatible endpoint unless asked to', async () => {
    const proxy = await startRecordingProxy(testbed.s3!.endpoint);
    const checksumHeaders = (from: number) =>
      proxy.requests
        .slice(from)
        .filter(r => r.method === 'PUT')
        .map(r => Object.keys(r.headers).filter(h => /checksum/.test(h)));
    const upload = async (extraEnv: Record<string, string>) => {
      const from = proxy.requests.length;
      const store = new S3Store(
        `s3://${testbed.s3!.bucket}/t-${randomUUID()}`,
        {
          env: { ...env, AWS_ENDPOINT_URL_S3: proxy.url, ...extraEnv },
          partSize: 5 * 1024 * 1024,
        },
      );
      const writer = await store.openWriter('c.dump');
      await pipeline(
        Readable.from([randomBytes(6 * 1024 * 1024)]),
        writer.stream,
      );
      await writer.commit();
      await store.putSmall('c.manifest.json', '{}');
      return checksumHeaders(from);
    };
    try {
      // two parts and the manifest, none with a checksum header (R2 and older MinIO reject them)
      expect(await upload({})).toEqual([[], [], []]);
      // the SDK's own variable turns them back on, for servers that check them
      const asked = await upload({
        AWS_REQUEST_CHECKSUM_CALCULATION: 'when_supported',
      });
      expect(asked).toHaveLength(3);
      for (const headers of asked) {
        expect(headers).toContain('x-amz-checksum-crc32');
      }
      expect(
        () =>
          new S3Store(`s3://${testbed.s3!.bucket}/p`, {
            env: { ...env, AWS_REQUEST_CHECKSUM_CALCULATION: 'crc' },
          }),
      ).toThrow(
        'AWS_REQUEST_CHECKSUM_CALCULATION="crc" is not one of WHEN_SUPPORTED, WHEN_REQUIRED',
      );
    } finally {
      await proxy.close();
    }
  });

  it('names the missing bucket', async () => {
    const store = new S3Store(`s3://no-such-bucket-${Date.now()}/p`, { env });
    await expect(store.check()).rejects.toThrow(
      /bucket "no-such-bucket-\d+" does not exist/,
    );
  });

  it('backs up through the real agent into S3, manifest last, and prunes manifest first', async () => {
    const prefix = `e2e-${randomUUID()}`;
    // the order of the requests is what makes the manifest a commit marker: the wire shows it
    const proxy = await startRecordingProxy(testbed.s3!.endpoint);
    const agentEnv = { ...dumpEnv(), AWS_ENDPOINT_URL_S3: proxy.url };
    const extensionOf = (url: string) => url.split('?')[0].split('.').pop();
    // PutObject, or CreateMultipartUpload for a dump of more than one part
    const created = () =>
      proxy.requests
        .filter(
          r =>
            (r.method === 'PUT' && !/[?&]partNumber=/.test(r.url)) ||
            (r.method === 'POST' && /[?&]uploads=/.test(r.url)),
        )
        .map(r => extensionOf(r.url));
    const deleted = () =>
      proxy.requests
        .filter(r => r.method === 'DELETE')
        .map(r => extensionOf(r.url));
    try {
      const run = await runAgent(
        [
          'dump',
          '--to',
          `s3://${testbed.s3!.bucket}/${prefix}`,
          '--entity',
          'default/s3-db',
          '--events',
        ],
        agentEnv,
      );
      expect(run.code).toBe(EXIT_CODES.ok);
      expect(run.result.location).toMatch(
        new RegExp(
          `^s3://${testbed.s3!.bucket}/${prefix}/default/s3-db/.*\\.dump$`,
        ),
      );
      const key = run.result.location.replace(
        `s3://${testbed.s3!.bucket}/`,
        '',
      );
      const got = await s3.send(
        new GetObjectCommand({ Bucket: testbed.s3!.bucket, Key: key }),
      );
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(
        run.result.sha256,
      );
      expect((await objectKeys(prefix)).sort()).toEqual(
        ['.dump', '.globals.sql', '.manifest.json']
          .map(ext => key.replace('.dump', ext))
          .sort(),
      );
      // written: the dump, its roles, and the manifest last
      expect(created()).toEqual(['dump', 'sql', 'json']);

      const pruned = await runAgent(
        ['prune', '--from', run.result.location],
        agentEnv,
      );
      expect(pruned.code).toBe(EXIT_CODES.ok);
      // deleted: the manifest first, so a backup is never listed without its dump
      expect(deleted()[0]).toBe('json');
      expect(deleted()).toEqual(
        expect.arrayContaining(['json', 'dump', 'sql']),
      );
      expect(await objectKeys(prefix)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('fails a dump into a missing bucket with exit 5 and writes nothing', async () => {
    const run = await runAgent(
      [
        'dump',
        '--to',
        `s3://missing-bucket-${Date.now()}/p`,
        '--entity',
        'default/s3-db',
        '--events',
      ],
      dumpEnv(),
    );
    expect(run.code).toBe(EXIT_CODES.storage);
    expect(run.result.error.message).toContain('does not exist');
  });
});
