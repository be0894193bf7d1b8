import { ConfigReader } from '@backstage/config';
import { readStorageConfig } from './storageConfig';

const read = (storage: object) =>
  readStorageConfig(new ConfigReader({ storage }));

describe('readStorageConfig', () => {
  it('defaults to a folder next to the backend', () => {
    const storage = readStorageConfig(new ConfigReader({}));
    expect(storage.type).toBe('filesystem');
    expect(storage.url).toBe(`file://${process.cwd()}/backups`);
    expect(storage.env).toEqual({});
  });

  it('turns the s3 block into the agent environment and a bucket URL', () => {
    const storage = read({
      type: 's3',
      s3: {
        bucket: 'team-backups',
        prefix: '/prod/',
        region: 'eu-central-1',
        endpoint: 'http://minio:9000',
        forcePathStyle: false,
        checksums: 'WHEN_SUPPORTED',
        serverSideEncryption: 'aws:kms',
        kmsKeyId: 'alias/backups',
        credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t/+' },
      },
    });
    expect(storage).toEqual({
      type: 's3',
      url: 's3://team-backups/prod',
      env: {
        AWS_REGION: 'eu-central-1',
        AWS_ENDPOINT_URL_S3: 'http://minio:9000',
        AWS_S3_FORCE_PATH_STYLE: '0',
        AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_SUPPORTED',
        AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_SUPPORTED',
        BACKLOT_S3_SSE: 'aws:kms',
        BACKLOT_S3_SSE_KMS_KEY_ID: 'alias/backups',
        AWS_ACCESS_KEY_ID: 'AKIA1',
        AWS_SECRET_ACCESS_KEY: 's3cr3t/+',
      },
    });
  });

  it('passes the backend’s own AWS credential chain on when no keys are configured', () => {
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE = '/var/run/token';
    try {
      const storage = read({ type: 's3', s3: { bucket: 'b-1' } });
      expect(storage.env.AWS_WEB_IDENTITY_TOKEN_FILE).toBe('/var/run/token');
      expect(storage.url).toBe('s3://b-1');
    } finally {
      delete process.env.AWS_WEB_IDENTITY_TOKEN_FILE;
    }
  });

  it.each([
    [{ type: 'gcs' }, /"gcs" is not supported; use "filesystem" or "s3"/],
    [{ type: 's3' }, /dbBackups.storage.s3 is missing/],
    [
      { type: 's3', s3: { bucket: 'Bad_Bucket' } },
      /not a valid S3 bucket name/,
    ],
    [
      {
        type: 's3',
        s3: { bucket: 'ok-bucket', serverSideEncryption: 'rot13' },
      },
      /serverSideEncryption "rot13" is not one of AES256, aws:kms/,
    ],
    [
      { type: 's3', s3: { bucket: 'ok-bucket', checksums: 'crc64' } },
      /checksums "crc64" is not one of WHEN_SUPPORTED, WHEN_REQUIRED/,
    ],
    [
      { type: 's3', s3: { bucket: 'ok-bucket', kmsKeyId: 'k' } },
      /kmsKeyId needs serverSideEncryption: aws:kms/,
    ],
  ])('rejects %j with a message naming the key', (storage, message) => {
    expect(() => read(storage)).toThrow(message);
  });
});
