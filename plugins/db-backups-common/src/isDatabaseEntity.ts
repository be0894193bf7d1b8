import { Entity } from '@backstage/catalog-model';

/** The `spec.type`s of database entities when `dbBackups.entityTypes` is not set. */
export const DEFAULT_DATABASE_ENTITY_TYPES: readonly string[] = ['database'];

/**
 * `dbBackups.entityTypes` of a config: the backend's root config, or the frontend's config API (the
 * key is visible to the frontend). The default is `[database]`.
 */
export function readDatabaseEntityTypes(
  config:
    | { getOptionalStringArray(key: string): string[] | undefined }
    | undefined,
): string[] {
  return (
    config?.getOptionalStringArray('dbBackups.entityTypes') ?? [
      ...DEFAULT_DATABASE_ENTITY_TYPES,
    ]
  );
}

/**
 * True for the entities Backlot backs up: `kind: Resource` (in any case) whose `spec.type` is one of
 * `entityTypes` (`dbBackups.entityTypes`, by default `[database]`). The one predicate of the backend,
 * which reads database entities from the catalog, and the frontend, which shows them a Backups tab.
 */
export function isDatabaseEntity(
  entity: Entity,
  entityTypes: readonly string[] = DEFAULT_DATABASE_ENTITY_TYPES,
): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    entityTypes.includes(String(entity.spec?.type ?? ''))
  );
}
