// S3's limits and errors in the agent's words: no server needed.
import { partSizeFor, s3Error } from './S3Store';

describe('partSizeFor', () => {
  const MiB = 1024 * 1024;
  it("keeps parts at S3's 5 MiB minimum for small databases", () => {
    expect(partSizeFor(0)).toBe(5 * MiB);
    expect(partSizeFor(10 * 1024 * MiB)).toBe(5 * MiB);
  });

  it.each([100, 1024, 10 * 1024, 40 * 1024])(
    'stays under 10,000 parts for %i GiB, in whole MiB',
    gib => {
      const bytes = gib * 1024 * MiB;
      const size = partSizeFor(bytes);
      expect(size % MiB).toBe(0);
      expect(Math.ceil(bytes / size)).toBeLessThanOrEqual(9_000);
    },
  );

  it("never asks for more than S3's 5 GiB part maximum", () => {
    expect(partSizeFor(Number.MAX_SAFE_INTEGER)).toBe(5 * 1024 * MiB);
  });
});

describe('s3Error', () => {
  it('passes on what S3 says was denied, and names the key policy for SSE-KMS', () => {
    const error = s3Error('upload', 's3://b/k.dump', 'b', {
      name: 'AccessDenied',
      message:
        'User: arn:aws:iam::1:role/backstage is not authorized to perform: kms:GenerateDataKey',
      $metadata: { httpStatusCode: 403 },
    });
    expect(error.code).toBe('storage');
    expect(error.message).toContain(
      'cannot upload s3://b/k.dump: S3 rejected the credentials (AccessDenied: User: arn:aws:iam::1:role/backstage is not authorized to perform: kms:GenerateDataKey)',
    );
    expect(error.message).toContain(
      'the key policy (kms:GenerateDataKey to write, kms:Decrypt to read)',
    );
  });

  it('says what to do when a dump outgrows the part limit', () => {
    const error = s3Error('upload', 's3://b/k.dump', 'b', {
      name: 'Error',
      message:
        'Exceeded 10000 parts in multipart upload to Bucket: b Key: k.dump.',
    });
    expect(error.code).toBe('storage');
    expect(error.message).toContain(
      "cannot upload s3://b/k.dump: the dump outgrew S3's 10,000-part limit",
    );
  });
});
