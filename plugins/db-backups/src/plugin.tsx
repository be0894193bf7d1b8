import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';

import { rootRouteRef } from './routes';

export const page = PageBlueprint.make({
  params: {
    path: '/db-backups',
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/TodoPage').then(m => (
        <m.TodoPage />
      )),
  },
});

export const dbBackupsPlugin = createFrontendPlugin({
  pluginId: 'db-backups',
  extensions: [page],
  routes: {
    root: rootRouteRef,
  }
});
