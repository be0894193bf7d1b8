import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createDatabase, testbedUp } from '@backlot/testbed';
import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbBackupsPlugin } from '../plugin';
import { databaseEntity, seededDatabase } from '../__testUtils__/fixtures';

jest.setTimeout(240_000);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Two backend instances share one PostgreSQL database, as replicas behind a load balancer do.
 * Both tick every second; an entity scheduled every minute must get exactly one run per minute.
 */
describe('two backend replicas sharing one database', () => {
  const knexes: Knex[] = [];
  const backends: { stop(): Promise<void> }[] = [];

  afterAll(async () => {
    await Promise.all(backends.map(b => b.stop()));
    await Promise.all(knexes.map(k => k.destroy()));
  });

  it('start exactly one run per due time of a * * * * * schedule', async () => {
    const testbed = await testbedUp({ pg: [16] });
    const pluginDbUrl = await createDatabase(16, 'backlot_replicas_plugin');
    const source = await seededDatabase(16, 'backlot_replicas_source');
    const backupDir = fs.mkdtempSync(
      path.join(os.tmpdir(), 'backlot-replicas-'),
    );
    const entities = [
      databaseEntity('every-minute-db', {
        'backlot.dev/connection': 'source',
        'backlot.dev/backup-schedule': '* * * * *',
      }),
    ];
    const config = {
      dbBackups: {
        connections: { source: source.connection },
        storage: { filesystem: { path: backupDir } },
        local: { pgBinDirs: Object.values(testbed.pgBin) },
        schedule: {
          tickFrequency: { seconds: 1 },
          catalogSyncFrequency: { seconds: 1 },
        },
      },
    };

    for (let i = 0; i < 2; i++) {
      const knex = knexFactory({
        client: 'pg',
        connection: pluginDbUrl,
        pool: { min: 0, max: 5 },
      });
      knexes.push(knex);
      backends.push(
        await startTestBackend({
          features: [
            dbBackupsPlugin,
            schedulerServiceFactory,
            mockServices.database.factory({ knex }),
            catalogServiceMock.factory({ entities }),
            mockServices.rootConfig.factory({ data: config }),
          ],
        }),
      );
    }
    const db = knexes[0];

    // the catalog sync gives the entity its schedule
    let firstDue: number | undefined;
    for (let i = 0; i < 60 && firstDue === undefined; i++) {
      const row = await db('db_backups_schedules')
        .where({ entity_ref: 'resource:default/every-minute-db' })
        .first();
      firstDue = row ? Number(row.next_due_at) : undefined;
      if (firstDue === undefined) await sleep(500);
    }
    expect(firstDue).toBeDefined();
    const secondDue = firstDue! + 60_000;
    expect(new Date(firstDue!).getUTCSeconds()).toBe(0);

    // let both replicas tick through two due times
    await sleep(secondDue + 8_000 - Date.now());
    for (let i = 0; i < 120; i++) {
      const open = await db('db_backups_runs')
        .whereIn('status', ['queued', 'running'])
        .count({ n: '*' });
      if (Number(open[0].n) === 0) break;
      await sleep(500);
    }

    const runs = await db('db_backups_runs')
      .where({ trigger: 'schedule' })
      .orderBy('scheduled_for');
    const byDue = runs.reduce<Record<number, number>>((acc, r) => {
      acc[Number(r.scheduled_for)] = (acc[Number(r.scheduled_for)] ?? 0) + 1;
      return acc;
    }, {});
    expect(byDue[firstDue!]).toBe(1);
    expect(byDue[secondDue]).toBe(1);
    expect(runs.every(r => r.status === 'succeeded')).toBe(true);
    const row = await db('db_backups_schedules')
      .where({ entity_ref: 'resource:default/every-minute-db' })
      .first();
    expect(Number(row.next_due_at)).toBe(secondDue + 60_000);
  });
});
