import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { AgentError } from '../cli/errors';

/** Small writes are gathered into chunks of this size before they go on: far fewer syscalls. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * A pass-through that counts and hashes what streams through it and reports progress at most once a
 * second. pg_dump writes in pieces of a few KiB; passing each on to a file costs more CPU than the
 * hashing, so they are gathered into `chunkBytes` (0: passed on as they come, for a writer that
 * gathers them itself, like the S3 upload's parts: gathering twice costs a copy and garbage).
 */
export function digestStream(
  onProgress?: (bytes: number) => void,
  chunkBytes = CHUNK_BYTES,
) {
  const hash = createHash('sha256');
  let bytes = 0;
  let lastReport = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const takePending = () => {
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return chunk;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      const now = Date.now();
      if (onProgress && now - lastReport >= 1000) {
        lastReport = now;
        onProgress(bytes);
      }
      if (!chunkBytes) {
        callback(null, chunk);
        return;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      callback(null, pendingBytes >= chunkBytes ? takePending() : undefined);
    },
    flush(callback) {
      callback(null, pendingBytes ? takePending() : undefined);
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
