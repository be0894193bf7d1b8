import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { dbBackupsPermissions } from '@backlot/plugin-db-backups-common';
import { createRouter } from './api/router';
import { DatabaseCatalog } from './catalog/DatabaseCatalog';
import { readDbBackupsConfig } from './config/DbBackupsConfig';
import { LocalRunner } from './runners/LocalRunner';
import { KubernetesRunner } from './runners/kubernetes/KubernetesRunner';
import { RunnerSet } from './runners/RunnerSet';
import { RunService } from './runs/RunService';
import { BackupDispatcher } from './schedule/BackupDispatcher';
import { ScheduleSync } from './schedule/ScheduleSync';
import { DefaultEntityStatusService } from './status/EntityStatusService';
import { createDatabaseStores } from './database/createDatabaseStores';
import { StaleRunDetector } from './runs/StaleRunDetector';
import { CancelWatcher } from './runs/CancelWatcher';

/**
 * Backlot: backups of the PostgreSQL databases in the software catalog.
 *
 * @public
 */
export const dbBackupsPlugin = createBackendPlugin({
  pluginId: 'db-backups',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const { logger, scheduler } = deps;
        const config = readDbBackupsConfig(deps.config);
        deps.permissionsRegistry.addPermissions(dbBackupsPermissions);

        const { runs, schedules } = await createDatabaseStores({
          database: deps.database,
        });
        const databases = new DatabaseCatalog(deps.catalog, deps.auth, config);
        const runners = new RunnerSet(
          {
            local: new LocalRunner({
              storage: config.storage,
              roles: config.roles,
              pgBinDirs: config.pgBinDirs,
              searchSystemBinDirs: config.searchSystemBinDirs,
              logger,
            }),
            kubernetes:
              config.kubernetes &&
              new KubernetesRunner({
                config: config.kubernetes,
                storage: config.storage,
                roles: config.roles,
                logger,
              }),
          },
          config.runner,
        );
        const runService = new RunService({
          runs,
          databases,
          runners,
          config,
          logger,
        });
        const sync = new ScheduleSync({ databases, schedules, logger });
        const dispatcher = new BackupDispatcher({
          schedules,
          runs: runService,
          logger,
        });
        const staleRuns = new StaleRunDetector({
          runs,
          heldRunIds: () => runService.heldRunIds(),
          logger,
        });

        const cancels = new CancelWatcher({
          runs,
          heldRunIds: () => runService.heldRunIds(),
          abort: (id, by) => runService.abortHeld(id, by),
          logger,
        });

        const tasks = [
          {
            id: 'db-backups-catalog-sync',
            frequency: config.catalogSyncFrequency,
            timeout: { minutes: 10 },
            scope: 'global' as const,
            run: () => sync.run(),
          },
          // Every replica ticks; the runs table makes each due time one run.
          {
            id: 'db-backups-dispatch',
            frequency: config.tickFrequency,
            timeout: { minutes: 5 },
            scope: 'local' as const,
            run: () => dispatcher.tick(),
          },
          // Every replica keeps its own runs alive and may fail any stale one.
          {
            id: 'db-backups-stale-runs',
            frequency: config.tickFrequency,
            timeout: { minutes: 5 },
            scope: 'local' as const,
            run: () => staleRuns.tick(),
          },
          // Every replica stops its own runs that were cancelled through another replica.
          {
            id: 'db-backups-cancel-requests',
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            scope: 'local' as const,
            run: () => cancels.tick(),
          },
        ];
        for (const { run, ...task } of tasks) {
          await scheduler.scheduleTask({
            ...task,
            fn: async () => {
              await run();
            },
          });
        }
        deps.lifecycle.addShutdownHook(() => runService.drain());

        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            runs: runService,
            status: new DefaultEntityStatusService({
              databases,
              runs,
              schedules,
              verifyRestores: Boolean(config.scratchConnection),
            }),
          }),
        );
        logger.info(
          `db-backups ready: ${
            config.connections.size
          } connection(s), artifacts in ${config.storage.url}, runner ${
            config.runner
          }${
            config.kubernetes
              ? `, kubernetes Jobs in namespace ${config.kubernetes.namespace}`
              : ''
          }`,
        );
      },
    });
  },
});
