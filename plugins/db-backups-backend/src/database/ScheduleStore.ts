import { Knex } from 'knex';

const TABLE = 'db_backups_schedules';

export interface ScheduleRow {
  entityRef: string;
  cron: string;
  timezone: string;
  nextDueAt: Date;
}

type Row = {
  entity_ref: string;
  cron: string;
  timezone: string;
  next_due_at: number | string;
  updated_at: number | string;
};

const fromRow = (row: Row): ScheduleRow => ({
  entityRef: row.entity_ref,
  cron: row.cron,
  timezone: row.timezone,
  nextDueAt: new Date(Number(row.next_due_at)),
});

/**
 * One row per scheduled database entity, shared by every backend replica. The next due time lives
 * here rather than in a scheduler task per entity: claiming is a compare-and-set on it, and a
 * removed entity is a deleted row (the Backstage scheduler never forgets a task, backstage#25511).
 * Made by createDatabaseStores, which migrates the tables.
 */
export class ScheduleStore {
  constructor(private readonly db: Knex) {}

  async list(): Promise<ScheduleRow[]> {
    return (await this.db<Row>(TABLE).select()).map(fromRow);
  }

  async get(entityRef: string): Promise<ScheduleRow | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ entity_ref: entityRef })
      .first();
    return row ? fromRow(row) : undefined;
  }

  async upsert(rows: ScheduleRow[]): Promise<void> {
    const now = Date.now();
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 500) {
      await this.db(TABLE)
        .insert(
          rows.slice(i, i + 500).map(r => ({
            entity_ref: r.entityRef,
            cron: r.cron,
            timezone: r.timezone,
            next_due_at: r.nextDueAt.getTime(),
            updated_at: now,
          })),
        )
        .onConflict('entity_ref')
        .merge();
    }
  }

  async remove(entityRefs: string[]): Promise<void> {
    for (let i = 0; i < entityRefs.length; i += 500) {
      await this.db(TABLE)
        .whereIn('entity_ref', entityRefs.slice(i, i + 500))
        .delete();
    }
  }

  async listDue(now: Date, limit: number): Promise<ScheduleRow[]> {
    const rows = await this.db<Row>(TABLE)
      .where('next_due_at', '<=', now.getTime())
      .orderBy('next_due_at')
      .limit(limit);
    return rows.map(fromRow);
  }

  /** Moves a schedule from one due time to the next; false when another replica already did. */
  async advance(entityRef: string, from: Date, to: Date): Promise<boolean> {
    const changed = await this.db(TABLE)
      .where({ entity_ref: entityRef, next_due_at: from.getTime() })
      .update({ next_due_at: to.getTime(), updated_at: Date.now() });
    return changed === 1;
  }
}
