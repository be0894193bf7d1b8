import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AgentError } from '../cli/errors';
import { ArtifactStore, ArtifactWriter } from './ArtifactStore';
import { MultipartUploadStream } from './multipartUpload';

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB; // S3's minimum
/** S3's limits: 10,000 parts of at most 5 GiB. Leave headroom below the part count. */
const MAX_PARTS = 9_000;
const MAX_PART_SIZE = 5 * 1024 * MiB;
/** Part buffers per upload: one gathering while two are on their way (or three on their way). */
export const PARTS_IN_MEMORY = 3;

/**
 * The part size for an upload of at most `expectedBytes`: small parts keep memory low (an upload
 * holds PARTS_IN_MEMORY of them), large enough ones keep a big dump under S3's 10,000-part limit.
 */
export function partSizeFor(expectedBytes = 0): number {
  const needed = Math.ceil(expectedBytes / MAX_PARTS / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, needed));
}

/** Turns an S3 failure into a message that names what to fix. */
export function s3Error(
  action: string,
  target: string,
  bucket: string,
  error: any,
): AgentError {
  const code = error?.name ?? error?.Code ?? error?.code;
  let reason: string;
  if (code === 'CredentialsProviderError') {
    reason =
      'no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give the runner an IAM role)';
  } else if (code === 'NoSuchKey') {
    reason = 'the object does not exist';
  } else if (
    code === 'NoSuchBucket' ||
    error?.$metadata?.httpStatusCode === 404
  ) {
    reason = `bucket "${bucket}" does not exist (create it, or fix the bucket in the storage URL)`;
  } else if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'Forbidden',
    ].includes(code) ||
    error?.$metadata?.httpStatusCode === 403
  ) {
    // S3's own text for AccessDenied names the missing permission (e.g. kms:GenerateDataKey)
    const detail =
      code === 'AccessDenied' && error?.message ? `: ${error.message}` : '';
    reason =
      `S3 rejected the credentials (${code}${detail}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ` +
      'the bucket policy and, with SSE-KMS, the key policy (kms:GenerateDataKey to write, kms:Decrypt to read)';
  } else if (/Exceeded \d+ parts/.test(error?.message ?? '')) {
    reason =
      "the dump outgrew S3's 10,000-part limit: its parts were sized for at most 2 × the database's size " +
      '(10 × uncompressed); dump with compression';
  } else if (
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE'].includes(
      error?.code,
    )
  ) {
    reason = `cannot reach the S3 endpoint (${error.code})`;
  } else {
    reason = `${code ?? 'error'}: ${error?.message ?? error}`;
  }
  return new AgentError('storage', `cannot ${action} ${target}: ${reason}`);
}

const CHECKSUM_POLICIES = ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const;

function checksumPolicy(
  name: string,
  value: string | undefined,
  endpoint: string | undefined,
) {
  if (value === undefined || value === '') {
    // S3-compatible servers (Cloudflare R2, older MinIO, Ceph...) reject the CRC32 headers the SDK
    // sends by default since 3.729 (aws-sdk-js-v3#6810). Nothing is lost: every part is still covered
    // by the SigV4 payload sha256, and the whole dump by the manifest's sha256, which verify checks.
    return endpoint ? 'WHEN_REQUIRED' : undefined;
  }
  const policy = value.toUpperCase();
  if (!(CHECKSUM_POLICIES as readonly string[]).includes(policy)) {
    throw new AgentError(
      'usage',
      `${name}="${value}" is not one of ${CHECKSUM_POLICIES.join(', ')}`,
    );
  }
  return policy as (typeof CHECKSUM_POLICIES)[number];
}

/**
 * The S3 client the agent uses, from the AWS environment variables in `env`. An endpoint
 * (AWS_ENDPOINT_URL_S3) means an S3-compatible server: path-style addressing and no optional checksums,
 * unless AWS_S3_FORCE_PATH_STYLE or AWS_REQUEST_CHECKSUM_CALCULATION/AWS_RESPONSE_CHECKSUM_VALIDATION say otherwise.
 */
export function createS3Client(env: NodeJS.ProcessEnv): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    // explicit keys when given; otherwise the SDK's default chain (instance roles, web identity, ...)
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN,
          }
        : undefined,
    // custom endpoints are mostly addressed by IP or a host without bucket subdomains
    forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE
      ? env.AWS_S3_FORCE_PATH_STYLE === '1'
      : Boolean(endpoint),
    requestChecksumCalculation: checksumPolicy(
      'AWS_REQUEST_CHECKSUM_CALCULATION',
      env.AWS_REQUEST_CHECKSUM_CALCULATION,
      endpoint,
    ),
    responseChecksumValidation: checksumPolicy(
      'AWS_RESPONSE_CHECKSUM_VALIDATION',
      env.AWS_RESPONSE_CHECKSUM_VALIDATION,
      endpoint,
    ),
  });
}

/** Artifacts in an S3 bucket (any S3-compatible endpoint), streamed by multipart upload. */
export class S3Store implements ArtifactStore {
  readonly kind = 's3' as const;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize?: number;

  constructor(
    url: string,
    options: { partSize?: number; env?: NodeJS.ProcessEnv } = {},
  ) {
    const parsed = new URL(url);
    this.bucket = parsed.hostname;
    this.prefix = parsed.pathname.replace(/^\/+|\/+$/g, '');
    if (!this.bucket) {
      throw new AgentError(
        'usage',
        `"${url}" names no bucket: use s3://bucket/prefix`,
      );
    }
    const env = options.env ?? process.env;
    this.client = createS3Client(env);
    this.partSize = options.partSize;
    this.sse = env.BACKLOT_S3_SSE as ServerSideEncryption | undefined;
    this.kmsKeyId = env.BACKLOT_S3_SSE_KMS_KEY_ID;
  }

  private readonly sse?: ServerSideEncryption;
  private readonly kmsKeyId?: string;

  keyOf(relativeKey: string) {
    return this.prefix ? `${this.prefix}/${relativeKey}` : relativeKey;
  }

  locationOf(relativeKey: string) {
    return `s3://${this.bucket}/${this.keyOf(relativeKey)}`;
  }

  private encryption() {
    return {
      ...(this.sse ? { ServerSideEncryption: this.sse } : {}),
      ...(this.kmsKeyId ? { SSEKMSKeyId: this.kmsKeyId } : {}),
    };
  }

  async check() {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw s3Error('write to', `s3://${this.bucket}`, this.bucket, error);
    }
  }

  async openWriter(
    relativeKey: string,
    options: { expectedBytes?: number } = {},
  ): Promise<ArtifactWriter> {
    const upload = new MultipartUploadStream(
      this.client,
      {
        Bucket: this.bucket,
        Key: this.keyOf(relativeKey),
        ...this.encryption(),
      },
      this.partSize ?? partSizeFor(options.expectedBytes),
      PARTS_IN_MEMORY,
    );
    const reason = (error: unknown) =>
      s3Error('upload', this.locationOf(relativeKey), this.bucket, error);
    return {
      stream: upload,
      chunkBytes: 0, // the upload gathers its parts
      // the object is complete once the stream has finished: the pipeline writing it has waited for that
      commit: async () => {
        await finished(upload).catch(error => {
          throw reason(upload.failure ?? error);
        });
      },
      failure: async () =>
        upload.failure ? reason(upload.failure) : undefined,
      abort: async () => {
        await upload.abort();
        await this.remove(relativeKey).catch(() => {});
      },
    };
  }

  async openReader(relativeKey: string): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(relativeKey),
        }),
      );
      return res.Body as Readable;
    } catch (error) {
      throw s3Error('read', this.locationOf(relativeKey), this.bucket, error);
    }
  }

  async readSmall(relativeKey: string) {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(relativeKey),
        }),
      );
      return await res.Body!.transformToString('utf8');
    } catch (error: any) {
      if (error?.name === 'NoSuchKey') return undefined;
      throw s3Error('read', this.locationOf(relativeKey), this.bucket, error);
    }
  }

  async putSmall(relativeKey: string, body: string) {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(relativeKey),
          Body: body,
          ...this.encryption(),
        }),
      );
    } catch (error) {
      throw s3Error('write', this.locationOf(relativeKey), this.bucket, error);
    }
  }

  async remove(relativeKey: string) {
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(relativeKey),
        }),
      );
    } catch (error) {
      throw s3Error('delete', this.locationOf(relativeKey), this.bucket, error);
    }
  }
}
