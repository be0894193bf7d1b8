/**
 * backlot-agent: the one program that touches a database's data.
 *
 * @packageDocumentation
 */
// The backend↔agent contract: argv builders, environment names, events, exit codes.
export * from './contract';
export { AgentError } from './cli/errors';
export {
  chooseClient,
  findClients,
  parsePgVersion,
} from './postgres/pgClients';
export type { PgClient } from './postgres/pgClients';
export { defaultCompression, describeCompression } from './archive/compression';
export {
  createS3Client,
  partSizeFor,
  PARTS_IN_MEMORY,
} from './storage/S3Store';
export { MultipartUploadStream } from './storage/multipartUpload';
