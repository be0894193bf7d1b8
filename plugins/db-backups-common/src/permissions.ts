import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/** Read a database's backup status and run history. */
export const dbBackupsReadPermission = createPermission({
  name: 'db-backups.runs.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Start a backup of a database. */
export const dbBackupsBackupCreatePermission = createPermission({
  name: 'db-backups.backup.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Restore a backup into a database (checked on the target). */
export const dbBackupsRestorePermission = createPermission({
  name: 'db-backups.restore.create',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Mirror another database into this one (checked on the target). */
export const dbBackupsMirrorPermission = createPermission({
  name: 'db-backups.mirror.create',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Download an artifact: a dump holds all of a database's data. */
export const dbBackupsDownloadPermission = createPermission({
  name: 'db-backups.artifact.download',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

export const dbBackupsPermissions = [
  dbBackupsReadPermission,
  dbBackupsBackupCreatePermission,
  dbBackupsRestorePermission,
  dbBackupsMirrorPermission,
  dbBackupsDownloadPermission,
];
