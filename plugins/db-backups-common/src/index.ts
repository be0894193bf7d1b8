/**
 * Types, catalog annotations and permissions shared by the db-backups plugins.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './schedule';
export * from './runs';
export * from './permissions';
export * from './auditEvents';
export * from './databaseEntity';
export * from './isDatabaseEntity';
export * from './retention';
