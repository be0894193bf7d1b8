import { testbedUp } from '@backlot/testbed';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { EXIT_CODES } from '../contract';
import { AGENT, runAgent } from '../__testUtils__/runAgent';
import {
  dumpArgs,
  dumpHarness,
  filesUnder,
  tmp,
} from '../__testUtils__/dumpHarness';

// How a dump fails (exit codes 2 to 5, a killed pg_dump, SIGTERM), leaving nothing behind, and the
// rest of the command line: the progress bar, --version and check.

describe('backlot-agent dump fails', () => {
  const { testbed, libpq } = dumpHarness('backlot_agent_fail');

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
      libpq(15),
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.result.error.message).toContain('needs pg_dump 16 or newer');
  });

  it('exits 3 on a wrong password, naming the user and never the password', async () => {
    const secret = `wrong-'pa$$ word"-${Date.now()}`;
    const run = await runAgent(dumpArgs(tmp()), {
      ...libpq(15),
      PGPASSWORD: secret,
    });
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
    const run = await runAgent(dumpArgs(tmp()), { ...libpq(15), PGPORT: '1' });
    expect(run.code).toBe(EXIT_CODES.connection);
    expect(run.result.error.message).toContain(
      'cannot connect to 127.0.0.1:1: connection refused',
    );
  });

  it('exits 4 when no pg_dump can read the server, naming the major to install', async () => {
    const run = await runAgent(dumpArgs(tmp()), {
      ...libpq(17),
      BACKLOT_PG_BIN_DIRS: testbed().pgBin['15'],
    });
    expect(run.code).toBe(EXIT_CODES.noClient);
    expect(run.result.error.message).toMatch(
      /no pg_dump for PostgreSQL 17 .*install postgresql-client-17/,
    );
  });

  it('reports the first of several failures in a fixed order: connection, pg client, storage', async () => {
    // the three are checked at once; which one fails first in time must not change the answer
    const notAFolder = path.join(tmp(), 'file');
    fs.writeFileSync(notAFolder, 'not a folder');
    const storageOnly = await runAgent(dumpArgs(notAFolder), libpq(15));
    expect(storageOnly.code).toBe(EXIT_CODES.storage);
    const refused = await runAgent(dumpArgs(notAFolder), {
      ...libpq(15),
      PGPORT: '1',
    });
    expect(refused.code).toBe(EXIT_CODES.connection);
    const noClient = await runAgent(dumpArgs(notAFolder), {
      ...libpq(17),
      BACKLOT_PG_BIN_DIRS: testbed().pgBin['15'],
    });
    expect(noClient.code).toBe(EXIT_CODES.noClient);
  });

  it('exits 5 when a file stands where the folder should be', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'default'), 'not a folder');
    const run = await runAgent(dumpArgs(dir), libpq(15));
    expect(run.code).toBe(EXIT_CODES.storage);
    expect(run.result.error.code).toBe('storage');
  });

  it('fails without leaving a dump or manifest when pg_dump is killed mid-stream, keeping the earlier backup', async () => {
    const dir = tmp();
    const env = libpq(17);
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
    const real = path.join(testbed().pgBin['17'], 'pg_dump');
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
      libpq(17),
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
          ...libpq(16),
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
