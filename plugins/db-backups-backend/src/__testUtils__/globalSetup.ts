import { testbedUp } from '@backlot/testbed';

/**
 * Starts (or reuses) the testbed's real PostgreSQL servers once per test run and points
 * Backstage's TestDatabases at them, so store tests run on PostgreSQL as well as SQLite.
 */
export default async function globalSetup() {
  const testbed = await testbedUp({ pg: [14, 15, 16, 17, 18] });
  process.env.BACKSTAGE_TEST_DISABLE_DOCKER = '1';
  for (const [major, url] of Object.entries(testbed.postgres)) {
    process.env[
      `BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING`
    ] ??= url;
  }
}
