import { createDatabase } from '@backlot/testbed';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { runAgent } from '../__testUtils__/runAgent';
import {
  dumpArgs,
  dumpHarness,
  filesUnder,
  tmp,
} from '../__testUtils__/dumpHarness';

// What a dump writes: the archive, its manifest and roles, in every format and from every source.

describe('backlot-agent dump', () => {
  const { testbed, libpq } = dumpHarness('backlot_agent_it');

  it('dumps with the matching pg_dump, reports events and writes the manifest last', async () => {
    const dir = tmp();
    const before = Date.now();
    const run = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(dir).href,
        '--entity',
        'default/orders-db',
        '--run-id',
        'run-1',
        '--events',
      ],
      libpq(16),
    );
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(run.events[0]).toMatchObject({
      type: 'start',
      serverMajor: 16,
      pgDumpVersion: expect.stringMatching(/^17\./),
    });
    expect(run.result).toMatchObject({ status: 'succeeded', error: null });
    const progress = run.events.filter(e => e.type === 'progress');
    expect(progress[progress.length - 1]).toEqual({
      type: 'progress',
      bytes: run.result.bytes,
      tablesDone: 1,
      tablesTotal: 1,
    });
    // --verbose narration of pg_dump stays out of the human log
    expect(run.stderr).not.toContain('dumping contents of table');
    const file = fileURLToPath(run.result.location);
    expect(run.result.key).toMatch(
      /^default\/orders-db\/\d{4}\/\d{2}\/\d{2}\/run-1\.dump$/,
    );
    const bytes = fs.readFileSync(file);
    expect(run.result.sha256).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    const manifest = JSON.parse(
      fs.readFileSync(fileURLToPath(run.result.manifest), 'utf8'),
    );
    expect(manifest).toMatchObject({
      formatVersion: 1,
      entityRef: 'default/orders-db',
      runId: 'run-1',
      bytes: bytes.length,
      sha256: run.result.sha256,
      format: 'custom',
    });
    const started = Date.parse(manifest.startedAt);
    const finished = Date.parse(manifest.finishedAt);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(finished).toBeGreaterThanOrEqual(started);
    expect(finished).toBeLessThanOrEqual(Date.now());
    expect(manifest.server.major).toBe(16);
    expect(manifest.pgDump.major).toBe(17);
    expect(manifest.compression).toBe('zstd:1'); // the default where pg_dump is 16+
    expect(manifest.tables).toEqual({ 'public.t': 200000 });
    expect(manifest.globalsKey).toBe(
      run.result.key.replace('.dump', '.globals.sql'),
    );
    const roles = fs.readFileSync(path.join(dir, manifest.globalsKey), 'utf8');
    expect(roles).toContain('CREATE ROLE postgres');
    expect(roles).not.toMatch(/PASSWORD '/);
    expect(filesUnder(dir).sort()).toEqual(
      ['.dump', '.manifest.json', '.globals.sql']
        .map(ext => run.result.key.replace('.dump', ext))
        .sort(),
    );
  });

  it.each([
    [16, 'lz4:1', 'lz4:1'],
    [16, 'gzip', 'gzip'],
    [16, 'none', 'none'],
    [15, 'gzip:6', 'gzip:6'],
    [15, undefined, 'gzip:1'],
  ])(
    'dumps PostgreSQL %i with --compress %s into an archive pg_restore reads',
    async (major, spec, recorded) => {
      const dir = tmp();
      const args = [
        'dump',
        '--to',
        pathToFileURL(dir).href,
        '--entity',
        'default/c',
        '--events',
        '--no-globals',
      ];
      if (spec) args.push('--compress', spec);
      const run = await runAgent(args, libpq(major));
      expect(run.code).toBe(EXIT_CODES.ok);
      const manifest = JSON.parse(
        fs.readFileSync(fileURLToPath(run.result.manifest), 'utf8'),
      );
      expect(manifest.compression).toBe(recorded);
      expect(manifest.globalsKey).toBeNull();
      const verified = await runAgent(
        ['verify', '--from', run.result.location],
        libpq(major, 'postgres'),
      );
      expect(verified.code).toBe(EXIT_CODES.ok);
    },
  );

  it('dumps from a libpq URL given with --source-url, special-character password included', async () => {
    const dir = tmp();
    const { PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...tools } = libpq(
      16,
      'backlot_agent_it',
    );
    const url = `postgresql://${encodeURIComponent(
      PGUSER,
    )}:${encodeURIComponent(PGPASSWORD)}@${PGHOST}:${PGPORT}/${PGDATABASE}`;
    const run = await runAgent([...dumpArgs(dir), '--source-url', url], tools);
    expect(run.result.error).toBeNull();
    expect(run.code).toBe(EXIT_CODES.ok);
    const manifest = JSON.parse(
      fs.readFileSync(
        path.join(dir, run.result.key.replace('.dump', '.manifest.json')),
        'utf8',
      ),
    );
    expect(manifest.tables).toEqual({ 'public.t': 200000 });
    expect(run.stderr).not.toContain(PGPASSWORD);

    const bad = await runAgent(
      [...dumpArgs(tmp()), '--source-url', `mysql://u:${PGPASSWORD}@h/db`],
      tools,
    );
    expect(bad.code).toBe(EXIT_CODES.usage);
    expect(bad.result).toMatchObject({ status: 'failed', location: null });
    expect(bad.stderr).toContain('--source-url is not a postgresql:// URL');
    expect(bad.stderr).not.toContain(PGPASSWORD);
  });

  it('names the backup default/<database> without --entity, the database from PGDATABASE or --source-url', async () => {
    const env = libpq(16);
    const fromEnv = await runAgent(
      ['dump', '--to', pathToFileURL(tmp()).href, '--no-globals', '--events'],
      env,
    );
    expect(fromEnv.code).toBe(EXIT_CODES.ok);
    expect(fromEnv.events[0]).toMatchObject({
      type: 'start',
      entityRef: 'default/backlot_agent_it',
    });
    expect(fromEnv.result.key).toMatch(
      /^default\/backlot_agent_it\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]+\.dump$/,
    );

    const { PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...tools } = env;
    const dir = tmp();
    const fromUrl = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(dir).href,
        '--source-url',
        `postgresql://${encodeURIComponent(PGUSER)}:${encodeURIComponent(
          PGPASSWORD,
        )}@${PGHOST}:${PGPORT}/${PGDATABASE}`,
        '--no-globals',
        '--events',
      ],
      tools,
    );
    expect(fromUrl.code).toBe(EXIT_CODES.ok);
    const manifest = JSON.parse(
      fs.readFileSync(fileURLToPath(fromUrl.result.manifest), 'utf8'),
    );
    expect(manifest.entityRef).toBe('default/backlot_agent_it');
    expect(fromUrl.result.key).toMatch(/^default\/backlot_agent_it\//);
  });

  it("counts rows in the dump's own snapshot: rows committed during the dump are neither counted nor dumped", async () => {
    const url = await createDatabase(16, 'backlot_agent_snapshot');
    const writer = new Client({ connectionString: url });
    await writer.connect();
    await writer.query(
      'create table ledger (id int); insert into ledger select generate_series(1, 1000)',
    );
    // a writer holds the table while the dump starts: the dump's snapshot is taken, then its
    // row count and pg_dump wait for the lock, and the writer's rows commit before either reads
    await writer.query('begin');
    await writer.query('insert into ledger select generate_series(1001, 1500)');
    await writer.query('lock table ledger in access exclusive mode');
    const dir = tmp();
    const running = runAgent(
      dumpArgs(dir),
      libpq(16, 'backlot_agent_snapshot'),
    );
    // polled from its own session: pg_stat_activity stays frozen inside the writer's transaction
    const watcher = new Client({ connectionString: url });
    await watcher.connect();
    for (let waiting = 0; waiting < 1; ) {
      await new Promise(r => setTimeout(r, 50));
      const { rows } = await watcher.query(
        `select count(*)::int as n from pg_stat_activity
         where datname = 'backlot_agent_snapshot' and wait_event_type = 'Lock'`,
      );
      waiting = rows[0].n;
    }
    await watcher.end();
    await writer.query('commit');
    await writer.end();
    const run = await running;
    expect(run.code).toBe(EXIT_CODES.ok);
    const manifest = JSON.parse(
      fs.readFileSync(fileURLToPath(run.result.manifest), 'utf8'),
    );
    expect(manifest.tables).toEqual({ 'public.ledger': 1000 });
    // and the archive holds the same 1000 rows
    const { stdout } = await promisify(execFile)(
      path.join(testbed().pgBin['17'], 'pg_restore'),
      ['--data-only', '--file=-', fileURLToPath(run.result.location)],
    );
    const copied = stdout.split('\n\\.\n')[0].split('FROM stdin;\n')[1];
    expect(copied.split('\n')).toHaveLength(1000);
  });

  it('keeps role password hashes only with --role-passwords', async () => {
    const admin = new Client({
      connectionString: `postgresql://${testbed().user}:${encodeURIComponent(
        testbed().password,
      )}@${testbed().host}:${testbed().ports['16']}/postgres`,
    });
    await admin.connect();
    await admin.query('drop role if exists backlot_pw_role');
    await admin.query(
      "create role backlot_pw_role login password 'pw-for-the-roles-test'",
    );
    await admin.end();
    const rolesOf = async (extra: string[]) => {
      const dir = tmp();
      const run = await runAgent([...dumpArgs(dir), ...extra], libpq(16));
      expect(run.code).toBe(EXIT_CODES.ok);
      return fs.readFileSync(
        path.join(dir, run.result.key.replace('.dump', '.globals.sql')),
        'utf8',
      );
    };
    const withHashes = await rolesOf(['--role-passwords']);
    expect(withHashes).toMatch(
      /ALTER ROLE backlot_pw_role .*PASSWORD 'SCRAM-SHA-256\$/,
    );
    expect(withHashes).not.toContain('pw-for-the-roles-test');
    const without = await rolesOf([]);
    expect(without).toContain('CREATE ROLE backlot_pw_role');
    expect(without).not.toMatch(/PASSWORD '/);
  });
});
