import { SERVER_MAJORS, testbedDatabaseUrl } from '@backlot/testbed';

/**
 * Points Backstage's TestDatabases at the testbed's PostgreSQL servers, so store tests run on
 * PostgreSQL as well as SQLite. Their URLs are fixed, so nothing is started here: the tests that
 * need no server (router, config, services with fakes) run with the testbed down, and each test
 * that needs a server starts it itself with testbedUp (cheap when it already runs).
 */
export default async function globalSetup() {
  process.env.BACKSTAGE_TEST_DISABLE_DOCKER = '1';
  for (const major of SERVER_MAJORS) {
    process.env[
      `BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING`
    ] ??= testbedDatabaseUrl(major, 'postgres');
  }
}
