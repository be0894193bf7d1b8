/**
 * Backlot's Backups tab for database entities, for both frontend systems.
 *
 * @packageDocumentation
 */
export { dbBackupsFrontendPlugin as default } from './plugin';
export { backupsEntityContent } from './plugin';
export { dbBackupsPlugin, EntityDbBackupsContent } from './legacy';
export { isDatabaseEntity } from './isDatabaseEntity';
export { dbBackupsApiRef, DbBackupsClient } from './api';
export type { DbBackupsApi } from './api';
