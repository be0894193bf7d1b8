import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@backlot/plugin-db-backups-backend',
  'migrations',
);

/** Brings the plugin's tables up to date; safe to run from several replicas at once (Knex locks). */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({ directory: migrationsDir });
}
