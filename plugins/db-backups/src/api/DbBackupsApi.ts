import { createApiRef } from '@backstage/core-plugin-api';
import {
  EntityBackupStatus,
  Run,
  RunPage,
} from '@backlot/plugin-db-backups-common';

/** The db-backups backend, as the frontend uses it. */
export interface DbBackupsApi {
  getStatus(entityRef: string): Promise<EntityBackupStatus>;
  listRuns(
    entityRef: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<RunPage>;
  getRun(id: string): Promise<Run>;
  startBackup(entityRef: string): Promise<{ id: string }>;
}

/** @public */
export const dbBackupsApiRef = createApiRef<DbBackupsApi>({
  id: 'plugin.db-backups.service',
});
