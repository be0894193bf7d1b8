// One file over 300 lines because it is one subject, the faults a round trip of a large real-world
// database found (issue 11), and every case shares one testbed with the self-built plain server
// (minutes to build the first time) and the same restore helpers.
import { testbedUp, TestbedInfo } from '@backlot/testbed';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from '../contract';
import { testbedAccess } from '../__testUtils__/testbedAccess';

jest.setTimeout(180_000);

// Faults a round trip of a large real-world database found (issue 11): each case is the few lines
// of SQL that reproduce one, run through the real agent against real servers.
describe('exact restores', () => {
  let testbed: TestbedInfo;
  let tb: ReturnType<typeof testbedAccess>;

  beforeAll(async () => {
    // plain: a PostgreSQL 17 built with default configure options (no libxml, no contrib; with lz4)
    testbed = await testbedUp({ pg: [16, 17, 18], plain: true });
    tb = testbedAccess(testbed);
  });

  it('backs up and verifies a server built without libxml: rows are counted in plain SQL', async () => {
    await tb.freshDatabase('plain', 'ex_nolibxml');
    await tb.sql(
      'plain',
      'ex_nolibxml',
      `create table t(i int); insert into t values (1);
       create table "Odd ""name"""(i int); insert into "Odd ""name""" select generate_series(1, 3);`,
    );
    await expect(
      tb.sql('plain', 'ex_nolibxml', "select xpath('/a/text()', '<a>1</a>')"),
    ).rejects.toThrow('unsupported XML feature');
    const location = await tb.dumpToFolder('plain', 'ex_nolibxml');
    const manifest = JSON.parse(
      fs.readFileSync(
        fileURLToPath(location.replace(/\.dump$/, '.manifest.json')),
        'utf8',
      ),
    );
    expect(manifest.server.major).toBe(17);
    expect(manifest.tables).toEqual({
      'public."Odd ""name"""': 3,
      'public.t': 1,
    });
    const verified = await tb.agent(
      [
        'verify',
        '--from',
        location,
        '--scratch-url',
        tb.urlOf('plain', 'postgres'),
      ],
      tb.toolsEnv(),
    );
    expect(verified.stderr).toContain('row counts match the manifest');
    expect(verified.code).toBe(EXIT_CODES.ok);
  });

  describe('restore --create carries the database its own properties', () => {
    // the testbed's servers default to UTF8 and locale C, so either differs from the default
    async function propsSource(encoding = 'LATIN1', locale = 'C') {
      await tb.freshDatabase(
        16,
        'ex_props',
        `template template0 encoding '${encoding}' locale '${locale}'`,
      );
      await tb.sql(
        16,
        'ex_props',
        `alter database ex_props set search_path = app, public;
         alter database ex_props set work_mem = '12MB';
         comment on database ex_props is 'orders db: café; it''s "quoted"';
         revoke connect, temporary on database ex_props from public;
         create schema app; create table app.orders(id int, note text);
         insert into app.orders values (1, 'crème brûlée');`,
      );
      return tb.dumpToFolder(16, 'ex_props');
    }

    const describeDatabase = async (server: number, name: string) =>
      (
        await tb.sql(
          server,
          // shared catalogs hold a comment in the encoding of the database it was set in
          name,
          `select pg_encoding_to_char(d.encoding) as encoding, d.datcollate, d.datctype,
                shobj_description(d.oid, 'pg_database') as comment,
                (select array_agg(c order by c) from pg_db_role_setting s, unnest(s.setconfig) c
                 where s.setdatabase = d.oid and s.setrole = 0) as settings,
                has_database_privilege('public', d.oid, 'connect') as public_connect,
                has_database_privilege('public', d.oid, 'temporary') as public_temp
           from pg_database d where datname = current_database()`,
        )
      )[0];

    it.each([
      [16, 'LATIN1', 'C'],
      [18, 'LATIN1', 'C'],
      [18, 'UTF8', 'C.utf8'],
    ])(
      'into a differently named database on PostgreSQL %i: encoding (%s), locale (%s), settings, comment and ACL',
      async (target, encoding, locale) => {
        const location = await propsSource(encoding, locale);
        const restored = await tb.restoreAsNew(location, target, 'ex_props_r');
        expect(restored.stderr).not.toContain('pg_restore: pg_restore:');
        expect(restored.code).toBe(EXIT_CODES.ok);
        expect(await describeDatabase(target, 'ex_props_r')).toEqual({
          encoding,
          datcollate: locale,
          datctype: locale,
          comment: `orders db: café; it's "quoted"`,
          settings: ['search_path=app, public', 'work_mem=12MB'],
          public_connect: false,
          public_temp: false,
        });
        expect(
          await tb.sql(target, 'ex_props_r', 'select note from app.orders'),
        ).toEqual([{ note: 'crème brûlée' }]);
      },
    );

    it('refuses an existing database of another encoding before writing anything', async () => {
      const location = await propsSource();
      await tb.freshDatabase(18, 'ex_props_utf8', "encoding 'UTF8'");
      const restored = await tb.agent(
        [
          'restore',
          '--from',
          location,
          '--target-url',
          tb.urlOf(18, 'ex_props_utf8'),
          '--create',
        ],
        tb.toolsEnv(),
      );
      expect(restored.code).not.toBe(EXIT_CODES.ok);
      expect(restored.result.error.message).toMatch(
        /exists with encoding UTF8, but the backup's database is LATIN1/,
      );
      expect(
        await tb.sql(
          18,
          'ex_props_utf8',
          "select count(*)::int as n from pg_namespace where nspname = 'app'",
        ),
      ).toEqual([{ n: 0 }]);
    });
  });

  it('verify --scratch-url matches columns by name: an inheritance child whose column order changes in the restore is not corrupt', async () => {
    await tb.freshDatabase(16, 'ex_inherit');
    await tb.sql(
      16,
      'ex_inherit',
      `create table p(a int); create table c(b int) inherits (p); alter table p add column z int;
       insert into c values (1, 2, 3), (4, 5, 6); insert into p values (7, 8);`,
    );
    const location = await tb.dumpToFolder(16, 'ex_inherit');
    const verify = () =>
      tb.agent(
        [
          'verify',
          '--from',
          location,
          '--scratch-url',
          tb.urlOf(16, 'postgres'),
        ],
        tb.toolsEnv(),
      );
    const verified = await verify();
    expect(verified.stderr).toContain('matches the archive');
    expect(verified.code).toBe(EXIT_CODES.ok);
  });

  describe('a failed restore names its root cause', () => {
    // three grants to a role only the source server has: three errors of one kind
    async function grantsSource() {
      await tb.sql(18, 'postgres', 'drop role if exists ex_only_on_16');
      await tb.sql(
        16,
        'postgres',
        `do $$ begin if not exists (select from pg_roles where rolname = 'ex_only_on_16')
           then create role ex_only_on_16; end if; end $$`,
      );
      await tb.freshDatabase(16, 'ex_errors');
      await tb.sql(
        16,
        'ex_errors',
        `create table t1(i int); create table t2(i int); create table t3(i int);
         insert into t1 values (1);
         grant select on t1, t2, t3 to ex_only_on_16;`,
      );
      return tb.dumpToFolder(16, 'ex_errors');
    }

    it('fails with the total and the errors grouped by kind, each line relayed whole and once', async () => {
      const location = await grantsSource();
      const restored = await tb.restoreAsNew(location, 18, 'ex_errors_r');
      expect(restored.code).not.toBe(EXIT_CODES.ok);
      expect(restored.result.error.message).toMatch(
        /3 error\(s\): 3 × role "…" does not exist \(first: .*role "ex_only_on_16" does not exist\)/,
      );
      expect(restored.result.error.message).toContain('--roles');
      expect(restored.stderr).not.toContain('pg_restore: pg_restore:');
      const relayed = restored.stderr
        .split('\n')
        .filter(line => line.startsWith('backlot-agent: pg_restore: error:'));
      expect(relayed).toHaveLength(3);
      for (const line of relayed)
        expect(line).toMatch(
          /^backlot-agent: pg_restore: error: could not execute query: ERROR: +role "ex_only_on_16" does not exist$/,
        );
    });

    it('with --allow-errors succeeds, and its result carries the count and kinds of the errors it went past', async () => {
      const location = await grantsSource();
      const restored = await tb.restoreAsNew(
        location,
        18,
        'ex_errors_r',
        '--allow-errors',
      );
      expect(restored.code).toBe(EXIT_CODES.ok);
      expect(restored.result.status).toBe('succeeded');
      expect(restored.result.errorsIgnored).toEqual({
        total: 3,
        kinds: [
          {
            kind: 'role "…" does not exist',
            count: 3,
            example: expect.stringContaining(
              'role "ex_only_on_16" does not exist',
            ),
          },
        ],
      });
      expect(await tb.sql(18, 'ex_errors_r', 'select i from t1')).toEqual([
        { i: 1 },
      ]);
    });
  });

  describe('restore checks the target before it writes', () => {
    it('refuses a C library built for another major, creating nothing', async () => {
      await tb.freshDatabase(16, 'ex_library');
      const [{ libdir }] = await tb.sql(
        16,
        'ex_library',
        "select setting as libdir from pg_config where name = 'PKGLIBDIR'",
      );
      // an absolute path pins the function to PostgreSQL 16's build of the library
      await tb.sql(
        16,
        'ex_library',
        `create function hstore_in_16(cstring) returns int4
           as '${libdir}/hstore.so', 'hstore_in' language c;
         create table t(i int);`,
      );
      const location = await tb.dumpToFolder(16, 'ex_library');
      const restored = await tb.restoreAsNew(location, 18, 'ex_library_r');
      expect(restored.code).toBe(EXIT_CODES.incompatibleTarget);
      expect(restored.result.error.message).toMatch(
        new RegExp(
          `cannot take this backup, so nothing was restored: library "${libdir}/hstore.so" \\(used by public.hstore_in_16\\(cstring\\)\\) does not load: incompatible library .*version mismatch`,
        ),
      );
      expect(await tb.databaseExists(18, 'ex_library_r')).toBe(false);
    });

    it('refuses an extension the target server does not have, creating nothing', async () => {
      await tb.freshDatabase(16, 'ex_extension');
      await tb.sql(
        16,
        'ex_extension',
        `create extension hstore; create table h(x hstore); insert into h values ('a=>1');`,
      );
      const location = await tb.dumpToFolder(16, 'ex_extension');
      const restored = await tb.restoreAsNew(
        location,
        'plain',
        'ex_extension_r',
      );
      expect(restored.code).toBe(EXIT_CODES.incompatibleTarget);
      expect(restored.result.error.message).toMatch(
        /^PostgreSQL 17\.\d+ at 127\.0\.0\.1:\d+ cannot take this backup, so nothing was restored: extension "hstore" is not installed on the server: install its package for PostgreSQL 17/,
      );
      expect(await tb.databaseExists('plain', 'ex_extension_r')).toBe(false);
    });

    it('refuses lz4-compressed columns on a server built without lz4, and verify says so instead of "corrupt"', async () => {
      await tb.freshDatabase('plain', 'ex_lz4');
      await tb.sql(
        'plain',
        'ex_lz4',
        `create table z(id int, t text compression lz4); insert into z values (1, repeat('x', 10000));`,
      );
      const location = await tb.dumpToFolder('plain', 'ex_lz4');
      const restored = await tb.restoreAsNew(location, 17, 'ex_lz4_r');
      expect(restored.code).toBe(EXIT_CODES.incompatibleTarget);
      expect(restored.result.error.message).toContain(
        'column compression lz4 (used by public.z.t) is not supported by this server',
      );
      expect(await tb.databaseExists(17, 'ex_lz4_r')).toBe(false);

      const verified = await tb.agent(
        [
          'verify',
          '--from',
          location,
          '--scratch-url',
          tb.urlOf(17, 'postgres'),
        ],
        tb.toolsEnv(),
      );
      expect(verified.code).toBe(EXIT_CODES.incompatibleTarget);
      expect(verified.result.error.message).toMatch(
        /^the scratch server \(PostgreSQL 17\.\d+\) cannot take this backup/,
      );
    });
  });
});
