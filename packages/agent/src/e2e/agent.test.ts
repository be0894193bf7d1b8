import { createDatabase, testbedUp, TestbedInfo } from '@backlot/testbed';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { AGENT, runAgent } from '../__testUtils__/runAgent';

jest.setTimeout(180_000);

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(f => fs.statSync(path.join(dir, f)).isFile());
}

describe('backlot-agent dump', () => {
  let testbed: TestbedInfo;
  let libpq: (major: number, database: string) => Record<string, string>;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [15, 16, 17] });
    libpq = (major, database) => ({
      PGHOST: testbed.host,
      PGPORT: String(testbed.ports[String(major)]),
      PGUSER: testbed.user,
      PGPASSWORD: testbed.password,
      PGDATABASE: database,
      BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
    for (const major of [15, 16, 17]) {
      const client = new Client({
        connectionString: await createDatabase(major, 'backlot_agent_it'),
      });
      await client.connect();
      // big enough that a dump takes a moment, so it can be killed mid-stream
      await client.query(`create table t (id int, payload text);
        insert into t select g, md5(g::text) || repeat('x', 200) from generate_series(1, 200000) g;`);
      await client.end();
    }
  });

  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-agent-'));
  const dumpArgs = (dir: string) => [
    'dump',
    '--to',
    pathToFileURL(dir).href,
    '--entity',
    'default/x',
    '--events',
  ];

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
      libpq(16, 'backlot_agent_it'),
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
      const run = await runAgent(args, libpq(major, 'backlot_agent_it'));
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
    const env = libpq(16, 'backlot_agent_it');
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
      path.join(testbed.pgBin['17'], 'pg_restore'),
      ['--data-only', '--file=-', fileURLToPath(run.result.location)],
    );
    const copied = stdout.split('\n\\.\n')[0].split('FROM stdin;\n')[1];
    expect(copied.split('\n')).toHaveLength(1000);
  });

  it('keeps role password hashes only with --role-passwords', async () => {
    const admin = new Client({
      connectionString: `postgresql://${testbed.user}:${encodeURIComponent(
        testbed.password,
      )}@${testbed.host}:${testbed.ports['16']}/postgres`,
    });
    await admin.connect();
    await admin.query('drop role if exists backlot_pw_role');
    await admin.query(
      "create role backlot_pw_role login password 'pw-for-the-roles-test'",
    );
    await admin.end();
    const rolesOf = async (extra: string[]) => {
      const dir = tmp();
      const run = await runAgent(
        [...dumpArgs(dir), ...extra],
        libpq(16, 'backlot_agent_it'),
      );
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

  it('refuses zstd where pg_dump is older than 16, saying what to use', async () => {
    const run = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(tmp()).href,
        '--entity',
        'default/c',
        '--events',
        '--compress',
        'zstd',
      ],
      libpq(15, 'backlot_agent_it'),
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.result.error.message).toContain('needs pg_dump 16 or newer');
  });

  it('exits 3 on a wrong password, naming the user and never the password', async () => {
    const secret = `wrong-'pa$$ word"-${Date.now()}`;
    const run = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(tmp()).href,
        '--entity',
        'default/x',
        '--events',
      ],
      { ...libpq(15, 'backlot_agent_it'), PGPASSWORD: secret },
    );
    expect(run.code).toBe(EXIT_CODES.connection);
    expect(run.result.error).toMatchObject({
      code: 'auth',
      message: expect.stringContaining(
        'password authentication failed for user "postgres"',
      ),
    });
    expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('exits 3 when nothing listens, naming host and port', async () => {
    const run = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(tmp()).href,
        '--entity',
        'default/x',
        '--events',
      ],
      { ...libpq(15, 'backlot_agent_it'), PGPORT: '1' },
    );
    expect(run.code).toBe(EXIT_CODES.connection);
    expect(run.result.error.message).toContain(
      'cannot connect to 127.0.0.1:1: connection refused',
    );
  });

  it('exits 4 when no pg_dump can read the server, naming the major to install', async () => {
    const run = await runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(tmp()).href,
        '--entity',
        'default/x',
        '--events',
      ],
      {
        ...libpq(17, 'backlot_agent_it'),
        BACKLOT_PG_BIN_DIRS: testbed.pgBin['15'],
      },
    );
    expect(run.code).toBe(EXIT_CODES.noClient);
    expect(run.result.error.message).toMatch(
      /no pg_dump for PostgreSQL 17 .*install postgresql-client-17/,
    );
  });

  it('reports the first of several failures in a fixed order: connection, pg client, storage', async () => {
    // the three are checked at once; which one fails first in time must not change the answer
    const notAFolder = path.join(tmp(), 'file');
    fs.writeFileSync(notAFolder, 'not a folder');
    const storageOnly = await runAgent(
      dumpArgs(notAFolder),
      libpq(15, 'backlot_agent_it'),
    );
    expect(storageOnly.code).toBe(EXIT_CODES.storage);
    const refused = await runAgent(dumpArgs(notAFolder), {
      ...libpq(15, 'backlot_agent_it'),
      PGPORT: '1',
    });
    expect(refused.code).toBe(EXIT_CODES.connection);
    const noClient = await runAgent(dumpArgs(notAFolder), {
      ...libpq(17, 'backlot_agent_it'),
      BACKLOT_PG_BIN_DIRS: testbed.pgBin['15'],
    });
    expect(noClient.code).toBe(EXIT_CODES.noClient);
  });

  it('exits 5 when a file stands where the folder should be', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'default'), 'not a folder');
    const run = await runAgent(dumpArgs(dir), libpq(15, 'backlot_agent_it'));
    expect(run.code).toBe(EXIT_CODES.storage);
    expect(run.result.error.code).toBe('storage');
  });

  it('fails without leaving a dump or manifest when pg_dump is killed mid-stream, keeping the earlier backup', async () => {
    const dir = tmp();
    const env = libpq(17, 'backlot_agent_it');
    const good = await runAgent(dumpArgs(dir), env);
    expect(good.code).toBe(EXIT_CODES.ok);
    const before = Object.fromEntries(
      filesUnder(dir).map(f => [f, fs.readFileSync(path.join(dir, f))]),
    );
    expect(Object.keys(before).some(f => f.endsWith('.manifest.json'))).toBe(
      true,
    );
    // a pg_dump that records its pid, so the test can kill the real one mid-stream
    const wrapper = tmp();
    const real = path.join(testbed.pgBin['17'], 'pg_dump');
    fs.writeFileSync(
      path.join(wrapper, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\necho $$ > "${wrapper}/pid"\nexec "${real}" "$@"\n`,
      { mode: 0o755 },
    );
    const killer = setInterval(() => {
      const pidFile = path.join(wrapper, 'pid');
      if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) {
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        const partial = filesUnder(dir).find(f => f.endsWith('.partial'));
        if (partial && fs.statSync(path.join(dir, partial)).size > 0) {
          process.kill(pid, 'SIGKILL');
          clearInterval(killer);
        }
      }
    }, 5);
    const run = await runAgent(dumpArgs(dir), {
      ...env,
      BACKLOT_PG_BIN_DIRS: wrapper,
    });
    clearInterval(killer);
    expect(run.code).not.toBe(EXIT_CODES.ok);
    expect(run.result).toMatchObject({
      status: 'failed',
      location: null,
      manifest: null,
    });
    expect(run.result.error.message).toMatch(/pg_dump was killed by SIGKILL/);
    // nothing of the killed run is left, and the earlier backup is untouched
    expect(filesUnder(dir).sort()).toEqual(Object.keys(before).sort());
    for (const [f, bytes] of Object.entries(before)) {
      expect(fs.readFileSync(path.join(dir, f)).equals(bytes)).toBe(true);
    }
  });

  it('stops cleanly on SIGTERM, keeping nothing', async () => {
    const dir = tmp();
    let agentPid = 0;
    const killer = setInterval(() => {
      if (agentPid && filesUnder(dir).some(f => f.endsWith('.partial'))) {
        process.kill(agentPid, 'SIGTERM');
        clearInterval(killer);
      }
    }, 5);
    const run = await runAgent(
      dumpArgs(dir),
      libpq(17, 'backlot_agent_it'),
      pid => (agentPid = pid),
    );
    clearInterval(killer);
    expect(run.code).toBe(EXIT_CODES.other);
    expect(run.result.error.code).toBe('interrupted');
    expect(filesUnder(dir)).toEqual([]);
  });

  it('draws a progress bar of tables and bytes against the database size on a terminal', async () => {
    const dir = tmp();
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const command = [
      process.execPath,
      path.resolve(__dirname, '../../bin/backlot-agent'),
      ...dumpArgs(dir).filter(arg => arg !== '--events'),
    ]
      .map(quote)
      .join(' ');
    // script(1) gives the agent a pseudo-terminal, as a person at a shell would have
    const { stdout } = await promisify(execFile)(
      'script',
      ['-qfec', command, '/dev/null'],
      {
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? '/tmp',
          ...libpq(16, 'backlot_agent_it'),
        },
      },
    );
    expect(stdout).toMatch(
      /backlot-agent \[={30}\] tables 1\/1 \| [\d.]+ MB written \| database [\d.]+ MB/,
    );
    expect(filesUnder(dir).some(f => f.endsWith('.manifest.json'))).toBe(true);
  });

  it('exits 2 on bad usage', async () => {
    expect((await runAgent(['dump', '--entity', 'default/x'], {})).code).toBe(
      EXIT_CODES.usage,
    );
    const badEntity = await runAgent(
      ['dump', '--to', 'file:///tmp/x', '--entity', 'nonsense', '--events'],
      {},
    );
    expect(badEntity.code).toBe(EXIT_CODES.usage);
    expect(badEntity.result.error.message).toContain('<namespace>/<name>');
    expect(
      (await runAgent(['dump', '--to', 'ftp://x', '--entity', 'default/x'], {}))
        .code,
    ).toBe(EXIT_CODES.usage);
  });

  it('prints its version with --version', async () => {
    // plain text, not NDJSON: read it without runAgent (a failure exits non-zero and rejects)
    const { stdout } = await promisify(execFile)(process.execPath, [
      AGENT,
      '--version',
    ]);
    expect(stdout.trim()).toBe(
      JSON.parse(
        fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'),
      ).version,
    );
  });
});

describe('backlot-agent check', () => {
  it('lists the pg clients it finds with their majors', async () => {
    const testbed = await testbedUp({ pg: [] });
    const run = await runAgent(['check', '--json'], {
      BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
    expect(run.code).toBe(0);
    const { clients } = JSON.parse(run.stdout);
    expect(clients.map((c: { major: number }) => c.major)).toEqual(
      Object.keys(testbed.pgBin)
        .map(Number)
        .sort((a, b) => a - b),
    );
  });

  it('exits 4 when it finds no pg client, saying what to install', async () => {
    const run = await runAgent(['check', '--json'], {
      BACKLOT_PG_BIN_DIRS: fs.mkdtempSync(path.join(os.tmpdir(), 'no-pg-')),
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
    expect(run.code).toBe(EXIT_CODES.noClient);
    expect(run.result).toBeUndefined();
    expect(JSON.parse(run.stdout).clients).toEqual([]);
    expect(run.stderr).toContain('install postgresql-client-<major>');
  });
});
