import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  createDatabase,
  testbedUp,
  TestbedInfo,
  s3Client,
} from '@backlot/testbed';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { compareTableHashes, tableHashes } from '../archive/tableHashes';
import { directoryDigest } from '../archive/manifest';
import { runAgent } from '../__testUtils__/runAgent';

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
  let s3: S3Client;
  /** pg clients and the testbed's S3: what every agent call gets, but no database credentials. */
  const toolsEnv = (): Record<string, string> => ({
    BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
    BACKLOT_PG_SYSTEM_BINS: '0',
    AWS_ENDPOINT_URL_S3: testbed.s3!.endpoint,
    AWS_REGION: testbed.s3!.region,
    AWS_ACCESS_KEY_ID: testbed.s3!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testbed.s3!.secretAccessKey,
  });
  const env = (major: number, database: string): Record<string, string> => ({
    PGHOST: testbed.host,
    PGPORT: String(testbed.ports[String(major)]),
    PGUSER: testbed.user,
    PGPASSWORD: testbed.password,
    PGDATABASE: database,
    ...toolsEnv(),
  });
  const s3Key = (location: string) =>
    location.replace(`s3://${testbed.s3!.bucket}/`, '');
  async function readArtifact(location: string): Promise<Buffer> {
    if (location.startsWith('file://'))
      return fs.readFileSync(fileURLToPath(location));
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: s3Key(location),
      }),
    );
    return Buffer.from(await got.Body!.transformToByteArray());
  }
  async function writeArtifact(location: string, body: Buffer) {
    if (location.startsWith('file://')) {
      fs.writeFileSync(fileURLToPath(location), body);
      return;
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: s3Key(location),
        Body: body,
      }),
    );
  }
  /** Objects (S3) or files (folder) whose key starts with `base`'s. */
  async function storedUnder(base: string): Promise<string[]> {
    if (base.startsWith('file://')) {
      const file = fileURLToPath(base);
      return fs
        .readdirSync(path.dirname(file))
        .filter(name => name.startsWith(path.basename(file)));
    }
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: testbed.s3!.bucket,
        Prefix: s3Key(base),
      }),
    );
    return (listed.Contents ?? []).map(o => o.Key!);
  }
  const urlOf = (major: number, database: string) =>
    `postgresql://${testbed.user}:${encodeURIComponent(testbed.password)}@${
      testbed.host
    }:${testbed.ports[String(major)]}/${database}`;
  async function databaseExists(major: number, database: string) {
    const admin = new Client({ connectionString: urlOf(major, 'postgres') });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'select 1 from pg_database where datname = $1',
        [database],
      );
      return rows.length > 0;
    } finally {
      await admin.end();
    }
  }

  /** verify --scratch-url: a real restore whose row counts and content match. */
  async function expectScratchVerifyPasses(major: number, location: string) {
    const verified = await agent(
      ['verify', '--from', location, '--scratch-url', urlOf(major, 'postgres')],
      env(major, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.ok);
    expect(verified.stderr).toContain(
      'row counts match the manifest and the content of 3 tables matches the archive',
    );
  }

  async function seedAndDump(
    major: number,
    store: 'file' | 's3' = 's3',
    dumpArgs: string[] = [],
  ) {
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
        store === 's3'
          ? `s3://${testbed.s3!.bucket}/rv-${randomUUID()}`
          : pathToFileURL(dir).href,
        '--entity',
        'default/rv',
        '--run-id',
        `rv-${major}`,
        ...dumpArgs,
      ],
      env(major, 'backlot_rv_source'),
    );
    expect(dump.code).toBe(EXIT_CODES.ok);
    return { url, dir, location: dump.result.location as string };
  }

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [14, 16, 18], s3: true });
    s3 = s3Client(testbed.s3!);
  });

  // jobs 1 from S3 streams into pg_restore; jobs 2 downloads first (pg_restore --jobs needs a file)
  it.each([
    [14, 's3', '1'],
    [16, 's3', '2'],
    [18, 's3', '1'],
    [16, 'file', '2'],
  ] as const)(
    'restores a PostgreSQL %i dump from %s (--jobs %s) into a new database with equal data',
    async (major, store, jobs) => {
      const { url, location } = await seedAndDump(major, store);
      expect(location.startsWith(store === 's3' ? 's3://' : 'file://')).toBe(
        true,
      );
      const manifest = JSON.parse(
        (
          await readArtifact(location.replace('.dump', '.manifest.json'))
        ).toString('utf8'),
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
          jobs,
        ],
        toolsEnv(),
      );
      expect(restored.result.error).toBeNull();
      expect(restored.code).toBe(EXIT_CODES.ok);
      expect(await fingerprint(urlOf(major, targetDb))).toEqual(
        await fingerprint(url),
      );
      // the password with its special characters never shows
      expect(restored.stderr).not.toContain(testbed.password);

      await expectScratchVerifyPasses(major, location);

      // one flipped byte: verify exits 6, and a streamed restore of it fails too
      const bytes = await readArtifact(location);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await writeArtifact(location, bytes);
      const flipped = await agent(
        ['verify', '--from', location],
        env(major, 'postgres'),
      );
      expect(flipped.code).toBe(EXIT_CODES.verification);
      expect(flipped.result.error.message).toContain(
        'the artifact is corrupted',
      );
    },
  );

  // dump --jobs 2: pg_dump's directory format, one object per file below <run>.dump/
  it.each([
    [16, 's3'],
    [18, 'file'],
  ] as const)(
    'dumps PostgreSQL %i with --jobs 2 into %s as a directory that restores, verifies, fails verify when a file is corrupted, and prunes to nothing',
    async (major, store) => {
      const { url, location } = await seedAndDump(major, store, [
        '--jobs',
        '2',
      ]);
      const manifest = JSON.parse(
        (
          await readArtifact(location.replace(/\.dump$/, '.manifest.json'))
        ).toString('utf8'),
      );
      expect(manifest).toMatchObject({
        format: 'directory',
        jobs: 2,
        tables: {
          'public.plain': 1000,
          'sales."MixedCase"': 500,
          'sales.docs': 200,
        },
      });
      const names = manifest.files.map((f: { name: string }) => f.name);
      expect(names).toContain('toc.dat');
      // every file is stored with the size and sha256 the manifest records
      for (const file of manifest.files) {
        const body = await readArtifact(`${location}/${file.name}`);
        expect(body.length).toBe(file.bytes);
        expect(createHash('sha256').update(body).digest('hex')).toBe(
          file.sha256,
        );
      }

      const targetDb = `backlot_rv_dir_${major}`;
      const admin = new Client({ connectionString: urlOf(major, 'postgres') });
      await admin.connect();
      await admin.query(`drop database if exists ${targetDb} with (force)`);
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
        toolsEnv(),
      );
      expect(restored.result.error).toBeNull();
      expect(await fingerprint(urlOf(major, targetDb))).toEqual(
        await fingerprint(url),
      );

      await expectScratchVerifyPasses(major, location);

      // the largest file holds table data: flip one byte of it
      const largest = [...manifest.files].sort(
        (a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes,
      )[0];
      const bytes = await readArtifact(`${location}/${largest.name}`);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await writeArtifact(`${location}/${largest.name}`, bytes);
      const flipped = await agent(
        ['verify', '--from', location],
        env(major, 'postgres'),
      );
      expect(flipped.code).toBe(EXIT_CODES.verification);
      expect(flipped.result.error.message).toContain(
        `the artifact's file ${largest.name} is corrupted`,
      );

      // before the prune: the dump (its files or folder), the manifest and the roles
      expect(
        (await storedUnder(location.replace(/\.dump$/, ''))).length,
      ).toBeGreaterThanOrEqual(3);
      const pruned = await agent(['prune', '--from', location], toolsEnv());
      expect(pruned.code).toBe(EXIT_CODES.ok);
      expect(pruned.result).toMatchObject({
        status: 'succeeded',
        location,
        manifest: location.replace(/\.dump$/, '.manifest.json'),
        error: null,
      });
      expect(await storedUnder(location.replace(/\.dump$/, ''))).toEqual([]);
    },
  );

  it('refuses a doctored manifest whose file list reaches outside the dump, in verify and in prune', async () => {
    const { location } = await seedAndDump(16, 'file', ['--jobs', '2']);
    const dumpFolder = fileURLToPath(location);
    const victim = path.join(path.dirname(dumpFolder), 'victim.txt');
    fs.writeFileSync(victim, 'not part of any backup');
    const manifestFile = dumpFolder.replace(/\.dump$/, '.manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.files.push({ name: '../victim.txt', bytes: 22, sha256: 'x' });
    // consistent with its own list, so only the name gives it away
    Object.assign(manifest, directoryDigest(manifest.files));
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));

    const verified = await agent(
      ['verify', '--from', location],
      env(16, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.verification);
    expect(verified.result.error.message).toContain(
      'the manifest lists a file named "../victim.txt"',
    );
    const pruned = await agent(['prune', '--from', location], toolsEnv());
    expect(pruned.code).toBe(EXIT_CODES.ok);
    expect(fs.existsSync(dumpFolder)).toBe(false);
    expect(fs.readFileSync(victim, 'utf8')).toBe('not part of any backup');
  });

  it('fails a streamed restore of a corrupted S3 object', async () => {
    const { location } = await seedAndDump(16, 's3');
    const bytes = await readArtifact(location);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeArtifact(location, bytes);
    const target = 'backlot_rv_corrupt';
    const admin = new Client({ connectionString: urlOf(16, 'postgres') });
    await admin.connect();
    await admin.query(`drop database if exists ${target} with (force)`);
    await admin.end();
    const corruptRestore = await agent(
      [
        'restore',
        '--from',
        location,
        '--target-url',
        urlOf(16, target),
        '--create',
      ],
      toolsEnv(),
    );
    expect(corruptRestore.code).not.toBe(EXIT_CODES.ok);
    expect(corruptRestore.result.status).toBe('failed');
    expect(corruptRestore.result.error.message).toMatch(
      /pg_restore .* failed|the artifact is corrupted/,
    );
  });

  it('content hashes tell a changed row apart from an equal table', async () => {
    const { location, url } = await seedAndDump(16, 'file');
    const bin = path.join(testbed.pgBin['18'], 'pg_restore');
    const dumpBin = path.join(testbed.pgBin['18'], 'pg_dump');
    const archive = await tableHashes(
      bin,
      ['--data-only', '--file=-', fileURLToPath(location)],
      process.env,
    );
    const sourceEnv = { ...process.env, ...env(16, 'backlot_rv_source') };
    const source = () =>
      tableHashes(dumpBin, ['--data-only', '--file=-'], sourceEnv);
    expect(Object.keys(archive.hashes).sort()).toEqual([
      'public.plain',
      'sales."MixedCase"',
      'sales.docs',
    ]);
    expect(compareTableHashes(archive, await source())).toEqual([]);

    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(
      `update sales."MixedCase" set "Ünïcødé" = 'changed' where "Id" = 7`,
    );
    await client.end();
    expect(compareTableHashes(archive, await source())).toEqual([
      'sales."MixedCase": content differs',
    ]);
  });

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
  it('exits 6 when the scratch restore does not match the manifest, and drops the scratch database', async () => {
    const { location } = await seedAndDump(16, 'file');
    const manifestFile = fileURLToPath(location).replace(
      /\.dump$/,
      '.manifest.json',
    );
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.tables['public.plain'] = 999;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));

    const verified = await agent(
      ['verify', '--from', location, '--scratch-url', urlOf(16, 'postgres')],
      env(16, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.verification);
    expect(verified.result.error.message).toContain(
      'public.plain: manifest 999, restored 1000',
    );
    const scratch = /scratch database "(backlot_verify_[0-9a-f]+)"/.exec(
      verified.stderr,
    )?.[1];
    expect(scratch).toBeDefined();
    expect(await databaseExists(16, scratch!)).toBe(false);
  });
  it('cleans up when stopped by SIGTERM during a scratch verify: scratch database dropped, local copy removed', async () => {
    const url = await createDatabase(16, 'backlot_rv_sigterm');
    const client = new Client({ connectionString: url });
    await client.connect();
    // enough rows that the scratch restore is still running when the signal arrives
    await client.query(`
      create table big (id int primary key, note text);
      insert into big select g, md5(g::text) from generate_series(1, 1000000) g;`);
    await client.end();
    const dump = await agent(
      [
        'dump',
        '--to',
        `s3://${testbed.s3!.bucket}/rv-${randomUUID()}`,
        '--entity',
        'default/sigterm',
      ],
      env(16, 'backlot_rv_sigterm'),
    );
    expect(dump.code).toBe(EXIT_CODES.ok);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rv-sigterm-'));
    let scratch: string | undefined;
    const verified = await runAgent(
      ['verify', '--from', dump.result.location, '--scratch', '--events'],
      { ...env(16, 'postgres'), BACKLOT_TMPDIR: tmp },
      (pid, child) => {
        let stderr = '';
        child.stderr!.on('data', chunk => {
          stderr += chunk;
          const named = /scratch database "(backlot_verify_[0-9a-f]+)"/.exec(
            stderr,
          );
          if (named && !scratch) {
            scratch = named[1];
            process.kill(pid, 'SIGTERM');
          }
        });
      },
    );
    expect(scratch).toBeDefined();
    expect(verified.code).toBe(EXIT_CODES.other);
    expect(verified.result.error.code).toBe('interrupted');
    expect(verified.result.error.message).toMatch(/^interrupted by SIGTERM: /);
    expect(await databaseExists(16, scratch!)).toBe(false);
    // the downloaded copy of the dump (the database's data) is gone too
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
