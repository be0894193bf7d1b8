import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { DatabaseRunStore } from './DatabaseRunStore';
import { ScheduleStore } from './ScheduleStore';

const migrationsDir = resolvePackagePath(
  '@backlot/plugin-db-backups-backend',
  'migrations',
);

/** The plugin's own tables (SQLite or PostgreSQL through Knex), one store per table. */
export interface DatabaseStores {
  runs: DatabaseRunStore;
  schedules: ScheduleStore;
}

/**
 * The one way to get the stores: brings the plugin's tables up to date once (unless the backend
 * skips migrations), then hands out a store per table on the same client. Safe to run from several
 * replicas at once (Knex locks the migrations).
 */
export async function createDatabaseStores(options: {
  database: DatabaseService;
  /** The clock of the runs table, epoch milliseconds (tests). */
  now?: () => number;
}): Promise<DatabaseStores> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip) {
    await knex.migrate.latest({ directory: migrationsDir });
  }
  return {
    runs: new DatabaseRunStore(knex, options.now ?? Date.now),
    schedules: new ScheduleStore(knex),
  };
}
