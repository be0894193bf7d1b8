import { createDatabase } from '@backlot/testbed';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import {
  agent,
  restoreVerifyHarness,
} from '../__testUtils__/restoreVerifyHarness';

// What restore refuses, and the roles it creates.

jest.setTimeout(180_000);

describe('backlot-agent restore', () => {
  const { toolsEnv, env, urlOf, databaseExists, seedAndDump } =
    restoreVerifyHarness('rs');

  it('exits 6 when the manifest is missing', async () => {
    const { location, dir } = await seedAndDump(16, 'file');
    const file = fileURLToPath(location);

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
    const admin = new Client({ connectionString: urlOf(16, 'postgres') });
    await admin.connect();
    await admin.query('drop database if exists backlot_rv_older');
    await admin.end();
    const older = await agent(
      [
        'restore',
        '--from',
        location,
        '--target-url',
        urlOf(16, 'backlot_rv_older'),
        '--create',
      ],
      toolsEnv(),
    );
    expect(older.code).not.toBe(EXIT_CODES.ok);
    expect(older.result.error.message).toMatch(
      /refusing to restore a dump of PostgreSQL 18\.\S+ into PostgreSQL 16/,
    );
    // refused before --create made anything on the older server
    expect(await databaseExists(16, 'backlot_rv_older')).toBe(false);

    const notEmpty = await agent(
      ['restore', '--from', location, '--target-url', url],
      toolsEnv(),
    );
    expect(notEmpty.code).not.toBe(EXIT_CODES.ok);
    expect(notEmpty.result.error.message).toMatch(/is not empty/);
  });

  it('creates the roles a fresh server lacks with --roles, restoring owners and grants, and leaves existing roles alone', async () => {
    const sfx = randomUUID().slice(0, 8);
    const owner = `Backlot Owner ü ${sfx}`; // quoted: upper case, spaces, unicode
    const reader = `backlot_reader_${sfx}`;
    const writer = `backlot_writer_${sfx}`;
    const q = (role: string) => `"${role.replace(/"/g, '""')}"`;
    const sourceUrl = await createDatabase(16, 'backlot_rv_roles');
    const admin = new Client({ connectionString: urlOf(16, 'postgres') });
    await admin.connect();
    const dropAll = async () => {
      for (const db of [
        'backlot_rv_roles',
        'backlot_rv_roles_plain',
        'backlot_rv_roles_allowed',
        'backlot_rv_roles_target',
      ])
        await admin.query(`drop database if exists ${db} with (force)`);
      for (const role of [owner, reader, writer])
        await admin.query(`drop role if exists ${q(role)}`);
    };
    try {
      await admin.query(`
        create role ${q(owner)} nologin;
        create role ${reader} login connection limit 3;
        create role ${writer} login connection limit 4;
        comment on role ${writer} is 'writes; the ; stays quoted';
        grant ${writer} to ${q(owner)};`);
      const source = new Client({ connectionString: sourceUrl });
      await source.connect();
      await source.query(`
        create table ledger (id int primary key, amount numeric);
        insert into ledger select g, g * 1.5 from generate_series(1, 100) g;
        alter table ledger owner to ${q(owner)};
        grant select on ledger to ${reader};
        grant insert on ledger to ${writer};`);
      await source.end();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rv-roles-'));
      const dump = await agent(
        ['dump', '--to', pathToFileURL(dir).href, '--entity', 'default/roles'],
        env(16, 'backlot_rv_roles'),
      );
      expect(dump.code).toBe(EXIT_CODES.ok);
      const location = dump.result.location as string;

      // a fresh server: the backup's roles are gone, except a reader that is configured differently
      await admin.query(`drop database backlot_rv_roles with (force)`);
      for (const role of [owner, reader, writer])
        await admin.query(`drop role ${q(role)}`);
      await admin.query(`create role ${reader} login connection limit 7`);

      const plain = await agent(
        [
          'restore',
          '--from',
          location,
          '--target-url',
          urlOf(16, 'backlot_rv_roles_plain'),
          '--create',
        ],
        toolsEnv(),
      );
      expect(plain.code).toBe(EXIT_CODES.other);
      expect(plain.result.error.message).toContain(
        `role "${writer}" does not exist`,
      );
      expect(plain.result.error.message).toContain('restore with --roles');

      // explicitly allowed, the same errors let the restore succeed, each one logged
      const allowed = await agent(
        [
          'restore',
          '--from',
          location,
          '--target-url',
          urlOf(16, 'backlot_rv_roles_allowed'),
          '--create',
          '--allow-errors',
        ],
        toolsEnv(),
      );
      expect(allowed.code).toBe(EXIT_CODES.ok);
      expect(allowed.stderr).toMatch(
        new RegExp(
          `pg_restore: error: could not execute query: ERROR: +role "${writer}" does not exist`,
        ),
      );
      expect(allowed.stderr).toMatch(
        /restored with 1 error\(s\): 1 × role "…" does not exist \(first: .*\) ignored \(--allow-errors\)/,
      );
      expect(allowed.result.errorsIgnored.total).toBe(1);

      const restored = await agent(
        [
          'restore',
          '--from',
          location,
          '--target-url',
          urlOf(16, 'backlot_rv_roles_target'),
          '--create',
          '--roles',
        ],
        toolsEnv(),
      );
      expect(restored.result.error).toBeNull();
      expect(restored.code).toBe(EXIT_CODES.ok);
      expect(restored.stderr).toContain(
        'already on the server, left as they are',
      );
      const { rows: roles } = await admin.query(
        `select rolname, rolconnlimit, rolcanlogin, shobj_description(oid, 'pg_authid') as comment
         from pg_roles where rolname = any($1) order by rolname`,
        [[owner, reader, writer]],
      );
      expect(roles).toEqual([
        { rolname: owner, rolconnlimit: -1, rolcanlogin: false, comment: null },
        { rolname: reader, rolconnlimit: 7, rolcanlogin: true, comment: null },
        {
          rolname: writer,
          rolconnlimit: 4,
          rolcanlogin: true,
          comment: 'writes; the ; stays quoted',
        },
      ]);
      const target = new Client({
        connectionString: urlOf(16, 'backlot_rv_roles_target'),
      });
      await target.connect();
      const { rows } = await target.query(
        `select pg_get_userbyid(relowner) as owner,
                has_table_privilege($1, 'ledger', 'select') as reads,
                has_table_privilege($2, 'ledger', 'insert') as writes,
                pg_has_role($3, $2, 'member') as member,
                (select count(*)::int from ledger) as n
         from pg_class where relname = 'ledger'`,
        [reader, writer, owner],
      );
      await target.end();
      expect(rows).toEqual([
        { owner, reads: true, writes: true, member: true, n: 100 },
      ]);
    } finally {
      await dropAll();
      await admin.end();
    }
  });
});
