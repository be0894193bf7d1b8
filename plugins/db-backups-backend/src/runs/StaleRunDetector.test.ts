import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseService } from '@backstage/backend-plugin-api';
import { createDatabaseStores } from '../database/createDatabaseStores';
import { STALE_AFTER_MS, StaleRunDetector } from './StaleRunDetector';

// SQLite in memory: no testbed.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const MINUTE = 60_000;

async function setup() {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const knex = await databases.init('SQLITE_3');
  const { runs } = await createDatabaseStores({
    database: { getClient: async () => knex } as DatabaseService,
    now: () => clock,
  });
  const held = new Set<string>();
  const logger = mockServices.logger.mock();
  const detector = () =>
    new StaleRunDetector({
      runs,
      heldRunIds: () => [...held],
      logger,
      now: () => new Date(clock),
    });
  const newRun = async (status: 'queued' | 'running') => {
    const run = (await runs.createRun({
      kind: 'backup',
      entityRef: 'resource:default/orders-db',
      trigger: 'manual',
      runner: 'local',
    }))!;
    if (status === 'running') await runs.transition(run.id, 'running');
    return run.id;
  };
  return {
    runs,
    held,
    logger,
    detector,
    newRun,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('StaleRunDetector', () => {
  it('fails queued and running runs without a sign of life for 3 minutes', async () => {
    const { runs, detector, newRun, advance, logger } = await setup();
    const queued = await newRun('queued');
    const running = await newRun('running');
    advance(STALE_AFTER_MS + 1);
    expect(await detector().tick()).toBe(2);
    for (const id of [queued, running]) {
      const run = (await runs.getRun(id))!;
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/no sign of life for 3 minutes/);
    }
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('leaves runs alone until 3 minutes have passed since their last sign of life', async () => {
    const { runs, detector, newRun, advance } = await setup();
    const id = await newRun('running');
    advance(2 * MINUTE);
    await runs.recordProgress(id, { bytes: 10 }); // a heartbeat
    advance(2 * MINUTE);
    expect(await detector().tick()).toBe(0);
    expect((await runs.getRun(id))!.status).toBe('running');
    advance(STALE_AFTER_MS);
    expect(await detector().tick()).toBe(1);
  });

  it('keeps the runs this instance holds alive, however long they take', async () => {
    const { runs, held, detector, newRun, advance } = await setup();
    const id = await newRun('running');
    held.add(id);
    for (let i = 0; i < 10; i++) {
      advance(MINUTE);
      expect(await detector().tick()).toBe(0);
    }
    // once this instance lets go of it (it stopped), the run goes stale like any other
    held.delete(id);
    advance(STALE_AFTER_MS + 1);
    expect(await detector().tick()).toBe(1);
    expect((await runs.getRun(id))!.status).toBe('failed');
  });

  it('fails a stale run once when two replicas find it at the same time', async () => {
    const { runs, detector, newRun, advance } = await setup();
    const id = await newRun('running');
    advance(STALE_AFTER_MS + 1);
    const counts = await Promise.all([detector().tick(), detector().tick()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await runs.getRun(id))!.status).toBe('failed');
  });

  it('never touches finished runs', async () => {
    const { runs, detector, newRun, advance } = await setup();
    const id = await newRun('running');
    await runs.transition(id, 'succeeded', { bytes: 1 });
    advance(10 * STALE_AFTER_MS);
    expect(await detector().tick()).toBe(0);
    expect((await runs.getRun(id))!.status).toBe('succeeded');
  });
});
