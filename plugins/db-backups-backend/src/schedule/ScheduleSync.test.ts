import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { readDbBackupsConfig } from '../config/DbBackupsConfig';
import { createDatabaseStores } from '../database/createDatabaseStores';
import { ScheduleSync } from './ScheduleSync';
import { databaseEntity } from '../__testUtils__/fixtures';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const now = new Date('2026-03-28T23:30:00Z');

async function setup(entities: Entity[]) {
  const knex = await databases.init('SQLITE_3');
  const { schedules } = await createDatabaseStores({
    database: { getClient: async () => knex } as DatabaseService,
  });
  const config = readDbBackupsConfig(
    new ConfigReader({
      dbBackups: {
        connections: { main: { host: 'h', user: 'u', database: 'd' } },
      },
    }),
  );
  const sync = (list: Entity[]) =>
    new ScheduleSync({
      databases: new DatabaseCatalog(
        catalogServiceMock({ entities: list }),
        mockServices.auth(),
        config,
      ),
      schedules,
      logger: mockServices.logger.mock(),
      now: () => now,
    }).run();
  await sync(entities);
  return { schedules, sync };
}

const scheduled = (name: string, cron: string, timezone?: string) =>
  databaseEntity(name, {
    'backlot.dev/connection': 'main',
    'backlot.dev/backup-schedule': cron,
    ...(timezone ? { 'backlot.dev/backup-timezone': timezone } : {}),
  });

describe('ScheduleSync', () => {
  it('gives each scheduled database its next due time in its own time zone', async () => {
    const { schedules } = await setup([
      scheduled('utc-db', '0 3 * * *'),
      scheduled('berlin-db', '0 3 * * *', 'Europe/Berlin'),
      databaseEntity('manual-db', { 'backlot.dev/connection': 'main' }),
      scheduled('bad-db', 'every night'),
    ]);
    const rows = Object.fromEntries(
      (await schedules.list()).map(r => [
        r.entityRef,
        r.nextDueAt.toISOString(),
      ]),
    );
    expect(rows).toEqual({
      'resource:default/utc-db': '2026-03-29T03:00:00.000Z',
      // 03:00 in Berlin on the night summer time starts is 01:00 UTC
      'resource:default/berlin-db': '2026-03-29T01:00:00.000Z',
    });
  });

  it('applies a changed cron and stops a removed entity within one sync', async () => {
    const { schedules, sync } = await setup([
      scheduled('a-db', '0 3 * * *'),
      scheduled('b-db', '@hourly'),
    ]);
    const result = await sync([scheduled('a-db', '30 4 * * *')]);
    expect(result).toEqual({ added: 0, changed: 1, removed: 1 });
    const rows = await schedules.list();
    expect(
      rows.map(r => [r.entityRef, r.cron, r.nextDueAt.toISOString()]),
    ).toEqual([
      ['resource:default/a-db', '30 4 * * *', '2026-03-29T04:30:00.000Z'],
    ]);
  });

  it('keeps the due time of an unchanged schedule', async () => {
    const { schedules, sync } = await setup([scheduled('a-db', '0 3 * * *')]);
    const [before] = await schedules.list();
    await schedules.advance(
      before.entityRef,
      before.nextDueAt,
      new Date('2026-03-30T03:00:00Z'),
    );
    await sync([scheduled('a-db', '0 3 * * *')]);
    expect((await schedules.list())[0].nextDueAt.toISOString()).toBe(
      '2026-03-30T03:00:00.000Z',
    );
  });

  it('keeps up with 10,000 database entities', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      scheduled(`db-${i}`, `${i % 60} ${i % 24} * * *`),
    );
    const { schedules, sync } = await setup(many);
    expect((await schedules.list()).length).toBe(10_000);

    const changedAndRemoved = many.slice(1);
    changedAndRemoved[0] = scheduled('db-1', '@hourly');
    expect(await sync(changedAndRemoved)).toEqual({
      added: 0,
      changed: 1,
      removed: 1,
    });
    const rows = await schedules.list();
    expect(rows.length).toBe(9_999);
    expect(rows.find(r => r.entityRef === 'resource:default/db-1')!.cron).toBe(
      '@hourly',
    );
    expect(
      rows.find(r => r.entityRef === 'resource:default/db-0'),
    ).toBeUndefined();
    // due rows come from an index, a batch at a time
    expect(
      (await schedules.listDue(new Date('2026-03-30T00:00:00Z'), 200)).length,
    ).toBe(200);
  });
});
