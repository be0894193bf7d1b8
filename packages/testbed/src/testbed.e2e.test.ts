import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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
  PLAIN_MAJOR,
  SERVER_MAJORS,
  TestbedInfo,
  testbedUp,
} from './index';
import { BUILD_NAMES, findBuild } from './builds';
import { serverDir } from './config';

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
    info = await testbedUp({ s3: true, plain: true });
  });

  it('reuses what runs: a second call returns the same testbed, quickly', async () => {
    const started = Date.now();
    const again = await testbedUp({ s3: true, plain: true });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(again).toEqual(info);
  });

  it('serialises concurrent callers and gives them all the same answer', async () => {
    const all = await Promise.all([
      testbedUp({ s3: true, plain: true }),
      testbedUp({ s3: true, plain: true }),
      testbedUp({ s3: true, plain: true }),
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

  describe('the plain server (self-built, default configure)', () => {
    it('runs PostgreSQL 17 on its own port, without TLS, reachable by its URL', async () => {
      const plain = info.plain!;
      expect(plain.port).toBe(pgPort('plain'));
      expect(info.ports.plain).toBe(plain.port);
      expect(Object.values(info.ports).filter(p => p === plain.port)).toEqual([
        plain.port,
      ]);
      expect(plain.major).toBe(PLAIN_MAJOR);
      expect(new URL(plain.url).port).toBe(String(plain.port));
      const [row] = await query(
        plain.url,
        "select current_setting('server_version_num')::int as v, current_setting('server_version') as version, current_setting('ssl') as ssl",
      );
      expect(row.v).toBeGreaterThanOrEqual(170000);
      expect(row.v).toBeLessThan(180000);
      expect(row.version).toBe(plain.version);
      expect(row.ssl).toBe('off');
      // and libpq takes the URL as well (sslmode prefer falls back to a plain connection)
      const { stdout } = await run(`${info.pgBin[17]}/psql`, [
        plain.url,
        '-Atc',
        'select current_user',
      ]);
      expect(stdout.trim()).toBe('postgres');
    });

    it('has no libxml: xpath() fails', async () => {
      const error = await query(
        info.plain!.url,
        "select xpath('/a/text()', '<a>1</a>')",
      ).catch(e => e);
      // "unsupported XML feature", detail "This functionality requires the server to be built with libxml support."
      expect(error).toBeInstanceOf(Error);
      expect(`${error.message} ${error.detail}`).toMatch(
        /unsupported XML feature.*libxml/,
      );
      // the embedded servers, for contrast, have it
      expect(
        await query(
          info.postgres[17],
          "select (xpath('/a/text()', '<a>1</a>'))[1]::text as x",
        ),
      ).toEqual([{ x: '1' }]);
    });

    it('has lz4, which the embedded servers lack', async () => {
      // The testbed's source of lz4-compressed columns: a session setting and an explicit column both take it.
      const url = await createDatabase('plain', 'testbed_lz4');
      try {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query('set default_toast_compression = lz4');
          expect(
            (await client.query('show default_toast_compression')).rows,
          ).toEqual([{ default_toast_compression: 'lz4' }]);
          await client.query('create table t (t text compression lz4, d text)');
          // long and compressible, so that both columns are stored compressed (d through the session default)
          await client.query(
            "insert into t select repeat('lz4 ', 10000), repeat('default ', 10000)",
          );
          expect(
            (
              await client.query(
                'select pg_column_compression(t) as t, pg_column_compression(d) as d from t',
              )
            ).rows,
          ).toEqual([{ t: 'lz4', d: 'lz4' }]);
        } finally {
          await client.end();
        }
      } finally {
        await dropDatabase('plain', 'testbed_lz4');
      }
      // the embedded 17, for contrast, rejects both
      const setting = await query(
        info.postgres[17],
        'set default_toast_compression = lz4',
      ).catch(e => e);
      expect(setting).toBeInstanceOf(Error);
      expect(setting.message).toBe(
        'invalid value for parameter "default_toast_compression": "lz4"',
      );
      expect(setting.hint).toBe('Available values: pglz.');
      const column = await query(
        info.postgres[17],
        'create temporary table t (t text compression lz4)',
      ).catch(e => e);
      expect(column).toBeInstanceOf(Error);
      expect(column.message).toBe('compression method lz4 not supported');
      expect(column.detail).toMatch(/built with lz4 support/);
    });

    it('runs the newest build in the cache, found under the name build-pg.sh gives it', () => {
      const bin = findBuild('server', PLAIN_MAJOR);
      expect(bin).toBeDefined();
      const build = path.basename(path.dirname(bin!));
      expect(build).toBe(`${BUILD_NAMES.server}-${info.plain!.version}`);
      expect(
        fs.readFileSync(
          path.join(serverDir('plain'), 'native', '.backlot-version'),
          'utf8',
        ),
      ).toBe(build);
    });

    it('has no contrib extensions, only plpgsql', async () => {
      const rows = await query(
        info.plain!.url,
        'select name from pg_available_extensions order by name',
      );
      const names = rows.map(r => r.name);
      expect(names).not.toContain('hstore');
      expect(names).toEqual(['plpgsql']);
    });

    it('creates and drops databases like the others', async () => {
      const name = 'Testbed "Plain" db';
      const url = await createDatabase('plain', name);
      expect(new URL(url).port).toBe(String(info.plain!.port));
      await query(url, 'create table t (id int)');
      await dropDatabase('plain', name);
      expect(
        await query(
          info.plain!.url,
          `select 1 from pg_database where datname = '${name.replace(
            /'/g,
            "''",
          )}'`,
        ),
      ).toEqual([]);
    });
  });
});
