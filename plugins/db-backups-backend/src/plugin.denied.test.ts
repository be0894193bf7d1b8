import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import { databaseEntity } from './__testUtils__/fixtures';

describe('db-backups plugin under a policy that denies everything', () => {
  it('denies every route when the policy denies, and audits the refused backup', async () => {
    const auditor = mockServices.auditor.mock();
    const auditEvent = { success: jest.fn(), fail: jest.fn() };
    auditor.createEvent.mockResolvedValue(auditEvent);
    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        auditor.factory,
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
        catalogServiceMock.factory({
          entities: [
            databaseEntity('a-db', { 'backlot.dev/connection': 'main' }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              connections: {
                main: { host: '127.0.0.1', user: 'u', database: 'd' },
              },
            },
          },
        }),
      ],
    });
    try {
      const server = backend.server;
      for (const url of [
        '/api/db-backups/runs?entityRef=resource:default/a-db',
        '/api/db-backups/entities/default/a-db/status',
      ]) {
        expect((await request(server).get(url)).status).toBe(403);
      }
      const post = await request(server)
        .post('/api/db-backups/runs')
        .send({ entityRef: 'resource:default/a-db', kind: 'backup' });
      expect(post.status).toBe(403);
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'backup-start',
          meta: { entityRef: 'resource:default/a-db', kind: 'backup' },
        }),
      );
      expect(auditEvent.fail).toHaveBeenCalled();
      expect(auditEvent.success).not.toHaveBeenCalled();
      // nothing was queued
      const runs = await request(backend.server).get(
        '/api/db-backups/runs/none',
      );
      expect(runs.status).toBe(404);
    } finally {
      await backend.stop();
    }
  });
});
