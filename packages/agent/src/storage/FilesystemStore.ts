import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AgentError, ioReason } from '../cli/errors';
import { CHUNK_BYTES } from '../archive/digest';
import { ArtifactFile, ArtifactStore, ArtifactWriter } from './ArtifactStore';

function storageError(action: string, target: string, error: any): AgentError {
  return new AgentError(
    'storage',
    `cannot ${action} ${target}: ${ioReason(error)}`,
  );
}

async function fsyncPath(target: string, flags = 'r') {
  const handle = await fsp.open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes `partial` durable and renames it to `final`, then makes the rename durable: a crash never
 * leaves a file under its final name that is not complete. On failure nothing is left.
 */
async function commitPartial(partial: string, final: string, action: string) {
  try {
    await fsyncPath(partial, 'r+');
    await fsp.rename(partial, final);
    await fsyncPath(path.dirname(final));
  } catch (error) {
    await fsp.rm(partial, { force: true });
    throw storageError(action, final, error);
  }
}

/**
 * Artifacts in a local folder (the embedded default). A dump is written to `<key>.partial` and
 * renamed after fsync, so a crash never leaves a file that looks complete.
 */
export class FilesystemStore implements ArtifactStore {
  readonly kind = 'filesystem' as const;
  private readonly root: string;

  constructor(url: string) {
    this.root = fileURLToPath(url);
  }

  keyOf(relativeKey: string) {
    return relativeKey;
  }

  locationOf(relativeKey: string) {
    return pathToFileURL(path.join(this.root, relativeKey)).href;
  }

  private pathOf(relativeKey: string) {
    return path.join(this.root, relativeKey);
  }

  async check() {
    try {
      await fsp.mkdir(this.root, { recursive: true });
      await fsp.access(this.root, fs.constants.W_OK);
    } catch (error) {
      throw storageError('write to', this.root, error);
    }
  }

  async openFile(relativeKey: string): Promise<ArtifactFile> {
    const final = this.pathOf(relativeKey);
    const partial = `${final}.partial`;
    try {
      await fsp.mkdir(path.dirname(final), { recursive: true });
      // wx: a second writer of the same key fails instead of interleaving with the first
      await fsp.writeFile(partial, '', { flag: 'wx' });
    } catch (error) {
      throw storageError('create', partial, error);
    }
    return {
      path: partial,
      commit: () => commitPartial(partial, final, 'commit'),
      abort: async () => {
        await fsp.rm(partial, { force: true });
        await fsp.rm(final, { force: true });
      },
    };
  }

  async openWriter(relativeKey: string): Promise<ArtifactWriter> {
    const file = await this.openFile(relativeKey);
    const stream = fs.createWriteStream(file.path, { flags: 'r+' });
    return {
      stream,
      chunkBytes: CHUNK_BYTES,
      commit: file.commit,
      failure: async () => undefined, // the stream's own error names the cause
      abort: async () => {
        stream.destroy();
        await file.abort();
      },
    };
  }

  async openReader(relativeKey: string) {
    const file = this.pathOf(relativeKey);
    try {
      const handle = await fsp.open(file, 'r');
      return handle.createReadStream();
    } catch (error) {
      throw storageError('read', file, error);
    }
  }

  async readSmall(relativeKey: string) {
    try {
      return await fsp.readFile(this.pathOf(relativeKey), 'utf8');
    } catch (error: any) {
      if (error?.code === 'ENOENT') return undefined;
      throw storageError('read', this.pathOf(relativeKey), error);
    }
  }

  async putSmall(relativeKey: string, body: string) {
    const final = this.pathOf(relativeKey);
    const temp = `${final}.partial`;
    try {
      await fsp.mkdir(path.dirname(final), { recursive: true });
      await fsp.writeFile(temp, body, { flag: 'w' });
    } catch (error) {
      await fsp.rm(temp, { force: true });
      throw storageError('write', final, error);
    }
    await commitPartial(temp, final, 'write');
  }

  async remove(relativeKey: string) {
    try {
      // recursive: a directory-format dump is a folder (prune empties it first)
      await fsp.rm(this.pathOf(relativeKey), { force: true, recursive: true });
    } catch (error) {
      throw storageError('delete', this.pathOf(relativeKey), error);
    }
  }
}
