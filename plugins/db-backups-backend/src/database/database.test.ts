import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { testbedUp } from '@backlot/testbed';
import { createDatabaseStores } from './createDatabaseStores';
import { DatabaseRunStore } from './DatabaseRunStore';
import { NewRun, RunStore } from './RunStore';

jest.setTimeout(120_000);

// SQLite is the embedded default, PostgreSQL what production runs; both are real servers here
// (the PostgreSQL one is the testbed's, see __testUtils__/globalSetup.ts). `yarn test:unit`
// (BACKLOT_TEST_UNIT=1) runs the stores on SQLite alone, so it needs no testbed; the whole suite
// runs both.
const unitOnly = process.env.BACKLOT_TEST_UNIT === '1';
const databases = TestDatabases.create({
  ids: unitOnly ? ['SQLITE_3'] : ['SQLITE_3', 'POSTGRES_16'],
});

beforeAll(async () => {
  if (!unitOnly) await testbedUp({ pg: [16], clients: [] });
});

async function stores(id: TestDatabaseId) {
  const knex = await databases.init(id);
  const database = { getClient: async () => knex } as DatabaseService;
  return { knex, ...(await createDatabaseStores({ database })) };
}

/** A queued manual backup of resource:default/a, but for what `patch` says. */
async function queue(runs: RunStore, patch: Partial<NewRun> = {}) {
  return (await runs.createRun({
    kind: 'backup',
    entityRef: 'resource:default/a',
    trigger: 'manual',
    runner: 'local',
    ...patch,
  }))!;
}

describe.each(databases.eachSupportedId())('stores on %s', id => {
  it('runs a backup run through the state machine', async () => {
    const { runs } = await stores(id);
    const run = await queue(runs, { requestedBy: 'user:default/me' });
    expect(run).toMatchObject({
      status: 'queued',
      startedAt: null,
      requestedBy: 'user:default/me',
    });

    const running = await runs.transition(run.id, 'running');
    expect(running.status).toBe('running');
    expect(running.startedAt).not.toBeNull();
    await runs.recordVersions(run.id, {
      serverVersion: '16.4',
      pgDumpVersion: '17.2',
    });
    await runs.recordProgress(run.id, { bytes: 1234 });

    const done = await runs.transition(run.id, 'succeeded', {
      bytes: 99_000_000_000,
      sha256: 'a'.repeat(64),
      artifact: { store: 'filesystem', key: 'k', location: 'file:///k' },
    });
    expect(done).toMatchObject({
      status: 'succeeded',
      serverVersion: '16.4',
      pgDumpVersion: '17.2',
      bytes: 99_000_000_000,
      progress: { bytes: 1234 },
      artifact: { store: 'filesystem', key: 'k', location: 'file:///k' },
    });
    expect(done.finishedAt).not.toBeNull();

    // terminal states never change again
    await expect(
      runs.transition(run.id, 'failed', { error: 'late' }),
    ).rejects.toThrow(ConflictError);
    expect((await runs.getRun(run.id))!.status).toBe('succeeded');
  });

  it('keeps the errors a run succeeded past, and none for a clean one', async () => {
    const { runs } = await stores(id);
    const finish = async (errorsIgnored?: {
      total: number;
      kinds: { kind: string; count: number; example: string }[];
    }) => {
      const run = await queue(runs, { kind: 'restore' });
      await runs.transition(run.id, 'running');
      await runs.transition(run.id, 'succeeded', { errorsIgnored });
      return (await runs.getRun(run.id))!;
    };
    const errorsIgnored = {
      total: 3,
      kinds: [
        {
          kind: 'role "…" does not exist',
          count: 3,
          example:
            'pg_restore: error: could not execute query: ERROR:  role "ünï" does not exist',
        },
      ],
    };
    expect((await finish(errorsIgnored)).errorsIgnored).toEqual(errorsIgnored);
    expect((await finish()).errorsIgnored).toBeNull();
  });

  it('offers retention only the unpruned successful backups of the entity, newest first', async () => {
    const { runs } = await stores(id);
    const finish = async (
      kind: 'backup' | 'verify',
      entityRef: string,
      status: 'succeeded' | 'failed',
    ) => {
      const run = await queue(runs, { kind, entityRef, trigger: 'schedule' });
      await runs.transition(run.id, 'running');
      await runs.transition(
        run.id,
        status,
        status === 'failed'
          ? { error: 'pg_dump failed' }
          : {
              bytes: 1,
              sha256: 'a'.repeat(64),
              artifact: {
                store: 'filesystem',
                key: run.id,
                location: `file:///${run.id}`,
              },
            },
      );
      await new Promise(r => setTimeout(r, 5)); // distinct finish times
      return run.id;
    };
    const entity = 'resource:default/retained';
    const pruned = await finish('backup', entity, 'succeeded');
    await runs.markPruned(pruned);
    await finish('backup', entity, 'failed');
    const older = await finish('backup', entity, 'succeeded');
    await finish('verify', entity, 'succeeded');
    await finish('backup', entity, 'failed');
    const newest = await finish('backup', entity, 'succeeded');
    await finish('backup', 'resource:default/other', 'succeeded');

    expect((await runs.listRetainedBackups(entity)).map(r => r.id)).toEqual([
      newest,
      older,
    ]);
  });

  it('refuses to start a run twice', async () => {
    const { runs } = await stores(id);
    const run = await queue(runs, {
      entityRef: 'resource:default/b',
      trigger: 'api',
    });
    await runs.transition(run.id, 'running');
    await expect(runs.transition(run.id, 'running')).rejects.toThrow(
      /running and cannot become running/,
    );
  });

  it('creates at most one run per scheduled due time', async () => {
    const { runs } = await stores(id);
    const due = new Date('2026-01-01T03:00:00Z');
    const request = {
      kind: 'backup' as const,
      entityRef: 'resource:default/c',
      trigger: 'schedule' as const,
      runner: 'local',
      scheduledFor: due,
    };
    const results = await Promise.all([
      runs.createRun(request),
      runs.createRun(request),
      runs.createRun(request),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(
      await runs.createRun({
        ...request,
        scheduledFor: new Date('2026-01-01T04:00:00Z'),
      }),
    ).toBeDefined();
    // manual runs never collide
    const manual = {
      ...request,
      trigger: 'manual' as const,
      scheduledFor: undefined,
    };
    for (let i = 0; i < 2; i++) {
      expect(await runs.createRun(manual)).toBeDefined();
    }
  });

  it('pages newest first with a cursor', async () => {
    let clock = 1_000;
    const { knex } = await stores(id);
    const runs = new DatabaseRunStore(knex, () => clock);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 10;
      ids.push((await queue(runs, { entityRef: 'resource:default/d' })).id);
    }
    const first = await runs.listRuns({
      entityRef: 'resource:default/d',
      limit: 2,
    });
    const second = await runs.listRuns({
      entityRef: 'resource:default/d',
      limit: 2,
      cursor: first.nextCursor,
    });
    const third = await runs.listRuns({
      entityRef: 'resource:default/d',
      limit: 2,
      cursor: second.nextCursor,
    });
    expect(
      [...first.items, ...second.items, ...third.items].map(r => r.id),
    ).toEqual([...ids].reverse());
    expect(third.nextCursor).toBeUndefined();
  });

  it('finds runs abandoned by a stopped instance', async () => {
    let clock = 10_000;
    const { knex } = await stores(id);
    const runs = new DatabaseRunStore(knex, () => clock);
    const held = await queue(runs, { entityRef: 'resource:default/e' });
    const abandoned = await queue(runs, { entityRef: 'resource:default/e' });
    clock += 60_000;
    await runs.touch([held.id]);
    const stale = await runs.listStale(new Date(clock - 30_000));
    expect(stale.map(r => r.id)).toEqual([abandoned.id]);
  });

  it('records a cancel request for the replica executing the run, not for an ended run', async () => {
    const { runs } = await stores(id);
    const running = await queue(runs);
    await runs.transition(running.id, 'running');
    const other = await queue(runs);
    const done = await queue(runs);
    await runs.transition(done.id, 'failed', { error: 'x' });
    expect(await runs.requestCancel(running.id, 'user:default/guest')).toBe(
      true,
    );
    expect(await runs.requestCancel(done.id, 'user:default/guest')).toBe(false);
    expect(
      await runs.listCancelRequested([running.id, other.id, done.id]),
    ).toEqual([{ id: running.id, by: 'user:default/guest' }]);
    const cancelled = await runs.transition(running.id, 'cancelled', {
      error: 'cancelled by user:default/guest',
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.finishedAt).not.toBeNull();
    expect(await runs.listCancelRequested([running.id])).toEqual([]);
  });

  it('advances a schedule only from the due time it was read at', async () => {
    const { schedules } = await stores(id);
    const due = new Date('2026-01-01T03:00:00Z');
    await schedules.upsert([
      {
        entityRef: 'resource:default/f',
        cron: '0 3 * * *',
        timezone: 'UTC',
        nextDueAt: due,
      },
    ]);
    expect(
      (await schedules.listDue(new Date('2026-01-01T03:00:01Z'), 10)).map(
        s => s.entityRef,
      ),
    ).toEqual(['resource:default/f']);
    const next = new Date('2026-01-02T03:00:00Z');
    expect(await schedules.advance('resource:default/f', due, next)).toBe(true);
    expect(await schedules.advance('resource:default/f', due, next)).toBe(
      false,
    );
    expect(
      await schedules.listDue(new Date('2026-01-01T03:00:01Z'), 10),
    ).toEqual([]);
    await schedules.remove(['resource:default/f']);
    expect(await schedules.list()).toEqual([]);
  });
});
