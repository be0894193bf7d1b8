import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  dbBackupsDownloadPermission,
  dbBackupsMirrorPermission,
  dbBackupsRestorePermission,
} from '@backlot/plugin-db-backups-common';

const PLATFORM_ADMINS = 'group:default/platform-admins';

/** Not wired into the demo (it allows everything): the example of docs/permissions.md, compiled and tested. */
export class DbBackupsPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    // a dump holds every row of the database: only the platform team downloads one
    if (isPermission(request.permission, dbBackupsDownloadPermission)) {
      return {
        result: claims.includes(PLATFORM_ADMINS)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    // overwriting a database: its owners only (the entity's spec.owner, through the catalog)
    if (
      isPermission(request.permission, dbBackupsRestorePermission) ||
      isPermission(request.permission, dbBackupsMirrorPermission)
    ) {
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    // reading history and starting backups: everyone signed in
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'db-backups-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new DbBackupsPolicy());
      },
    });
  },
});
