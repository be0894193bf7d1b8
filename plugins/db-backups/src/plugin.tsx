import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { dbBackupsApiRef, DbBackupsClient } from './api';
import { isDatabaseEntity } from './isDatabaseEntity';

const dbBackupsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: dbBackupsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DbBackupsClient({ discoveryApi, fetchApi }),
    }),
});

/** The Backups tab on database entity pages (`entity-content:db-backups/backups`). */
export const backupsEntityContent = EntityContentBlueprint.make({
  name: 'backups',
  params: {
    path: 'backups',
    title: 'Backups',
    filter: isDatabaseEntity,
    loader: () =>
      import('./components/EntityBackupsContent').then(m => (
        <m.EntityBackupsContent />
      )),
  },
});

/**
 * Backlot for the new frontend system.
 *
 * @public
 */
export const dbBackupsFrontendPlugin = createFrontendPlugin({
  pluginId: 'db-backups',
  extensions: [dbBackupsApi, backupsEntityContent],
});
