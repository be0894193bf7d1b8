import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  dbBackupsBackupCreatePermission,
  dbBackupsDownloadPermission,
  dbBackupsMirrorPermission,
  dbBackupsReadPermission,
  dbBackupsRestorePermission,
} from '@backlot/plugin-db-backups-common';
import { DbBackupsPolicy } from './dbBackupsPolicy';

const user = (ownershipEntityRefs: string[]) => ({
  identity: {
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0],
    ownershipEntityRefs,
  },
  token: 'token',
  credentials: {} as any,
  info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
});

describe('the example policy of docs/permissions.md', () => {
  const policy = new DbBackupsPolicy();
  const alice = user(['user:default/alice', 'group:default/team-orders']);
  const admin = user(['user:default/root', 'group:default/platform-admins']);

  it('lets only platform admins download a dump', async () => {
    const request = { permission: dbBackupsDownloadPermission };
    expect((await policy.handle(request, alice)).result).toBe(
      AuthorizeResult.DENY,
    );
    expect((await policy.handle(request, admin)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it.each(
    [dbBackupsRestorePermission, dbBackupsMirrorPermission].map(p => [
      p.name,
      p,
    ]),
  )(
    'lets the entity’s owners %s, through the catalog’s isEntityOwner',
    async (_name, permission) => {
      expect(await policy.handle({ permission }, alice)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: {
            claims: ['user:default/alice', 'group:default/team-orders'],
          },
        },
      });
    },
  );

  it.each(
    [dbBackupsReadPermission, dbBackupsBackupCreatePermission].map(p => [
      p.name,
      p,
    ]),
  )('lets everyone signed in %s', async (_name, permission) => {
    expect((await policy.handle({ permission }, alice)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });
});
