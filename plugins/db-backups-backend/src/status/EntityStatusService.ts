import {
  EntityBackupStatus,
  nextDueTime,
} from '@backlot/plugin-db-backups-common';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { RunStore } from '../database/RunStore';
import { ScheduleStore } from '../database/ScheduleStore';

/** The answer of `GET /entities/:namespace/:name/status`; the router's tests mock it. */
export interface EntityStatusService {
  /** NotFoundError when the entity is not a database entity in the catalog. */
  getStatus(entityRef: string): Promise<EntityBackupStatus>;
}

/** Composes a database's status from the catalog, its schedule row and its newest runs. */
export class DefaultEntityStatusService implements EntityStatusService {
  constructor(
    private readonly options: {
      databases: DatabaseCatalog;
      runs: RunStore;
      schedules: ScheduleStore;
      /** verify runs restore into a scratch database (dbBackups.verify.scratchConnection is set) */
      verifyRestores: boolean;
      now?: () => Date;
    },
  ) {}

  async getStatus(entityRef: string): Promise<EntityBackupStatus> {
    const { databases, runs, schedules } = this.options;
    const database = await databases.requireDatabase(entityRef);
    const { schedule } = database.settings;
    const row = await schedules.get(entityRef);
    // The schedule row's due time holds only while the row has the catalog's current cron.
    const nextRunAt = schedule
      ? (row?.cron === schedule.cron && row.timezone === schedule.timezone
          ? row.nextDueAt
          : nextDueTime(schedule, this.options.now?.() ?? new Date())
        ).toISOString()
      : null;
    return {
      entityRef,
      schedule: schedule?.cron ?? null,
      timezone: schedule?.timezone ?? 'UTC',
      nextRunAt,
      lastSuccess:
        (await runs.latestRun(entityRef, { status: 'succeeded' })) ?? null,
      lastRun: (await runs.latestRun(entityRef)) ?? null,
      lastVerified:
        (await runs.latestRun(entityRef, {
          status: 'succeeded',
          kind: 'verify',
        })) ?? null,
      verifyRestores: this.options.verifyRestores,
      problems: database.problems,
    };
  }
}
