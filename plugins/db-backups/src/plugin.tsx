import {
  ApiBlueprint,
  configApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  isDatabaseEntity,
  readDatabaseEntityTypes,
} from '@backlot/plugin-db-backups-common';
import { dbBackupsApiRef, DbBackupsClient } from './api';

const dbBackupsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: dbBackupsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DbBackupsClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The Backups tab on database entity pages (`entity-content:db-backups/backups`): entities whose
 * `spec.type` is in `dbBackups.entityTypes`, read from the app's config.
 */
export const backupsEntityContent = EntityContentBlueprint.makeWithOverrides({
  name: 'backups',
  factory(originalFactory, { apis }) {
    const entityTypes = readDatabaseEntityTypes(apis.get(configApiRef));
    return originalFactory({
      path: 'backups',
      title: 'Backups',
      filter: entity => isDatabaseEntity(entity, entityTypes),
      loader: () =>
        import('./components/EntityBackupsContent').then(m => (
          <m.EntityBackupsContent />
        )),
    });
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
