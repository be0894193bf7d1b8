import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { Knex } from 'knex';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createDatabase, testbedUp } from '@backlot/testbed';
import { Run } from '@backlot/plugin-db-backups-common';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import {
  databaseEntity,
  bigDatabase,
  waitForRun,
} from './__testUtils__/fixtures';

// Two backend replicas on one PostgreSQL database: a cancel that reaches the replica that does not
// execute the run is recorded there, and the executing replica's CancelWatcher stops its agent.

jest.setTimeout(300_000);

describe('cancelling a run through another replica', () => {
  let knex: Knex;
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-cancel-'));
  const backends: {
    server: Parameters<typeof request>[0];
    stop(): Promise<void>;
  }[] = [];

  beforeAll(async () => {
    const testbed = await testbedUp({ pg: [16] });
    const big = await bigDatabase(16, 'backlot_cancel_replicas_big');
    // the replicas' shared plugin database
    knex = knexFactory({
      client: 'pg',
      connection: await createDatabase(16, 'backlot_cancel_replicas_backend'),
    });
    for (let i = 0; i < 2; i++) {
      const backend = await startTestBackend({
        features: [
          dbBackupsPlugin,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({
            entities: [
              databaseEntity('big-db', { 'backlot.dev/connection': 'big' }),
            ],
          }),
          mockServices.rootConfig.factory({
            data: {
              dbBackups: {
                connections: { big: big.connection },
                storage: { filesystem: { path: backupDir } },
                local: {
                  pgBinDirs: Object.values(testbed.pgBin),
                  searchSystemBinDirs: false,
                },
              },
            },
          }),
        ],
      });
      backends.push({ server: backend.server, stop: () => backend.stop() });
    }
  });

  afterAll(async () => {
    for (const backend of backends) await backend.stop();
    await knex?.destroy();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('stops the run on the replica that executes it', async () => {
    const [executing, other] = backends;
    const started = await request(executing.server)
      .post('/api/db-backups/runs')
      .send({ entityRef: 'resource:default/big-db', kind: 'backup' });
    expect(started.status).toBe(202);
    const id: string = started.body.id;
    for (;;) {
      const run: Run = (
        await request(other.server).get(`/api/db-backups/runs/${id}`)
      ).body;
      if (run.status === 'running' && run.serverVersion) break;
      expect(['queued', 'running']).toContain(run.status);
      await sleep(100);
    }

    const res = await request(other.server).post(
      `/api/db-backups/runs/${id}/cancel`,
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('running');

    const run = await waitForRun(other.server, id, 60_000);
    expect(run.status).toBe('cancelled');
    expect(run.error).toBe('cancelled by user:default/mock');
    expect(run.artifact).toBeNull();
    // the executing replica's agent removed what it wrote before it exited
    const kept = fs.readdirSync(backupDir, { recursive: true }).map(String);
    expect(kept.filter(f => f.includes(id))).toEqual([]);
  });
});
