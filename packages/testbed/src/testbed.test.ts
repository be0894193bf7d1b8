import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Client } from 'pg';
import {
  createDatabase,
  dropDatabase,
  pgBinFor,
  pgPort,
  SERVER_MAJORS,
  TestbedInfo,
  testbedUp,
} from './index';

const run = promisify(execFile);

// Cold, this can include building client programs from source (minutes); warm it takes well under a second.
jest.setTimeout(15 * 60_000);

async function query(url: string, sql: string): Promise<any[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('testbed', () => {
  let info: TestbedInfo;

  beforeAll(async () => {
    info = await testbedUp({ s3: true });
  });

  it('reuses what runs: a second call returns the same testbed, quickly', async () => {
    const started = Date.now();
    const again = await testbedUp({ s3: true });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(again).toEqual(info);
  });

  it('serialises concurrent callers and gives them all the same answer', async () => {
    const all = await Promise.all([
      testbedUp({ s3: true }),
      testbedUp({ s3: true }),
      testbedUp({ s3: true }),
    ]);
    for (const each of all) expect(each).toEqual(info);
  });

  it.each(SERVER_MAJORS.map(m => [m]))(
    'runs PostgreSQL %i on its fixed port, reachable by its URL',
    async major => {
      // 55400 + major unless BACKLOT_TESTBED_PORT_BASE moves them
      expect(info.ports[major]).toBe(pgPort(major));
      const rows = await query(
        info.postgres[major],
        "select current_setting('server_version_num')::int as v",
      );
      expect(Math.floor(rows[0].v / 10000)).toBe(major);
    },
  );

  it('uses a password that needs every kind of escaping, and the URL carries it intact', async () => {
    for (const c of ['@', ':', '/', '?', '#', '%', "'", '"', '\\', ' '])
      expect(info.password).toContain(c);
    expect([...info.password].some(c => c.codePointAt(0)! > 127)).toBe(true);
    const url = new URL(info.postgres[16]);
    expect(decodeURIComponent(url.password)).toBe(info.password);
    // node-postgres parses the URL itself; give it the raw password as well to prove the server has exactly that one
    const client = new Client({
      host: info.host,
      port: info.ports[16],
      user: info.user,
      password: info.password,
    });
    await client.connect();
    await client.end();
    // and libpq (psql) parses it too
    const { stdout } = await run(`${info.pgBin[18]}/psql`, [
      info.postgres[14],
      '-Atc',
      'select current_user',
    ]);
    expect(stdout.trim()).toBe('postgres');
  });

  it.each([[15], [17], [18]])(
    'provides client programs of major %i',
    async major => {
      for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
        const { stdout } = await run(`${info.pgBin[major]}/${tool}`, [
          '--version',
        ]);
        expect(stdout).toMatch(new RegExp(`\\(PostgreSQL\\) ${major}\\.`));
      }
    },
  );

  it('maps servers without their own client to the nearest newer one', () => {
    expect(pgBinFor(14)?.major).toBe(15);
    expect(pgBinFor(16)?.major).toBe(17);
    expect(pgBinFor(18)?.dir).toBe(info.pgBin[18]);
  });

  it('serves S3 with the returned credentials', async () => {
    const s3 = info.s3!;
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      credentials: {
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
    });
    try {
      const key = `testbed-test/${process.pid}-${Date.now()}.txt`;
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'grüße 📦' }),
      );
      const got = await client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: key }),
      );
      expect(await got.Body!.transformToString()).toBe('grüße 📦');
    } finally {
      client.destroy();
    }
  });

  it('creates fresh databases and drops them', async () => {
    const name = 'Testbed "Fresh" db';
    const url = await createDatabase(17, name);
    await query(url, 'create table t (id int)');
    // a second create replaces the database: the table is gone
    const again = await createDatabase(17, name);
    expect(again).toBe(url);
    expect(await query(again, "select to_regclass('public.t') as t")).toEqual([
      { t: null },
    ]);
    await dropDatabase(17, name);
    const left = await query(
      info.postgres[17],
      `select 1 from pg_database where datname = '${name.replace(/'/g, "''")}'`,
    );
    expect(left).toEqual([]);
  });
});
