import { TestbedInfo } from '@backlot/testbed';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { agent } from './runAgent';

/** How tests reach the testbed's servers and run the agent against them. */
export function testbedAccess(testbed: TestbedInfo) {
  /** pg clients and S3: what every agent call gets, but no database credentials */
  const toolsEnv = (): Record<string, string> => ({
    BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
    BACKLOT_PG_SYSTEM_BINS: '0',
    ...(testbed.s3
      ? {
          AWS_ENDPOINT_URL_S3: testbed.s3.endpoint,
          AWS_REGION: testbed.s3.region,
          AWS_ACCESS_KEY_ID: testbed.s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: testbed.s3.secretAccessKey,
        }
      : {}),
  });
  /** a server's port: a major, or a key of testbed.ports such as the self-built server's */
  const portOf = (server: number | string) => testbed.ports[String(server)];
  const env = (
    server: number | string,
    database: string,
  ): Record<string, string> => ({
    PGHOST: testbed.host,
    PGPORT: String(portOf(server)),
    PGUSER: testbed.user,
    PGPASSWORD: testbed.password,
    PGDATABASE: database,
    ...toolsEnv(),
  });
  const urlOf = (server: number | string, database: string) =>
    `postgresql://${testbed.user}:${encodeURIComponent(testbed.password)}@${
      testbed.host
    }:${portOf(server)}/${database}`;

  async function sql<T = any>(
    server: number | string,
    database: string,
    text: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const client = new Client({ connectionString: urlOf(server, database) });
    await client.connect();
    try {
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Drops and creates `database` with `options` (e.g. `template template0 encoding 'LATIN1' locale 'C'`). */
  async function freshDatabase(
    server: number | string,
    database: string,
    options = '',
  ) {
    await sql(
      server,
      'postgres',
      `drop database if exists "${database}" with (force)`,
    );
    await sql(server, 'postgres', `create database "${database}" ${options}`);
    return urlOf(server, database);
  }

  const databaseExists = async (server: number | string, name: string) =>
    (
      await sql(
        server,
        'postgres',
        'select 1 from pg_database where datname = $1',
        [name],
      )
    ).length > 0;

  /** restore --create of `location` into a database `name` on `server`, dropped first */
  async function restoreAsNew(
    location: string,
    server: number | string,
    name: string,
    ...extra: string[]
  ) {
    await sql(
      server,
      'postgres',
      `drop database if exists "${name}" with (force)`,
    );
    return agent(
      [
        'restore',
        '--from',
        location,
        '--target-url',
        urlOf(server, name),
        '--create',
        ...extra,
      ],
      toolsEnv(),
    );
  }

  /** Dumps `database` of `server` into a new folder store; returns the dump's file:// URL. */
  async function dumpToFolder(server: number | string, database: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-test-'));
    const dump = await agent(
      [
        'dump',
        '--to',
        pathToFileURL(dir).href,
        '--entity',
        `default/${database}`,
      ],
      env(server, database),
    );
    if (dump.code !== 0)
      throw new Error(`dump of ${database} failed: ${dump.stderr}`);
    return dump.result.location as string;
  }

  return {
    toolsEnv,
    env,
    urlOf,
    sql,
    freshDatabase,
    databaseExists,
    restoreAsNew,
    agent,
    dumpToFolder,
  };
}
