import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  RecordedRequest,
  s3Client,
  startRecordingProxy,
  testbedUp,
  TestbedInfo,
} from '@backlot/testbed';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import {
  databaseEntity,
  seededDatabase,
  waitForRun,
} from './__testUtils__/fixtures';

jest.setTimeout(300_000);

describe('db-backups backend with dbBackups.storage.type s3', () => {
  let testbed: TestbedInfo;
  let s3: S3Client;
  let server: Parameters<typeof request>[0];
  let stop: () => Promise<void>;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  const prefix = `backend-${randomUUID()}`;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true });
    const t = testbed.s3!;
    s3 = s3Client(t);
    // the agent talks to S3 through this proxy, which shows the encryption headers it sends
    proxy = await startRecordingProxy(t.endpoint);
    const source = await seededDatabase(16, 'backlot_plugin_s3');
    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        catalogServiceMock.factory({
          entities: [
            databaseEntity('s3-db', {
              'backlot.dev/connection': 'pg16',
              'backlot.dev/retention': 'keep=1',
            }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              connections: { pg16: source.connection },
              // the testbed's user is a superuser, who may read password hashes
              roles: { passwords: true },
              // for entities without backlot.dev/compression
              compression: 'gzip:2',
              storage: {
                type: 's3',
                s3: {
                  bucket: t.bucket,
                  prefix: `/${prefix}/`,
                  region: t.region,
                  endpoint: proxy.url,
                  forcePathStyle: true,
                  serverSideEncryption: 'aws:kms',
                  kmsKeyId: 'alias/backlot-backups',
                  credentials: {
                    accessKeyId: t.accessKeyId,
                    secretAccessKey: t.secretAccessKey,
                  },
                },
              },
              local: {
                pgBinDirs: Object.values(testbed.pgBin),
                searchSystemBinDirs: false,
              },
              verify: { scratchConnection: 'pg16' },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
    await proxy?.close();
  });

  async function keys() {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: testbed.s3!.bucket, Prefix: prefix }),
    );
    return (res.Contents ?? []).map(o => o.Key!).sort();
  }

  async function post(body: object) {
    const res = await request(server).post('/api/db-backups/runs').send(body);
    expect(res.status).toBe(202);
    return waitForRun(server, res.body.id);
  }

  it('backs up into the bucket, verifies from it and prunes in it', async () => {
    const first = await post({
      entityRef: 'resource:default/s3-db',
      kind: 'backup',
    });
    expect(first).toMatchObject({ status: 'succeeded', error: null });
    expect(first.artifact).toMatchObject({ store: 's3' });
    expect(first.artifact!.location).toMatch(
      new RegExp(
        `^s3://${
          testbed.s3!.bucket
        }/${prefix}/default/s3-db/\\d{4}/\\d{2}/\\d{2}/${first.id}\\.dump$`,
      ),
    );
    const key = first.artifact!.location.replace(
      `s3://${testbed.s3!.bucket}/`,
      '',
    );
    const object = await s3.send(
      new GetObjectCommand({ Bucket: testbed.s3!.bucket, Key: key }),
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);
    // dbBackups.compression applies to an entity without its own annotation
    const manifest = await s3.send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: key.replace(/\.dump$/, '.manifest.json'),
      }),
    );
    expect(
      JSON.parse(await manifest.Body!.transformToString()).compression,
    ).toBe('gzip:2');
    // dbBackups.roles.passwords: the roles beside the dump keep their hashes (never clear text)
    const roles = await s3.send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: key.replace(/\.dump$/, '.globals.sql'),
      }),
    );
    expect(await roles.Body!.transformToString()).toMatch(
      /PASSWORD '(SCRAM-SHA-256\$|md5)/,
    );

    const verified = await post({
      entityRef: 'resource:default/s3-db',
      kind: 'verify',
      runId: first.id,
    });
    expect(verified).toMatchObject({ status: 'succeeded', error: null });

    // keep=1: the second backup lets the first go, in S3 as well
    const second = await post({
      entityRef: 'resource:default/s3-db',
      kind: 'backup',
    });
    expect(second.status).toBe('succeeded');
    let firstNow = (
      await request(server).get(`/api/db-backups/runs/${first.id}`)
    ).body;
    for (let i = 0; i < 100 && !firstNow.prunedAt; i++) {
      await new Promise(r => setTimeout(r, 100));
      firstNow = (await request(server).get(`/api/db-backups/runs/${first.id}`))
        .body;
    }
    expect(firstNow.prunedAt).not.toBeNull();
    const secondKey = second.artifact!.location.replace(
      `s3://${testbed.s3!.bucket}/`,
      '',
    );
    expect(await keys()).toEqual(
      ['.dump', '.globals.sql', '.manifest.json']
        .map(ext => secondKey.replace(/\.dump$/, ext))
        .sort(),
    );

    // dbBackups.storage.s3.serverSideEncryption/kmsKeyId reach S3 on every request that creates
    // an object (PutObject, CreateMultipartUpload), and only there: dump, roles and manifest alike
    const creates = (r: RecordedRequest) =>
      r.url.includes(prefix) &&
      ((r.method === 'PUT' && !/[?&]partNumber=/.test(r.url)) ||
        (r.method === 'POST' && /[?&]uploads(=|&|$)/.test(r.url)));
    const created = proxy.requests.filter(creates);
    expect(created.map(r => r.url.split('?')[0].split('.').pop())).toEqual(
      expect.arrayContaining(['dump', 'sql', 'json']),
    );
    for (const r of created) {
      expect(r.headers).toMatchObject({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'alias/backlot-backups',
      });
    }

    // the S3 secret appears in no API answer
    const history = await request(server).get(
      '/api/db-backups/runs?entityRef=resource:default/s3-db',
    );
    expect(JSON.stringify(history.body)).not.toContain(
      testbed.s3!.secretAccessKey,
    );
  });
});
