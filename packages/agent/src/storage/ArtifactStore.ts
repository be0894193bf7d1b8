import { Readable, Writable } from 'node:stream';

/** A stream to one artifact that becomes visible only on commit. */
export interface ArtifactWriter {
  stream: Writable;
  /** Writes worth gathering before `stream` (0: it gathers them itself). */
  chunkBytes: number;
  /** Makes the artifact durable and visible under its key. */
  commit(): Promise<void>;
  /** Removes whatever was written; the key never appears. */
  abort(): Promise<void>;
  /**
   * After the stream failed: the store's own reason, when the store caused it (a failed upload
   * makes the stream fail with a bare "aborted"); undefined otherwise.
   */
  failure(): Promise<Error | undefined>;
}

/**
 * A file a program writes itself (pg_dump --file), under the same protocol as a writer: visible
 * under its key only on commit, gone on abort.
 */
export interface ArtifactFile {
  /** where to write; not the artifact's final name */
  path: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where dumps and manifests go. Keys are relative to the store's URL. */
export interface ArtifactStore {
  readonly kind: 'filesystem' | 's3';
  locationOf(key: string): string;
  /** The key below the store's prefix, as the backend records it. */
  keyOf(relativeKey: string): string;
  /** `expectedBytes` (an upper estimate) lets a store size its parts; memory stays bounded either way. */
  openWriter(
    relativeKey: string,
    options?: { expectedBytes?: number },
  ): Promise<ArtifactWriter>;
  /**
   * Local stores only: a file to hand to a program, so that a dump's bytes need not pass through
   * the agent (and a seekable custom archive records its data offsets). Absent: streams only.
   */
  openFile?(relativeKey: string): Promise<ArtifactFile>;
  /** Streams an artifact; fails with a storage error naming the key when it does not exist. */
  openReader(relativeKey: string): Promise<Readable>;
  /** Reads a small object (a manifest); undefined when it does not exist. */
  readSmall(relativeKey: string): Promise<string | undefined>;
  /** Writes a small object atomically (the manifest, the commit marker). */
  putSmall(relativeKey: string, body: string): Promise<void>;
  remove(relativeKey: string): Promise<void>;
  /** Fails with a storage error when the store cannot be written. */
  check(): Promise<void>;
}
