import { ApiHolder, configApiRef } from '@backstage/core-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  isDatabaseEntity as isDatabaseEntityOfTypes,
  readDatabaseEntityTypes,
} from '@backlot/plugin-db-backups-common';

/**
 * True for entities Backlot backs up: `kind: Resource` whose `spec.type` is in
 * `dbBackups.entityTypes` (the common package's predicate, which the backend uses too). For the
 * legacy frontend system's `if` props: `EntitySwitch.Case` passes the app's APIs, and the types are
 * read from config; `EntityLayout.Route` passes the entity alone, and the types are the default,
 * `[database]` (for others, use `isDatabaseEntity(entity, types)` of
 * `@backlot/plugin-db-backups-common`). The new frontend system's Backups tab reads the config itself.
 *
 * @public
 */
export function isDatabaseEntity(
  entity: Entity,
  context?: { apis: ApiHolder },
): boolean {
  return isDatabaseEntityOfTypes(
    entity,
    readDatabaseEntityTypes(context?.apis.get(configApiRef)),
  );
}
