/**
 * backlot-agent: the one program that touches a database's data.
 *
 * @packageDocumentation
 */
// The backend↔agent contract: argv builders, environment names, events, exit codes.
export * from './contract';
export { AgentError } from './errors';
export { chooseClient, findClients, parsePgVersion } from './pgClients';
export type { PgClient } from './pgClients';
export { defaultCompression, describeCompression } from './compression';
export { createS3Client, partSizeFor, PARTS_IN_MEMORY } from './stores/S3Store';
export { MultipartUploadStream } from './stores/multipartUpload';
