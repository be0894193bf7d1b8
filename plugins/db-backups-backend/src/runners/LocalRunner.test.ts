import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { Run } from '@backlot/plugin-db-backups-common';
import { LocalRunner } from './LocalRunner';

// The local runner against a stand-in for backlot-agent: a small script that records how it was
// started and then behaves as told (events, exit code, signal). What the real agent does is
// tested end to end in plugin.e2e.test.ts; this pins what the runner makes of each kind of ending.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-fake-agent-'));
const seen = path.join(dir, 'seen.json');
const fakeAgent = path.join(dir, 'agent.js');
fs.writeFileSync(
  fakeAgent,
  `const fs = require('node:fs');
const plan = JSON.parse(process.env.FAKE_PLAN);
fs.writeFileSync(${JSON.stringify(
    seen,
  )}, JSON.stringify({ argv: process.argv.slice(2), env: process.env }));
for (const event of plan.events) process.stdout.write(JSON.stringify(event) + '\\n');
if (plan.stderr) process.stderr.write(plan.stderr);
if (plan.signal) process.kill(process.pid, plan.signal);
process.exitCode = plan.code;
`,
);

const result = (fields: Record<string, unknown>) => ({
  type: 'result',
  status: 'succeeded',
  location: 'file:///b/default/orders-db/2026/12/01/run-1.dump',
  manifest: 'file:///b/default/orders-db/2026/12/01/run-1.manifest.json',
  key: 'default/orders-db/2026/12/01/run-1.dump',
  bytes: 1234,
  sha256: 'a'.repeat(64),
  serverVersion: '16.4',
  pgDumpVersion: '17.2',
  error: null,
  errorsIgnored: null,
  peakRssBytes: null,
  cpuSeconds: null,
  ...fields,
});

const run = { id: 'run-1', entityRef: 'resource:default/orders-db' } as Run;
const connection = {
  name: 'orders',
  host: 'db.internal',
  port: 5432,
  user: 'backlot',
  password: 'p@ss "w0rd"',
  database: 'orders',
};

function runnerFor(plan: {
  events?: unknown[];
  code?: number;
  signal?: NodeJS.Signals;
  stderr?: string;
}) {
  // the plan reaches the stand-in through the storage env, which the runner hands on as it is
  return new LocalRunner({
    storage: {
      type: 'filesystem',
      url: 'file:///b',
      env: { FAKE_PLAN: JSON.stringify({ events: [], code: 0, ...plan }) },
    },
    roles: { include: true, passwords: false },
    pgBinDirs: ['/opt/pg17/bin'],
    searchSystemBinDirs: false,
    logger: mockServices.logger.mock(),
    agentBin: fakeAgent,
  });
}

const backup = (runner: LocalRunner) =>
  runner.backup({
    run,
    connection,
    compression: 'zstd:1',
    onStart: jest.fn(async () => {}),
    onProgress: jest.fn(async () => {}),
  });

describe('LocalRunner', () => {
  it('refuses a backup without a connection of dbBackups.connections (a Secret is for Jobs)', async () => {
    await expect(
      runnerFor({}).backup({
        run,
        connectionSecret: { namespace: 'jobs', name: 'orders' },
        onStart: jest.fn(async () => {}),
        onProgress: jest.fn(async () => {}),
      }),
    ).rejects.toThrow(
      'the local runner needs a connection of dbBackups.connections; resource:default/orders-db has none (a connection-secret needs the kubernetes runner)',
    );
  });

  it('starts the agent with the contract’s argv, the password in its environment only', async () => {
    const outcome = await backup(runnerFor({ events: [result({})] }));
    expect(outcome).toEqual({
      status: 'succeeded',
      serverVersion: '16.4',
      pgDumpVersion: '17.2',
      bytes: 1234,
      sha256: 'a'.repeat(64),
      artifact: {
        store: 'filesystem',
        key: 'default/orders-db/2026/12/01/run-1.dump',
        location: 'file:///b/default/orders-db/2026/12/01/run-1.dump',
      },
    });
    const { argv, env } = JSON.parse(fs.readFileSync(seen, 'utf8'));
    expect(argv).toEqual([
      'dump',
      '--to',
      'file:///b',
      '--entity',
      'default/orders-db',
      '--run-id',
      'run-1',
      '--compress',
      'zstd:1',
      '--events',
    ]);
    expect(JSON.stringify(argv)).not.toContain(connection.password);
    expect(env).toMatchObject({
      PGHOST: 'db.internal',
      PGPORT: '5432',
      PGUSER: 'backlot',
      PGDATABASE: 'orders',
      PGPASSWORD: connection.password,
      BACKLOT_PG_BIN_DIRS: '/opt/pg17/bin',
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
  });

  it('hands on start and progress events as the run’s versions and progress', async () => {
    const onStart = jest.fn(async () => {});
    const onProgress = jest.fn(async () => {});
    await runnerFor({
      events: [
        {
          type: 'start',
          runId: 'run-1',
          entityRef: 'default/orders-db',
          serverVersion: '16.4',
          serverMajor: 16,
          pgDumpVersion: '17.2',
          pgDumpPath: '/opt/pg17/bin/pg_dump',
        },
        { type: 'progress', bytes: 10, tablesDone: 1, tablesTotal: 3 },
        result({}),
      ],
    }).backup({ run, connection, onStart, onProgress });
    expect(onStart).toHaveBeenCalledWith({
      serverVersion: '16.4',
      pgDumpVersion: '17.2',
    });
    expect(onProgress).toHaveBeenCalledWith({
      bytes: 10,
      tablesDone: 1,
      tablesTotal: 3,
    });
  });

  it('fails with the agent’s own message when it reports one', async () => {
    const outcome = await backup(
      runnerFor({
        code: 3,
        events: [
          result({
            status: 'failed',
            location: null,
            key: null,
            sha256: null,
            bytes: null,
            pgDumpVersion: null,
            error: {
              code: 'auth',
              message: 'password authentication failed for user "backlot"',
            },
          }),
        ],
      }),
    );
    expect(outcome).toEqual({
      status: 'failed',
      serverVersion: '16.4',
      error: 'password authentication failed for user "backlot"',
    });
  });

  it('says how the agent ended when it reported nothing', async () => {
    expect(
      await backup(runnerFor({ signal: 'SIGKILL', stderr: 'dumping t\n' })),
    ).toEqual({
      status: 'failed',
      error:
        'backlot-agent dump was killed by SIGKILL before reporting a result: dumping t',
    });
    expect(await backup(runnerFor({ code: 5, stderr: 'disk full\n' }))).toEqual(
      {
        status: 'failed',
        error:
          'backlot-agent dump exited with code 5 (could not read or write the storage) before reporting a result: disk full',
      },
    );
  });

  it('never counts a success without an artifact, nor an exit code that contradicts it', async () => {
    expect(
      await backup(runnerFor({ events: [result({ key: null })] })),
    ).toEqual({
      status: 'failed',
      error:
        'backlot-agent reported success without naming its artifact; the run is not counted as a backup',
    });
    const contradicted = await backup(
      runnerFor({ code: 1, events: [result({})] }),
    );
    expect(contradicted.status).toBe('failed');
  });

  it('keeps the errors a verify succeeded past, and fails a prune that failed', async () => {
    const errorsIgnored = {
      total: 2,
      kinds: [{ kind: 'role "…" does not exist', count: 2, example: 'x' }],
    };
    const artifact = {
      store: 'filesystem' as const,
      key: 'k',
      location: 'file:///b/k.dump',
    };
    const verified = await runnerFor({
      events: [result({ key: null, errorsIgnored })],
    }).verify({ run, artifact });
    expect(verified).toMatchObject({
      status: 'succeeded',
      artifact,
      errorsIgnored,
    });
    await expect(
      runnerFor({
        code: 5,
        events: [
          result({
            status: 'failed',
            error: { code: 'storage', message: 'cannot delete k.dump' },
          }),
        ],
      }).prune(artifact),
    ).rejects.toThrow(
      'backlot-agent prune of file:///b/k.dump failed: cannot delete k.dump',
    );
  });
});
