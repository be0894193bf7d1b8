/**
 * backlot-agent: the one program that touches a database's data.
 *
 * @packageDocumentation
 */
export { EXIT_CODES, AgentError } from './errors';
export type { AgentErrorCode } from './errors';
export type { AgentEvent } from './events';
export { chooseClient, findClients, parsePgVersion } from './pgClients';
export type { PgClient } from './pgClients';
export { defaultCompression, describeCompression } from './compression';
export { createS3Client, partSizeFor, PARTS_IN_MEMORY } from './stores/S3Store';
export { MultipartUploadStream } from './stores/multipartUpload';
export { SSL_MODES } from './libpq';
export type { SslMode } from './libpq';
