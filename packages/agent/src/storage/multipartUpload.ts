import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** S3's most parts in one multipart upload. */
const MAX_PARTS = 10_000;

/** What the object is created with: where it goes and how it is encrypted. */
export type ObjectParams = Pick<
  PutObjectCommandInput,
  'Bucket' | 'Key' | 'ServerSideEncryption' | 'SSEKMSKeyId'
>;

/**
 * A stream of unknown length into one S3 object: one PutObject when it fits in a part, a multipart
 * upload otherwise. Parts are gathered in at most `buffers` part-sized buffers that are used again
 * and again: memory stays at `buffers` parts however big the dump, with no garbage per part (the
 * reason this replaced lib-storage's Upload, which copies every part into a new buffer that V8 frees
 * late, and costs more CPU: docs/benchmarks.md). A full part is sent at once; writing waits while
 * every buffer is on its way.
 *
 * The stream fails with the SDK's error as S3 gave it; `failure` keeps the first one, so that a
 * caller can tell S3's failures from those of the stream written into it.
 */
export class MultipartUploadStream extends Writable {
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private current?: Buffer;
  private filled = 0;
  private partsSent = 0;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private uploadId?: Promise<string>;
  /** the first error of the upload itself: S3's answer, the connection to it, or the part limit */
  failure?: unknown;

  constructor(
    private readonly client: S3Client,
    private readonly params: ObjectParams,
    private readonly partSize: number,
    private readonly buffers: number,
  ) {
    super();
  }

  _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ) {
    this.take(chunk).then(() => callback(), callback);
  }

  _final(callback: (error?: Error | null) => void) {
    this.finish().then(() => callback(), callback);
  }

  /**
   * Stops the upload and leaves nothing behind: waits (a while) for the parts on their way, so that
   * none lands after the abort, then aborts the multipart upload, if one was started.
   */
  async abort() {
    this.destroy();
    await Promise.race([
      Promise.all(this.inFlight),
      sleep(10_000, undefined, { ref: false }),
    ]);
    const uploadId = await this.uploadId?.catch(() => undefined);
    if (uploadId) {
      await this.client
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.params.Bucket,
            Key: this.params.Key,
            UploadId: uploadId,
          }),
        )
        .catch(() => {});
    }
  }

  private async take(chunk: Buffer) {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= await this.freeBuffer();
      const copied = chunk.copy(this.current, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.partSize) this.sendPart();
    }
  }

  private async freeBuffer(): Promise<Buffer> {
    for (;;) {
      // first: a failed part never gives its buffer back, so waiting could be forever
      this.throwIfFailed();
      if (this.free.length) return this.free.pop()!;
      if (this.allocated < this.buffers) {
        this.allocated++;
        return Buffer.allocUnsafe(this.partSize);
      }
      // every buffer is on its way: wait for one to come back
      await Promise.race(this.inFlight);
    }
  }

  private sendPart() {
    const buffer = this.current!;
    const body = buffer.subarray(0, this.filled);
    this.current = undefined;
    this.filled = 0;
    const partNumber = ++this.partsSent;
    if (partNumber > MAX_PARTS) {
      // s3Error turns this into what to do
      this.failure ??= new Error(
        `Exceeded ${MAX_PARTS} parts in multipart upload`,
      );
      throw this.failure;
    }
    const sent: Promise<void> = this.uploadPart(partNumber, body)
      .then(
        ETag => {
          this.parts.push({ PartNumber: partNumber, ETag });
          this.free.push(buffer);
        },
        error => {
          this.failure ??= error;
        },
      )
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private async uploadPart(partNumber: number, body: Buffer) {
    this.uploadId ??= this.client
      .send(new CreateMultipartUploadCommand(this.params))
      .then(created => created.UploadId!);
    const { ETag } = await this.client.send(
      new UploadPartCommand({
        Bucket: this.params.Bucket,
        Key: this.params.Key,
        UploadId: await this.uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    return ETag!;
  }

  private async finish() {
    try {
      await this.complete();
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  private async complete() {
    if (this.partsSent === 0) {
      // all of it fits in one part: no multipart upload needed
      await this.client.send(
        new PutObjectCommand({
          ...this.params,
          Body: this.current?.subarray(0, this.filled) ?? Buffer.alloc(0),
        }),
      );
      return;
    }
    if (this.filled > 0) this.sendPart();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    // the SDK turns an error that S3 answers with status 200 on completion into a thrown error
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.params.Bucket,
        Key: this.params.Key,
        UploadId: await this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  private throwIfFailed() {
    if (this.failure) throw this.failure;
  }
}
