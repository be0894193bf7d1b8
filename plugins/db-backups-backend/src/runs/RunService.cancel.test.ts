import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { DbBackupsConfig } from '../config/DbBackupsConfig';
import { createDatabaseStores } from '../database/createDatabaseStores';
import { RunStore } from '../database/RunStore';
import { BackupOutcome, BackupRequest, Runner } from '../runners/Runner';
import { RunnerSet } from '../runners/RunnerSet';
import { CancelWatcher } from './CancelWatcher';
import { RunService } from './RunService';

// The cancel rules of RunService on a real (SQLite) run store, with a runner that runs until it is
// stopped: a queued run never starts, a running one ends cancelled whatever its runner says, an
// ended one cannot be cancelled, and a cancel recorded by another replica stops the run here.

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ENTITY = 'resource:default/orders-db';
const GUEST = 'user:default/guest';

/** A backup that runs until its signal fires, then fails as a stopped agent does. */
class StoppableRunner implements Runner {
  readonly name = 'local';
  started: BackupRequest[] = [];
  outcome: BackupOutcome = { status: 'failed', error: 'agent interrupted' };
  /** ends the backup as if the agent had finished on its own */
  finish = () => {};
  async backup(request: BackupRequest): Promise<BackupOutcome> {
    this.started.push(request);
    await new Promise<void>(resolve => {
      this.finish = resolve;
      request.signal!.addEventListener('abort', () => resolve(), {
        once: true,
      });
    });
    return this.outcome;
  }
  verify = jest.fn();
  prune = jest.fn();
}

async function setup(concurrency = 1) {
  const knex = await databases.init('SQLITE_3');
  const { runs } = await createDatabaseStores({
    database: { getClient: async () => knex } as DatabaseService,
  });
  const runner = new StoppableRunner();
  const catalog = {
    getDatabase: async () => ({
      settings: { runner: 'local', connection: 'main' },
      problems: [],
    }),
  } as unknown as DatabaseCatalog;
  const service = new RunService({
    runs,
    databases: catalog,
    runners: new RunnerSet({ local: runner }),
    config: {
      concurrency,
      runner: 'local',
      connections: new Map([['main', { name: 'main' }]]),
    } as unknown as DbBackupsConfig,
    logger: mockServices.logger.mock(),
  });
  return { runs, runner, service };
}

const queue = (service: RunService) =>
  service.requestBackup({
    entityRef: ENTITY,
    trigger: 'manual',
    runner: 'local',
  });

async function until(check: () => Promise<boolean> | boolean) {
  for (let i = 0; i < 200 && !(await check()); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

const statusOf = async (runs: RunStore, id: string) =>
  (await runs.getRun(id))!.status;

describe('RunService.cancelRun', () => {
  it('stops a running run, which ends cancelled with who cancelled it', async () => {
    const { runs, runner, service } = await setup();
    const run = (await queue(service))!;
    await until(() => runner.started.length === 1);
    expect(await statusOf(runs, run.id)).toBe('running');

    const answer = await service.cancelRun(run.id, GUEST);
    expect(answer.status).toBe('running');
    expect(runner.started[0].signal!.aborted).toBe(true);
    await service.drain();
    const ended = (await runs.getRun(run.id))!;
    expect(ended.status).toBe('cancelled');
    expect(ended.error).toBe(`cancelled by ${GUEST}`);
  });

  it('ends a cancelled run cancelled even when its runner says it succeeded, and deletes that backup', async () => {
    const { runs, runner, service } = await setup();
    const artifact = { store: 's3' as const, key: 'k', location: 's3://b/k' };
    runner.outcome = { status: 'succeeded', bytes: 1, sha256: 'a', artifact };
    const run = (await queue(service))!;
    await until(() => runner.started.length === 1);
    await service.cancelRun(run.id, GUEST);
    await service.drain();
    const ended = (await runs.getRun(run.id))!;
    expect(ended.status).toBe('cancelled');
    expect(ended.artifact).toBeNull();
    expect(runner.prune).toHaveBeenCalledWith(artifact);
  });

  it('cancels a queued run at once; it never starts', async () => {
    const { runs, runner, service } = await setup(1);
    const first = (await queue(service))!;
    const waiting = (await queue(service))!;
    await until(() => runner.started.length === 1);
    const answer = await service.cancelRun(waiting.id, GUEST);
    expect(answer.status).toBe('cancelled');
    expect(answer.error).toBe(`cancelled by ${GUEST}`);
    await service.cancelRun(first.id, GUEST);
    await service.drain();
    expect(runner.started.map(r => r.run.id)).toEqual([first.id]);
    expect(await statusOf(runs, waiting.id)).toBe('cancelled');
  });

  it('refuses an ended run with 409 and an unknown one with 404', async () => {
    const { runner, service } = await setup();
    const run = (await queue(service))!;
    await until(() => runner.started.length === 1);
    await service.cancelRun(run.id, GUEST);
    await service.drain();
    await expect(service.cancelRun(run.id, GUEST)).rejects.toThrow(
      new ConflictError(`run ${run.id} already cancelled`),
    );
    await expect(
      service.cancelRun('6f1c2a56-3d0b-4e6b-9d4e-0a3c1f2b7e11', GUEST),
    ).rejects.toThrow(NotFoundError);
  });

  it('stops a run this replica executes when the cancel reached another replica', async () => {
    const { runs, runner, service } = await setup();
    const run = (await queue(service))!;
    await until(() => runner.started.length === 1);
    // the other replica records the request; it holds no controller of this run
    await runs.requestCancel(run.id, GUEST);
    const watcher = new CancelWatcher({
      runs,
      heldRunIds: () => service.heldRunIds(),
      abort: (id, by) => service.abortHeld(id, by),
      logger: mockServices.logger.mock(),
    });
    expect(await watcher.tick()).toBe(1);
    await service.drain();
    const ended = (await runs.getRun(run.id))!;
    expect(ended.status).toBe('cancelled');
    expect(ended.error).toBe(`cancelled by ${GUEST}`);
    expect(await watcher.tick()).toBe(0);
  });

  it('ends a run cancelled through another replica cancelled even when it finishes before the watcher looks', async () => {
    const { runs, runner, service } = await setup();
    runner.outcome = { status: 'succeeded', bytes: 1, sha256: 'a' };
    const run = (await queue(service))!;
    await until(() => runner.started.length === 1);
    await runs.requestCancel(run.id, GUEST);
    runner.finish();
    await service.drain();
    const ended = (await runs.getRun(run.id))!;
    expect(ended.status).toBe('cancelled');
    expect(ended.error).toBe(`cancelled by ${GUEST}`);
  });
});
