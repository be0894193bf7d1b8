import { AWS_CREDENTIAL_CHAIN_ENV, BACKLOT_ENV, S3_ENV } from '@backlot/agent';
import { Config } from '@backstage/config';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the agent writes artifacts, and the environment that lets it (S3 settings and credentials). */
export interface StorageConfig {
  type: 'filesystem' | 's3';
  /** Base URL the agent writes below: file:///… or s3://bucket/prefix. */
  url: string;
  /** Handed to the agent's environment only; holds the S3 secret when configured, so never log it. */
  env: Record<string, string>;
}

const SSE_VALUES = ['AES256', 'aws:kms'];
const CHECKSUM_VALUES = ['WHEN_SUPPORTED', 'WHEN_REQUIRED'];

function optionalOneOf(s3: Config, key: string, values: string[]) {
  const value = s3.getOptionalString(key);
  if (value !== undefined && !values.includes(value)) {
    throw new Error(
      `dbBackups.storage.s3.${key} "${value}" is not one of ${values.join(
        ', ',
      )}`,
    );
  }
  return value;
}

function s3Storage(s3: Config): StorageConfig {
  const bucket = s3.getString('bucket');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(
      `dbBackups.storage.s3.bucket "${bucket}" is not a valid S3 bucket name`,
    );
  }
  const prefix = (s3.getOptionalString('prefix') ?? '').replace(
    /^\/+|\/+$/g,
    '',
  );
  const env: Record<string, string> = {
    [S3_ENV.region]: s3.getOptionalString('region') ?? 'us-east-1',
  };
  const endpoint = s3.getOptionalString('endpoint');
  if (endpoint) env[S3_ENV.endpoint] = endpoint;
  const forcePathStyle = s3.getOptionalBoolean('forcePathStyle');
  if (forcePathStyle !== undefined)
    env[S3_ENV.forcePathStyle] = forcePathStyle ? '1' : '0';
  const checksums = optionalOneOf(s3, 'checksums', CHECKSUM_VALUES);
  if (checksums) {
    // the AWS SDK's own variables, read by the agent's S3 client
    env[S3_ENV.requestChecksumCalculation] = checksums;
    env[S3_ENV.responseChecksumValidation] = checksums;
  }
  const sse = optionalOneOf(s3, 'serverSideEncryption', SSE_VALUES);
  if (sse) env[BACKLOT_ENV.s3Sse] = sse;
  const kmsKeyId = s3.getOptionalString('kmsKeyId');
  if (kmsKeyId) {
    if (sse !== 'aws:kms') {
      throw new Error(
        'dbBackups.storage.s3.kmsKeyId needs serverSideEncryption: aws:kms',
      );
    }
    env[BACKLOT_ENV.s3SseKmsKeyId] = kmsKeyId;
  }
  const credentials = s3.getOptionalConfig('credentials');
  if (credentials) {
    env[S3_ENV.accessKeyId] = credentials.getString('accessKeyId');
    env[S3_ENV.secretAccessKey] = credentials.getString('secretAccessKey');
  } else {
    // without credentials in the config, the backend's own AWS credential chain (env, profile,
    // IRSA web identity, container credentials) is handed on, so it keeps working in the agent
    for (const name of AWS_CREDENTIAL_CHAIN_ENV) {
      const value = process.env[name];
      if (value) env[name] = value;
    }
  }
  return {
    type: 's3',
    url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    env,
  };
}

/** Reads `dbBackups.storage`: a folder (the embedded default) or an S3 bucket. */
export function readStorageConfig(config: Config | undefined): StorageConfig {
  const type = config?.getOptionalString('storage.type') ?? 'filesystem';
  if (type === 's3') {
    const s3 = config?.getOptionalConfig('storage.s3');
    if (!s3) {
      throw new Error(
        'dbBackups.storage.type is "s3" but dbBackups.storage.s3 is missing: give at least its bucket',
      );
    }
    return s3Storage(s3);
  }
  if (type !== 'filesystem') {
    throw new Error(
      `dbBackups.storage.type "${type}" is not supported; use "filesystem" or "s3"`,
    );
  }
  const folder = path.resolve(
    config?.getOptionalString('storage.filesystem.path') ?? './backups',
  );
  return { type, url: pathToFileURL(folder).href, env: {} };
}
