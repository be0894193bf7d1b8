import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { dbBackupsApiRef, DbBackupsClient } from './api';

const backupsRouteRef = createRouteRef({ id: 'db-backups:entity-content' });

/**
 * Backlot for the legacy frontend system.
 *
 * @public
 */
export const dbBackupsPlugin = createPlugin({
  id: 'db-backups',
  apis: [
    createApiFactory({
      api: dbBackupsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DbBackupsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { entityContent: backupsRouteRef },
});

/**
 * The Backups tab, for `<EntityLayout.Route path="/backups" title="Backups" if={isDatabaseEntity}>`.
 *
 * @public
 */
export const EntityDbBackupsContent = dbBackupsPlugin.provide(
  createRoutableExtension({
    name: 'EntityDbBackupsContent',
    component: () =>
      import('./components/EntityBackupsContent').then(
        m => m.EntityBackupsContent,
      ),
    mountPoint: backupsRouteRef,
  }),
);
