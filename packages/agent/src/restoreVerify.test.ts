import { createDatabase, testbedUp, TestbedInfo } from '@backlot/testbed';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from './errors';
import { runAgent } from './__testUtils__/runAgent';

jest.setTimeout(180_000);

const agent = (args: string[], env: Record<string, string>) =>
  runAgent([...args, '--events'], env);

/** Everything that must survive a round trip, as one comparable value per table plus the large object. */
async function fingerprint(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = ['public.plain', 'sales."MixedCase"', 'sales.docs'];
    const result: Record<string, string> = {};
    for (const t of tables) {
      const { rows } = await client.query(
        `select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as f from ${t} x`,
      );
      result[t] = rows[0].f;
    }
    const { rows } = await client.query(
      `select md5(lo_get(oid)) as f from pg_largeobject_metadata`,
    );
    result.largeObjects = rows.map(r => r.f).join(',');
    return result;
  } finally {
    await client.end();
  }
}

describe('backlot-agent restore and verify', () => {
  let testbed: TestbedInfo;
  const env = (major: number, database: string): Record<string, string> => ({
    PGHOST: testbed.host,
    PGPORT: String(testbed.ports[String(major)]),
    PGUSER: testbed.user,
    PGPASSWORD: testbed.password,
    PGDATABASE: database,
    BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
    BACKLOT_PG_SYSTEM_BINS: '0',
  });
  const urlOf = (major: number, database: string) =>
    `postgresql://${testbed.user}:${encodeURIComponent(testbed.password)}@${
      testbed.host
    }:${testbed.ports[String(major)]}/${database}`;

  async function seedAndDump(major: number) {
    const url = await createDatabase(major, 'backlot_rv_source');
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`
      create table plain (id int primary key, note text);
      insert into plain select g, 'note ' || g from generate_series(1, 1000) g;
      create schema sales;
      create table sales."MixedCase" ("Id" int, "Ünïcødé" text);
      insert into sales."MixedCase" select g, '日本語 ✓ ' || g from generate_series(1, 500) g;
      create table sales.docs (id int, body jsonb);
      insert into sales.docs select g, jsonb_build_object('k', g, 'v', repeat('x', 3000)) from generate_series(1, 200) g;
      select lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
    `);
    await client.end();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rv-'));
    const dump = await agent(
      [
        'dump',
        '--to',
        pathToFileURL(dir).href,
        '--entity',
        'default/rv',
        '--run-id',
        `rv-${major}`,
      ],
      env(major, 'backlot_rv_source'),
    );
    expect(dump.code).toBe(EXIT_CODES.ok);
    return { url, dir, location: dump.result.location as string };
  }

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [14, 16, 18] });
  });

  it.each([14, 16, 18])(
    'restores a PostgreSQL %i dump into a new database with equal data',
    async major => {
      const { url, location } = await seedAndDump(major);
      const manifest = JSON.parse(
        fs.readFileSync(
          fileURLToPath(location).replace('.dump', '.manifest.json'),
          'utf8',
        ),
      );
      expect(manifest.tables).toEqual({
        'public.plain': 1000,
        'sales."MixedCase"': 500,
        'sales.docs': 200,
      });

      const targetDb = `backlot_rv_target_${major}`;
      const admin = new Client({ connectionString: urlOf(major, 'postgres') });
      await admin.connect();
      await admin
        .query(`drop database if exists ${targetDb} with (force)`)
        .catch(() => admin.query(`drop database if exists ${targetDb}`));
      await admin.end();

      const restored = await agent(
        [
          'restore',
          '--from',
          location,
          '--target-url',
          urlOf(major, targetDb),
          '--create',
          '--jobs',
          '2',
        ],
        {
          BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
          BACKLOT_PG_SYSTEM_BINS: '0',
        },
      );
      expect(restored.result.error).toBeNull();
      expect(restored.code).toBe(EXIT_CODES.ok);
      expect(await fingerprint(urlOf(major, targetDb))).toEqual(
        await fingerprint(url),
      );
      // the password with its special characters never shows
      expect(restored.stderr).not.toContain(testbed.password);

      const verified = await agent(
        [
          'verify',
          '--from',
          location,
          '--scratch-url',
          urlOf(major, 'postgres'),
        ],
        env(major, 'postgres'),
      );
      expect(verified.code).toBe(EXIT_CODES.ok);
      expect(verified.stderr).toContain('row counts match');
    },
  );

  it('exits 6 when a byte of the artifact is flipped, and when the manifest is missing', async () => {
    const { location, dir } = await seedAndDump(16);
    const file = fileURLToPath(location);
    const corrupt = path.join(dir, 'corrupt.dump');
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(corrupt, bytes);
    fs.copyFileSync(
      file.replace('.dump', '.manifest.json'),
      path.join(dir, 'corrupt.manifest.json'),
    );
    const flipped = await agent(
      ['verify', '--from', pathToFileURL(corrupt).href],
      env(16, 'postgres'),
    );
    expect(flipped.code).toBe(EXIT_CODES.verification);
    expect(flipped.result.error.message).toContain('the artifact is corrupted');

    fs.copyFileSync(file, path.join(dir, 'uncommitted.dump'));
    const uncommitted = await agent(
      [
        'verify',
        '--from',
        pathToFileURL(path.join(dir, 'uncommitted.dump')).href,
      ],
      env(16, 'postgres'),
    );
    expect(uncommitted.code).toBe(EXIT_CODES.verification);
    expect(uncommitted.result.error.message).toContain('not a backup');
  });

  it('refuses to restore into an older major, and into a database that holds data', async () => {
    const { location, url } = await seedAndDump(18);
    const older = await agent(
      [
        'restore',
        '--from',
        location,
        '--target-url',
        urlOf(16, 'backlot_rv_older'),
        '--create',
      ],
      {
        BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      },
    );
    expect(older.code).not.toBe(EXIT_CODES.ok);
    expect(older.result.error.message).toMatch(
      /refusing to restore a dump of PostgreSQL 18\.\S+ into PostgreSQL 16/,
    );

    const notEmpty = await agent(
      ['restore', '--from', location, '--target-url', url],
      {
        BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      },
    );
    expect(notEmpty.code).not.toBe(EXIT_CODES.ok);
    expect(notEmpty.result.error.message).toMatch(/is not empty/);
  });
});
