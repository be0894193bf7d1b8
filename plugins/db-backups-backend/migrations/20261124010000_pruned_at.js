// @ts-check

/**
 * When retention deleted a backup's artifact; a pruned run stays in the history.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.bigInteger('pruned_at').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('db_backups_runs', table => {
    table.dropColumn('pruned_at');
  });
};
