export { dbBackupsApiRef } from './DbBackupsApi';
export type { DbBackupsApi } from './DbBackupsApi';
export { DbBackupsClient } from './DbBackupsClient';
