import { AgentError } from '../errors';
import { ArtifactStore } from './ArtifactStore';
import { FilesystemStore } from './FilesystemStore';

/** The store behind a --to/--from URL. */
export function openStore(url: string): ArtifactStore {
  if (url.startsWith('file://')) return new FilesystemStore(url);
  if (url.startsWith('s3://')) {
    throw new AgentError(
      'usage',
      `s3:// storage is not available in this version of backlot-agent; use file:///path`,
    );
  }
  throw new AgentError(
    'usage',
    `"${url}" is not a storage URL: use file:///path/prefix`,
  );
}
