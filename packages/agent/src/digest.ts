import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { AgentError } from './errors';

/** A pass-through that counts and hashes what streams through it, reporting progress at most once a second. */
export function digestStream(onProgress?: (bytes: number) => void) {
  const hash = createHash('sha256');
  let bytes = 0;
  let lastReport = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      const now = Date.now();
      if (onProgress && now - lastReport >= 1000) {
        lastReport = now;
        onProgress(bytes);
      }
      callback(null, chunk);
    },
  });
  let sha256: string | undefined;
  return {
    stream,
    bytes: () => bytes,
    sha256: () => (sha256 ??= hash.digest('hex')),
  };
}

/** Fails with exit 6 unless the bytes read are exactly the ones the manifest recorded. */
export function assertDigest(
  what: string,
  actual: { bytes: number; sha256: string },
  expected: { bytes: number; sha256: string },
) {
  if (actual.sha256 !== expected.sha256 || actual.bytes !== expected.bytes) {
    throw new AgentError(
      'verification',
      `${what} is corrupted: ${actual.bytes} bytes with sha256 ${actual.sha256}, the manifest says ${expected.bytes} bytes with sha256 ${expected.sha256}`,
    );
  }
}
