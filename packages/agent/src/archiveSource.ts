import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { assertDigest, digestStream } from './digest';
import { AgentError } from './errors';
import { Reporter } from './events';
import { Manifest } from './manifest';
import { openArtifact } from './stores/openStore';

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

/**
 * A local, checksum-checked copy of a dump for pg_restore, which needs a seekable file for
 * `--list`, `--jobs` and a scratch restore. A file:// dump is used in place; any other is
 * downloaded to BACKLOT_TMPDIR (default: the system's temp folder), which costs its size in disk.
 */
export async function localCheckedArchive(
  url: string,
  manifest: Manifest,
  reporter: Reporter,
): Promise<{ file: string; release(): Promise<void> }> {
  const { store, name } = openArtifact(url);
  const digest = digestStream();
  if (store.kind === 'filesystem') {
    await pipeline(await store.openReader(name), digest.stream, discard());
    assertDigest('the artifact', digestOf(digest), manifest);
    return { file: fileURLToPath(url), release: async () => {} };
  }

  const tmpRoot = process.env.BACKLOT_TMPDIR || os.tmpdir();
  const dir = await fsp.mkdtemp(path.join(tmpRoot, 'backlot-'));
  const release = () => fsp.rm(dir, { recursive: true, force: true });
  const file = path.join(dir, name);
  reporter.log(
    `downloading ${url} (${manifest.bytes} bytes) to ${dir}: pg_restore needs a seekable file here`,
  );
  try {
    await pipeline(
      await store.openReader(name),
      digest.stream,
      fs.createWriteStream(file),
    );
    assertDigest('the artifact', digestOf(digest), manifest);
  } catch (error: any) {
    await release();
    if (error instanceof AgentError) throw error;
    const reason =
      error?.code === 'ENOSPC'
        ? `the disk is full; point BACKLOT_TMPDIR at a folder with ${manifest.bytes} bytes free`
        : error?.message ?? String(error);
    throw new AgentError(
      'storage',
      `cannot download ${url} to ${dir}: ${reason}`,
    );
  }
  return { file, release };
}

export function digestOf(digest: ReturnType<typeof digestStream>) {
  return { bytes: digest.bytes(), sha256: digest.sha256() };
}
