import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { assertDigest, digestStream } from './digest';
import { AgentError } from '../cli/errors';
import { Reporter } from '../cli/reporter';
import { artifactKeysOf, isArchiveFileName } from './layout';
import { directoryDigest, Manifest } from './manifest';
import { openArtifact } from '../storage/openStore';

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

/**
 * A local, checksum-checked copy of a dump for pg_restore, which needs a seekable file (or, for a
 * directory-format dump, a folder) for `--list`, `--jobs` and a scratch restore. A file:// dump
 * is checked and used in place; any other is downloaded to BACKLOT_TMPDIR (default: the system's
 * temp folder), which costs its size in disk.
 */
export async function localCheckedArchive(
  url: string,
  manifest: Manifest,
  reporter: Reporter,
): Promise<{ file: string; release(): Promise<void> }> {
  const { store, name } = openArtifact(url);
  const parts = archiveParts(name, manifest);

  if (store.kind === 'filesystem') {
    for (const part of parts) {
      const digest = digestStream();
      await pipeline(
        await store.openReader(part.key),
        digest.stream,
        discard(),
      );
      assertDigest(part.label, digestOf(digest), part.expected);
    }
    return { file: fileURLToPath(url), release: async () => {} };
  }

  const tmpRoot = process.env.BACKLOT_TMPDIR || os.tmpdir();
  const dir = await fsp.mkdtemp(path.join(tmpRoot, 'backlot-'));
  const release = () => fsp.rm(dir, { recursive: true, force: true });
  reporter.log(
    `downloading ${url} (${manifest.bytes} bytes) to ${dir}: pg_restore needs ${
      manifest.format === 'directory'
        ? 'the folder of a directory-format dump'
        : 'a seekable file'
    } here`,
  );
  try {
    if (manifest.format === 'directory') await fsp.mkdir(path.join(dir, name));
    for (const part of parts) {
      const digest = digestStream();
      await pipeline(
        await store.openReader(part.key),
        digest.stream,
        fs.createWriteStream(path.join(dir, part.key)),
      );
      assertDigest(part.label, digestOf(digest), part.expected);
    }
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
  return { file: path.join(dir, name), release };
}

/** The objects a dump is made of, each with the size and sha256 the manifest expects of it. */
function archiveParts(name: string, manifest: Manifest) {
  if (manifest.format !== 'directory') {
    return [{ key: name, label: 'the artifact', expected: manifest }];
  }
  const files = manifest.files ?? [];
  // the file list is what the manifest's sha256 stands for: a list edited after the dump fails here
  assertDigest(
    "the manifest's list of files",
    directoryDigest(files),
    manifest,
  );
  const unsafe = files.find(f => !isArchiveFileName(f.name));
  if (unsafe) {
    throw new AgentError(
      'verification',
      `the manifest lists a file named "${unsafe.name}", which pg_dump never writes: the backup cannot be trusted`,
    );
  }
  return files.map(file => ({
    key: artifactKeysOf(name).file(file.name),
    label: `the artifact's file ${file.name}`,
    expected: file,
  }));
}

export function digestOf(digest: ReturnType<typeof digestStream>) {
  return { bytes: digest.bytes(), sha256: digest.sha256() };
}
