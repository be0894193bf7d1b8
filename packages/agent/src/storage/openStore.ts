import { AgentError } from '../cli/errors';
import { ArtifactStore } from './ArtifactStore';
import { FilesystemStore } from './FilesystemStore';

/** The store behind a --to URL. */
export function openStore(url: string): ArtifactStore {
  if (url.startsWith('file://')) return new FilesystemStore(url);
  if (url.startsWith('s3://')) {
    // the AWS SDK is half of the agent's start-up time: only S3 runs pay for it
    const { S3Store } = require('./S3Store') as typeof import('./S3Store');
    return new S3Store(url);
  }
  throw new AgentError(
    'usage',
    `"${url}" is not a storage URL: use file:///path/prefix or s3://bucket/prefix`,
  );
}

/** The store holding the artifact at `url`, and the artifact's name in it (its last path segment). */
export function openArtifact(url: string): {
  store: ArtifactStore;
  name: string;
} {
  const slash = url.lastIndexOf('/');
  const name = url.slice(slash + 1);
  if (slash < 0 || !name) {
    throw new AgentError('usage', `"${url}" does not name an artifact`);
  }
  return { store: openStore(url.slice(0, slash)), name };
}
