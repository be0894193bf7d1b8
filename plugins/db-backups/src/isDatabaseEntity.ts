import { Entity } from '@backstage/catalog-model';

/**
 * True for entities Backlot backs up: `kind: Resource` with `spec.type: database`. Installations
 * with other `dbBackups.entityTypes` pass their own predicate to the Backups tab.
 *
 * @public
 */
export function isDatabaseEntity(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    entity.spec?.type === 'database'
  );
}
