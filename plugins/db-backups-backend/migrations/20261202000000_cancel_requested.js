// @ts-check

/**
 * A cancel of a running run, recorded so that the replica executing it sees the request even when
 * the cancel reached another replica (only the executing one can stop the agent).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.bigInteger('cancel_requested_at').nullable();
    table.text('cancelled_by').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.dropColumn('cancel_requested_at');
    table.dropColumn('cancelled_by');
  });
};
