import { LoggerService } from '@backstage/backend-plugin-api';
import { nextDueTime } from '@backlot/plugin-db-backups-common';
import { RunService } from '../runs/RunService';
import { ScheduleStore } from '../database/ScheduleStore';

/**
 * Runs on every backend replica each tick and turns due schedules into runs. Exactly one run per
 * due time follows from the runs table's unique (entity, kind, scheduled_for) index, not from
 * timing: replicas may race freely.
 */
export class BackupDispatcher {
  constructor(
    private readonly options: {
      schedules: ScheduleStore;
      runs: RunService;
      logger: LoggerService;
      batchSize?: number;
      now?: () => Date;
    },
  ) {}

  async tick(): Promise<number> {
    const { schedules, runs, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const due = await schedules.listDue(now, this.options.batchSize ?? 200);
    let started = 0;
    for (const schedule of due) {
      // After downtime a schedule catches up with one run, not one per missed due time.
      const after = schedule.nextDueAt > now ? schedule.nextDueAt : now;
      try {
        const run = await runs.requestBackup({
          entityRef: schedule.entityRef,
          trigger: 'schedule',
          scheduledFor: schedule.nextDueAt,
        });
        if (run) started++;
        await schedules.advance(
          schedule.entityRef,
          schedule.nextDueAt,
          nextDueTime(schedule, after),
        );
      } catch (error) {
        logger.error(
          `could not start the scheduled backup of ${schedule.entityRef}`,
          error as Error,
        );
      }
    }
    return started;
  }
}
