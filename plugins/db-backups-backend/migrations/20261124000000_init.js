// @ts-check

/**
 * Run history and per-entity schedules. Times are epoch milliseconds (bigint) so that SQLite and
 * PostgreSQL compare and sort them the same way.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('db_backups_runs', table => {
    table.string('id', 36).primary().notNullable();
    table.string('kind', 16).notNullable();
    table.string('entity_ref', 512).notNullable();
    table.string('target_ref', 512).nullable();
    table.string('trigger', 16).notNullable();
    table.string('status', 16).notNullable();
    table.string('requested_by', 512).nullable();
    table.string('runner', 32).notNullable();
    table.string('job_name', 255).nullable();
    table.bigInteger('queued_at').notNullable();
    table.bigInteger('scheduled_for').nullable();
    table.bigInteger('started_at').nullable();
    table.bigInteger('finished_at').nullable();
    table.bigInteger('heartbeat_at').nullable();
    table.string('server_version', 64).nullable();
    table.string('pg_dump_version', 64).nullable();
    table.bigInteger('bytes').nullable();
    table.string('sha256', 64).nullable();
    table.string('artifact_store', 16).nullable();
    table.text('artifact_key').nullable();
    table.text('artifact_location').nullable();
    table.text('error').nullable();
    table.text('progress').nullable();
    table.index(
      ['entity_ref', 'queued_at'],
      'db_backups_runs_entity_queued_idx',
    );
    table.index(['status'], 'db_backups_runs_status_idx');
    // A due time of a schedule becomes at most one run, whatever the number of backend replicas.
    table.unique(['entity_ref', 'kind', 'scheduled_for'], {
      indexName: 'db_backups_runs_scheduled_once_idx',
    });
  });

  await knex.schema.createTable('db_backups_schedules', table => {
    table.string('entity_ref', 512).primary().notNullable();
    table.string('cron', 255).notNullable();
    table.string('timezone', 64).notNullable();
    table.bigInteger('next_due_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(['next_due_at'], 'db_backups_schedules_due_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('db_backups_schedules');
  await knex.schema.dropTable('db_backups_runs');
};
