import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  RecordedRequest,
  s3Client,
  startRecordingProxy,
  testbedUp,
  TestbedInfo,
} from '@backlot/testbed';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultipartUploadStream } from './multipartUpload';
import { createS3Client } from './S3Store';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;

const isPart = (r: RecordedRequest) => /[?&]partNumber=/.test(r.url);
const isPut = (r: RecordedRequest) => r.method === 'PUT' && !isPart(r);

/** In front of the testbed's S3: part uploads held a while, so the writer has to wait for a buffer. */
const slowPartsProxy = (endpoint: string) =>
  startRecordingProxy(endpoint, { delay: r => (isPart(r) ? 50 : 0) });

/** Chunks of uneven sizes, as a pipe delivers them, so that parts never line up with writes. */
function unevenChunks(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = [65_536, 1_000_003, 7, 3 * MiB][i % 4];
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return Readable.from(chunks);
}

describe('MultipartUploadStream against the testbed S3 server', () => {
  let testbed: TestbedInfo;
  let s3: S3Client;
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [], s3: true });
    s3 = s3Client(testbed.s3!);
  });

  const clientFor = (endpoint: string) =>
    createS3Client({
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: testbed.s3!.region,
      AWS_ACCESS_KEY_ID: testbed.s3!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testbed.s3!.secretAccessKey,
    });

  async function stored(key: string) {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: testbed.s3!.bucket, Key: key }),
    );
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  it('reuses its buffers without mixing up parts, and never holds more than it was given', async () => {
    const proxy = await slowPartsProxy(testbed.s3!.endpoint);
    try {
      const key = `mp-${randomUUID()}`;
      const data = randomBytes(31 * MiB + 12_345); // seven parts, the last one short
      const upload = new MultipartUploadStream(
        clientFor(proxy.url),
        { Bucket: testbed.s3!.bucket, Key: key },
        5 * MiB,
        2,
      );
      await pipeline(unevenChunks(data), upload);
      expect(sha256(await stored(key))).toBe(sha256(data));
      expect(proxy.requests.filter(isPart)).toHaveLength(7);
      // two buffers: at most two parts on their way at once (and nothing else in flight)
      expect(proxy.mostOpen()).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('writes what fits in one part, an empty stream included, with a single PutObject', async () => {
    const proxy = await slowPartsProxy(testbed.s3!.endpoint);
    try {
      for (const data of [randomBytes(MiB + 1), Buffer.alloc(0)]) {
        const key = `mp-${randomUUID()}`;
        await pipeline(
          Readable.from([data]),
          new MultipartUploadStream(
            clientFor(proxy.url),
            { Bucket: testbed.s3!.bucket, Key: key },
            5 * MiB,
            2,
          ),
        );
        expect(sha256(await stored(key))).toBe(sha256(data));
      }
      expect(proxy.requests.filter(isPart)).toHaveLength(0);
      expect(proxy.requests.filter(isPut)).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('fails the stream with what S3 answered, and keeps it, even once every buffer is lost', async () => {
    const upload = new MultipartUploadStream(
      clientFor(testbed.s3!.endpoint),
      { Bucket: `no-such-bucket-${Date.now()}`, Key: 'k' },
      5 * MiB,
      2,
    );
    // two parts fail while the dump is slow to give more; the third must not wait for a buffer forever
    async function* slowDump() {
      yield randomBytes(10 * MiB);
      await new Promise(resolve => setTimeout(resolve, 500));
      yield randomBytes(6 * MiB);
    }
    await expect(
      pipeline(Readable.from(slowDump()), upload),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
    expect(upload.failure).toMatchObject({ name: 'NoSuchBucket' });
  });
});
