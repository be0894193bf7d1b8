// @ts-check

/**
 * The pg_restore errors a run succeeded past (restore --allow-errors), as JSON: count and kinds.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.text('errors_ignored').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.dropColumn('errors_ignored');
  });
};
