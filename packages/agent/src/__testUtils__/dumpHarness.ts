import { createDatabase, testbedUp, TestbedInfo } from '@backlot/testbed';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

// What the dump tests (e2e/dump, e2e/dumpFailures) share: servers 15, 16 and 17, each with a
// database big enough that a dump takes a moment (so it can be killed mid-stream).

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(f => fs.statSync(path.join(dir, f)).isFile());
}

export const tmp = () =>
  fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-agent-'));

export const dumpArgs = (dir: string) => [
  'dump',
  '--to',
  pathToFileURL(dir).href,
  '--entity',
  'default/x',
  '--events',
];

/**
 * Starts the testbed and creates `database` (one per test file: Jest runs files at once) before
 * the file's tests; `libpq(major)` is the environment that reaches it.
 */
export function dumpHarness(database: string) {
  jest.setTimeout(180_000); // a dump of a real server, sometimes two
  let testbed: TestbedInfo;
  beforeAll(async () => {
    testbed = await testbedUp({ pg: [15, 16, 17] });
    for (const major of [15, 16, 17]) {
      const client = new Client({
        connectionString: await createDatabase(major, database),
      });
      await client.connect();
      await client.query(`create table t (id int, payload text);
        insert into t select g, md5(g::text) || repeat('x', 200) from generate_series(1, 200000) g;`);
      await client.end();
    }
  });
  return {
    testbed: () => testbed,
    libpq: (major: number, db = database): Record<string, string> => ({
      PGHOST: testbed.host,
      PGPORT: String(testbed.ports[String(major)]),
      PGUSER: testbed.user,
      PGPASSWORD: testbed.password,
      PGDATABASE: db,
      BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      BACKLOT_PG_SYSTEM_BINS: '0',
    }),
  };
}
