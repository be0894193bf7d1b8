import { LoggerService } from '@backstage/backend-plugin-api';
import { nextDueTime } from '@backlot/plugin-db-backups-common';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { ScheduleRow, ScheduleStore } from '../database/ScheduleStore';

/**
 * Makes the schedule table match the catalog: new or changed crons get a fresh next due time,
 * unchanged ones keep theirs, and entities that are gone (or lost their schedule) stop.
 */
export class ScheduleSync {
  constructor(
    private readonly options: {
      databases: DatabaseCatalog;
      schedules: ScheduleStore;
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  async run(): Promise<{ added: number; changed: number; removed: number }> {
    const { databases, schedules, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const existing = new Map(
      (await schedules.list()).map(r => [r.entityRef, r]),
    );
    const seen = new Set<string>();
    const upserts: ScheduleRow[] = [];
    let added = 0;

    // A failure while reading the catalog throws before anything is removed below.
    for await (const page of databases.streamDatabases()) {
      for (const { settings } of page) {
        if (!settings.schedule) continue;
        seen.add(settings.entityRef);
        const previous = existing.get(settings.entityRef);
        if (
          previous?.cron === settings.schedule.cron &&
          previous.timezone === settings.schedule.timezone
        ) {
          continue;
        }
        if (!previous) added++;
        upserts.push({
          entityRef: settings.entityRef,
          ...settings.schedule,
          nextDueAt: nextDueTime(settings.schedule, now),
        });
      }
    }
    const removed = [...existing.keys()].filter(ref => !seen.has(ref));
    await schedules.upsert(upserts);
    await schedules.remove(removed);
    const result = {
      added,
      changed: upserts.length - added,
      removed: removed.length,
    };
    if (upserts.length || removed.length) {
      logger.info(
        `schedules synced from the catalog: ${result.added} added, ${result.changed} changed, ${result.removed} removed`,
      );
    }
    return result;
  }
}
