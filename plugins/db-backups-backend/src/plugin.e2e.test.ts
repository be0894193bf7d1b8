/**
 * End to end: the real plugin in a test backend, real PostgreSQL 14-18 servers and the real agent.
 * One file because every case shares the backend and the five seeded servers its beforeAll sets up
 * (the slowest part); the router's own cases, with services mocked, are in api/router.test.ts.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createDatabase, ensureTlsRoles, testbedUp } from '@backlot/testbed';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import {
  databaseEntity,
  rowCounts,
  seededDatabase,
  waitForRun,
} from './__testUtils__/fixtures';

jest.setTimeout(300_000);

const MAJORS = [14, 15, 16, 17, 18];
// The testbed has clients 15, 17 and 18: servers without their own client get the nearest newer one.
const EXPECTED_CLIENT: Record<number, number> = {
  14: 15,
  15: 15,
  16: 17,
  17: 17,
  18: 18,
};
const major = (version: string | null) => Number(String(version).split('.')[0]);

describe('db-backups backend, end to end with real servers and the real agent', () => {
  let server: Parameters<typeof request>[0];
  let stop: () => Promise<void>;
  let backupDir: string;
  let sources: Record<number, Awaited<ReturnType<typeof seededDatabase>>>;
  let pgBin: Record<string, string>;

  beforeAll(async () => {
    const testbed = await testbedUp({ pg: MAJORS });
    pgBin = testbed.pgBin;
    sources = {};
    for (const m of MAJORS)
      sources[m] = await seededDatabase(m, 'backlot_plugin_it');
    backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-backups-'));

    const connections: Record<string, object> = {};
    for (const m of MAJORS) connections[`pg${m}`] = sources[m].connection;
    connections.wrongPassword = {
      ...sources[16].connection,
      password: 'not-the-password',
    };
    // a role pg_hba admits only over TLS, and a server checked against the testbed's private CA
    await ensureTlsRoles(18);
    connections.tls = {
      ...sources[18].connection,
      host: testbed.tls.serverName,
      user: testbed.tls.tlsOnlyUser,
      sslmode: 'verify-full',
      sslrootcert: testbed.tls.caFile,
    };
    connections.unreachable = {
      ...sources[16].connection,
      host: '127.0.0.1',
      port: 1,
    };

    const entities = [
      ...MAJORS.map(m =>
        databaseEntity(`pg${m}-db`, { 'backlot.dev/connection': `pg${m}` }),
      ),
      databaseEntity('wrong-password-db', {
        'backlot.dev/connection': 'wrongPassword',
      }),
      databaseEntity('tls-db', { 'backlot.dev/connection': 'tls' }),
      databaseEntity('unreachable-db', {
        'backlot.dev/connection': 'unreachable',
      }),
      databaseEntity('bad-cron-db', {
        'backlot.dev/connection': 'pg15',
        'backlot.dev/backup-schedule': '61 * * * *',
      }),
      databaseEntity('unknown-connection-db', {
        'backlot.dev/connection': 'nope',
      }),
      databaseEntity('lz4-db', {
        'backlot.dev/connection': 'pg17',
        'backlot.dev/compression': 'lz4:1',
      }),
      databaseEntity('bad-compression-db', {
        'backlot.dev/connection': 'pg17',
        'backlot.dev/compression': 'brotli',
      }),
      databaseEntity('keep2-db', {
        'backlot.dev/connection': 'pg16',
        'backlot.dev/retention': 'keep=2',
      }),
      databaseEntity('secret-only-db', {
        'backlot.dev/connection-secret': 'db/orders',
      }),
      databaseEntity('bad-timezone-db', {
        'backlot.dev/connection': 'pg15',
        'backlot.dev/backup-schedule': '@daily',
        'backlot.dev/backup-timezone': 'Mars/Olympus',
      }),
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'not-a-db', namespace: 'default' },
        spec: { type: 'service' },
      },
    ];

    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              connections,
              storage: { filesystem: { path: backupDir } },
              local: {
                pgBinDirs: Object.values(pgBin),
                searchSystemBinDirs: false,
              },
              verify: { scratchConnection: 'pg18' },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
  });

  async function backup(name: string) {
    const res = await request(server)
      .post('/api/db-backups/runs')
      .send({ entityRef: `resource:default/${name}`, kind: 'backup' });
    expect(res.status).toBe(202);
    return waitForRun(server, res.body.id);
  }

  it.each(MAJORS)(
    'backs up a PostgreSQL %i server with a pg_dump of the matching major',
    async m => {
      const run = await backup(`pg${m}-db`);
      expect(run).toMatchObject({
        status: 'succeeded',
        kind: 'backup',
        trigger: 'manual',
        error: null,
      });
      expect(major(run.serverVersion)).toBe(m);
      expect(major(run.pgDumpVersion)).toBe(EXPECTED_CLIENT[m]);
      expect(run.requestedBy).toBe(
        mockCredentials.user().principal.userEntityRef,
      );

      const file = fileURLToPath(run.artifact!.location);
      const bytes = fs.readFileSync(file);
      expect(run.bytes).toBe(bytes.length);
      expect(run.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(run.artifact!.key).toMatch(
        new RegExp(`default/pg${m}-db/\\d{4}/\\d{2}/\\d{2}/${run.id}\\.dump$`),
      );
      const manifest = JSON.parse(
        fs.readFileSync(file.replace(/\.dump$/, '.manifest.json'), 'utf8'),
      );
      expect(manifest.sha256).toBe(run.sha256);
    },
  );

  it.each([15, 18])(
    'produces an artifact that plain pg_restore %i restores into the same major with the same row counts',
    async m => {
      const run = await backup(`pg${m}-db`);
      const target = await createDatabase(m, 'backlot_plugin_restore');
      execFileSync(
        path.join(pgBin[String(m)], 'pg_restore'),
        [
          '--no-owner',
          '--exit-on-error',
          '-d',
          target,
          fileURLToPath(run.artifact!.location),
        ],
        { stdio: 'pipe' },
      );
      expect(await rowCounts(target)).toEqual(await rowCounts(sources[m].url));
    },
  );

  it('restores a dump made by a newer pg_dump into its own server, with one harmless error', async () => {
    // PostgreSQL 16 has no client of its own here: pg_dump 17 made the dump, and pg_restore 17
    // sets transaction_timeout, which servers before 17 do not know (documented in the README).
    const run = await backup('pg16-db');
    const target = await createDatabase(16, 'backlot_plugin_restore');
    let stderr = '';
    try {
      execFileSync(
        path.join(pgBin['17'], 'pg_restore'),
        ['--no-owner', '-d', target, fileURLToPath(run.artifact!.location)],
        { stdio: 'pipe' },
      );
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    const errors = stderr.split('\n').filter(line => line.includes('ERROR:'));
    expect(errors).toEqual([expect.stringContaining('"transaction_timeout"')]);
    expect(await rowCounts(target)).toEqual(await rowCounts(sources[16].url));
  });

  it('dumps with the compression its annotation asks for', async () => {
    const run = await backup('lz4-db');
    expect(run.status).toBe('succeeded');
    const manifest = JSON.parse(
      fs.readFileSync(
        fileURLToPath(run.artifact!.location).replace(
          /\.dump$/,
          '.manifest.json',
        ),
        'utf8',
      ),
    );
    expect(manifest.compression).toBe('lz4:1');
    const bad = await request(server).get(
      '/api/db-backups/entities/default/bad-compression-db/status',
    );
    expect(bad.body.problems).toEqual([
      expect.objectContaining({ annotation: 'backlot.dev/compression' }),
    ]);
  });

  it('verifies a backup by restoring it into a scratch database, and shows it as verified', async () => {
    const backupRun = await backup('pg15-db');
    const res = await request(server).post('/api/db-backups/runs').send({
      entityRef: 'resource:default/pg15-db',
      kind: 'verify',
      runId: backupRun.id,
    });
    expect(res.status).toBe(202);
    const verifyRun = await waitForRun(server, res.body.id);
    expect(verifyRun).toMatchObject({
      kind: 'verify',
      status: 'succeeded',
      sha256: backupRun.sha256,
      artifact: backupRun.artifact,
      error: null,
    });
    const status = await request(server).get(
      '/api/db-backups/entities/default/pg15-db/status',
    );
    expect(status.body.lastVerified.id).toBe(verifyRun.id);
    // dbBackups.verify.scratchConnection is set: the tab may call it a verified restore
    expect(status.body.verifyRestores).toBe(true);
  });

  it('fails the verify run of a corrupted artifact, and refuses to verify what was never backed up', async () => {
    const backupRun = await backup('pg17-db');
    const file = fileURLToPath(backupRun.artifact!.location);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const res = await request(server)
      .post('/api/db-backups/runs')
      .send({ entityRef: 'resource:default/pg17-db', kind: 'verify' });
    const verifyRun = await waitForRun(server, res.body.id);
    expect(verifyRun.status).toBe('failed');
    expect(verifyRun.error).toContain('the artifact is corrupted');

    const never = await request(server).post('/api/db-backups/runs').send({
      entityRef: 'resource:default/wrong-password-db',
      kind: 'verify',
    });
    expect(never.status).toBe(400);
    expect(never.body.error.message).toContain(
      'no successful backup to verify',
    );
  });

  it('deletes what the retention lets go, manifest first, and keeps the newest', async () => {
    const first = await backup('keep2-db');
    const second = await backup('keep2-db');
    const third = await backup('keep2-db');
    const manifestOf = (run: { artifact: { location: string } | null }) =>
      fileURLToPath(run.artifact!.location).replace(
        /\.dump$/,
        '.manifest.json',
      );
    // retention runs right after the newest backup is recorded as succeeded
    let pruned = (await request(server).get(`/api/db-backups/runs/${first.id}`))
      .body;
    for (let i = 0; i < 100 && !pruned.prunedAt; i++) {
      await new Promise(r => setTimeout(r, 100));
      pruned = (await request(server).get(`/api/db-backups/runs/${first.id}`))
        .body;
    }
    expect(pruned.status).toBe('succeeded');
    expect(pruned.prunedAt).not.toBeNull();
    expect(fs.existsSync(fileURLToPath(first.artifact!.location))).toBe(false);
    expect(fs.existsSync(manifestOf(first))).toBe(false);
    for (const kept of [second, third]) {
      expect(fs.existsSync(fileURLToPath(kept.artifact!.location))).toBe(true);
      expect(fs.existsSync(manifestOf(kept))).toBe(true);
      expect(
        (await request(server).get(`/api/db-backups/runs/${kept.id}`)).body
          .prunedAt,
      ).toBeNull();
    }
  });

  it('fails a run with a wrong password with a message that says so, and leaks no password', async () => {
    const run = await backup('wrong-password-db');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/password authentication failed/i);
    expect(run.error).not.toContain('not-the-password');
    expect(run.artifact).toBeNull();
  });

  it('backs up over verify-full TLS with the CA of dbBackups.connections.*.sslrootcert', async () => {
    const run = await backup('tls-db');
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    expect(major(run.serverVersion)).toBe(18);
  });

  it('fails a run against an unreachable host naming host and port', async () => {
    const run = await backup('unreachable-db');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/127\.0\.0\.1:1\b/);
  });

  it('reports annotation problems per entity and refuses to back them up', async () => {
    const badCron = await request(server).get(
      '/api/db-backups/entities/default/bad-cron-db/status',
    );
    expect(badCron.status).toBe(200);
    expect(badCron.body.problems).toEqual([
      expect.objectContaining({ annotation: 'backlot.dev/backup-schedule' }),
    ]);
    const unknown = await request(server).get(
      '/api/db-backups/entities/default/unknown-connection-db/status',
    );
    expect(unknown.body.problems).toEqual([
      expect.objectContaining({
        annotation: 'backlot.dev/connection',
        message: expect.stringContaining(
          '"nope" is not defined in dbBackups.connections',
        ),
      }),
    ]);
    const refused = await request(server).post('/api/db-backups/runs').send({
      entityRef: 'resource:default/unknown-connection-db',
      kind: 'backup',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('backlot.dev/connection');

    const secretOnly = await request(server).get(
      '/api/db-backups/entities/default/secret-only-db/status',
    );
    expect(secretOnly.body.problems).toEqual([
      expect.objectContaining({ annotation: 'backlot.dev/connection-secret' }),
    ]);
    const badZone = await request(server).get(
      '/api/db-backups/entities/default/bad-timezone-db/status',
    );
    expect(badZone.body.problems).toEqual([
      {
        annotation: 'backlot.dev/backup-timezone',
        message: expect.stringContaining(
          '"Mars/Olympus" is not an IANA time zone',
        ),
      },
    ]);
    expect(badZone.body.nextRunAt).toBeNull();

    // the healthy entities are unaffected
    const healthy = await request(server).get(
      '/api/db-backups/entities/default/pg15-db/status',
    );
    expect(healthy.body.problems).toEqual([]);
  });

  it('shows the last success and the schedule in the entity status', async () => {
    await backup('pg18-db');
    const res = await request(server).get(
      '/api/db-backups/entities/default/pg18-db/status',
    );
    expect(res.body).toMatchObject({
      entityRef: 'resource:default/pg18-db',
      schedule: null,
      timezone: 'UTC',
      nextRunAt: null,
      lastSuccess: expect.objectContaining({ status: 'succeeded' }),
    });
  });

  it('pages through the history newest first', async () => {
    await backup('pg15-db');
    await backup('pg15-db');
    const all = await request(server).get(
      '/api/db-backups/runs?entityRef=resource:default/pg15-db&limit=100',
    );
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await request(server)
        .get('/api/db-backups/runs')
        .query({
          entityRef: 'resource:default/pg15-db',
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((r: { id: string }) => r.id));
    const times = all.body.items.map((r: { queuedAt: string }) => r.queuedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it.each([
    ['/api/db-backups/runs', 'entityRef'],
    [
      '/api/db-backups/runs?entityRef=resource:default/pg15-db&limit=0',
      'limit',
    ],
    [
      '/api/db-backups/runs?entityRef=resource:default/pg15-db&cursor=garbage',
      'cursor',
    ],
  ])('answers GET %s with 400 naming %s', async (url, field) => {
    const res = await request(server).get(url);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it('validates the body of POST /runs', async () => {
    const noRef = await request(server)
      .post('/api/db-backups/runs')
      .send({ kind: 'backup' });
    expect(noRef.status).toBe(400);
    expect(noRef.body.error.message).toContain('entityRef');
    const badKind = await request(server)
      .post('/api/db-backups/runs')
      .send({ entityRef: 'resource:default/pg15-db', kind: 'restore' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toContain('kind');
  });

  it('answers 404 for unknown entities and runs', async () => {
    expect(
      (
        await request(server)
          .post('/api/db-backups/runs')
          .send({ entityRef: 'resource:default/missing', kind: 'backup' })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server)
          .post('/api/db-backups/runs')
          .send({ entityRef: 'component:default/not-a-db', kind: 'backup' })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server).get(
          '/api/db-backups/runs/00000000-0000-0000-0000-000000000000',
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server).get(
          '/api/db-backups/entities/default/missing/status',
        )
      ).status,
    ).toBe(404);
  });

  it('requires credentials on every route', async () => {
    const none = { Authorization: mockCredentials.none.header() };
    for (const res of [
      await request(server)
        .get('/api/db-backups/runs?entityRef=resource:default/pg15-db')
        .set(none),
      await request(server).get('/api/db-backups/runs/x').set(none),
      await request(server)
        .post('/api/db-backups/runs')
        .set(none)
        .send({ entityRef: 'resource:default/pg15-db', kind: 'backup' }),
      await request(server)
        .get('/api/db-backups/entities/default/pg15-db/status')
        .set(none),
    ]) {
      expect(res.status).toBe(401);
    }
  });
});

describe('db-backups backend without a suitable pg client', () => {
  it('fails the run with an error that names the missing major', async () => {
    const testbed = await testbedUp({ pg: [17] });
    const source = await seededDatabase(17, 'backlot_plugin_noclient');
    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        catalogServiceMock.factory({
          entities: [
            databaseEntity('pg17-db', { 'backlot.dev/connection': 'pg17' }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              connections: { pg17: source.connection },
              storage: {
                filesystem: {
                  path: fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-')),
                },
              },
              local: {
                pgBinDirs: [testbed.pgBin['15']],
                searchSystemBinDirs: false,
              },
            },
          },
        }),
      ],
    });
    try {
      const res = await request(backend.server)
        .post('/api/db-backups/runs')
        .send({ entityRef: 'resource:default/pg17-db', kind: 'backup' });
      const run = await waitForRun(backend.server, res.body.id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/PostgreSQL 17/);
      expect(run.error).toMatch(/install/i);
      expect(run.artifact).toBeNull();
    } finally {
      await backend.stop();
    }
  });
});
