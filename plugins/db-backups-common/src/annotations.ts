/** Annotations a database entity carries; never a credential. See the README's catalog contract. */
export const ANNOTATION_PREFIX = 'backlot.dev/';
export const CONNECTION_ANNOTATION = 'backlot.dev/connection';
export const CONNECTION_SECRET_ANNOTATION = 'backlot.dev/connection-secret';
export const SCHEDULE_ANNOTATION = 'backlot.dev/backup-schedule';
export const TIMEZONE_ANNOTATION = 'backlot.dev/backup-timezone';
export const RETENTION_ANNOTATION = 'backlot.dev/retention';
export const ENVIRONMENT_ANNOTATION = 'backlot.dev/environment';
export const MIRROR_FROM_ANNOTATION = 'backlot.dev/mirror-from';
export const COMPRESSION_ANNOTATION = 'backlot.dev/compression';
/** `local` or `kubernetes`: where this database's runs execute; absent = dbBackups.runner. */
export const RUNNER_ANNOTATION = 'backlot.dev/runner';
