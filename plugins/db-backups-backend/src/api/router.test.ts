/**
 * The router alone, its services mocked (the Backstage backend-plugin template's router test): no
 * database, no catalog, no testbed. Every route answers 401, 400, 403 and 404 where it has them,
 * and its happy path; each writes its auditor event and makes no service call it was refused.
 * Kept in one file because the routes share one set of mocks and one order of checks.
 */
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  BACKUP_START_AUDIT_EVENT,
  EntityBackupStatus,
  Run,
  RUNS_LIST_AUDIT_EVENT,
  RUN_CANCEL_AUDIT_EVENT,
  RUN_FETCH_AUDIT_EVENT,
  STATUS_FETCH_AUDIT_EVENT,
  VERIFY_START_AUDIT_EVENT,
} from '@backlot/plugin-db-backups-common';
import express from 'express';
import request from 'supertest';
import { RunRequests } from '../runs/types';
import { EntityStatusService } from '../status/EntityStatusService';
import { createRouter } from './router';

const READABLE = 'resource:default/orders-db';
const HIDDEN = 'resource:default/payroll-db';
const RUN_ID = '6f1c2a56-3d0b-4e6b-9d4e-0a3c1f2b7e11';
const HIDDEN_RUN_ID = '0b7f6c1e-8a9d-4c2b-b3e4-5f6a7b8c9d0e';

function run(id: string, entityRef: string, patch: Partial<Run> = {}): Run {
  return {
    id,
    kind: 'backup',
    entityRef,
    targetRef: null,
    trigger: 'manual',
    status: 'succeeded',
    requestedBy: 'user:default/mock',
    runner: 'local',
    queuedAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    finishedAt: '2026-01-01T00:00:09.000Z',
    scheduledFor: null,
    serverVersion: '16.4',
    pgDumpVersion: '17.2',
    bytes: 1234,
    sha256: 'a'.repeat(64),
    artifact: { store: 'filesystem', key: 'k', location: 'file:///k' },
    error: null,
    progress: null,
    prunedAt: null,
    errorsIgnored: null,
    ...patch,
  };
}

const none = { Authorization: mockCredentials.none.header() };
const service = { Authorization: mockCredentials.service.header() };

describe('createRouter', () => {
  let app: express.Express;
  let runs: jest.Mocked<RunRequests>;
  let status: jest.Mocked<EntityStatusService>;
  let permissions: ReturnType<typeof mockServices.permissions.mock>;
  let auditor: ReturnType<typeof mockServices.auditor.mock>;
  let auditEvent: { success: jest.Mock; fail: jest.Mock };

  beforeEach(async () => {
    runs = {
      listRuns: jest.fn(),
      getRun: jest.fn(),
      startBackup: jest.fn(),
      startVerify: jest.fn(),
      cancelRun: jest.fn(),
    };
    status = { getStatus: jest.fn() };
    // The policy: the caller may do everything on READABLE and nothing on HIDDEN.
    permissions = mockServices.permissions.mock();
    permissions.authorize.mockImplementation(async requests =>
      requests.map(r => ({
        result:
          'resourceRef' in r && r.resourceRef === HIDDEN
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })),
    );
    auditor = mockServices.auditor.mock();
    auditEvent = { success: jest.fn(), fail: jest.fn() };
    auditor.createEvent.mockResolvedValue(auditEvent);
    const router = await createRouter({
      httpAuth: mockServices.httpAuth(),
      permissions,
      auditor,
      runs,
      status,
    });
    app = express().use(router).use(mockErrorHandler());
  });

  function expectAudited(eventId: string, severityLevel: string, meta: object) {
    expect(auditor.createEvent).toHaveBeenCalledTimes(1);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId, severityLevel, meta }),
    );
  }

  function expectRefused() {
    expect(auditEvent.fail).toHaveBeenCalledTimes(1);
    expect(auditEvent.success).not.toHaveBeenCalled();
  }

  describe('GET /runs', () => {
    it('answers a page of the history', async () => {
      const page = { items: [run(RUN_ID, READABLE)], nextCursor: 'c2' };
      runs.listRuns.mockResolvedValue(page);
      const res = await request(app).get(
        '/runs?entityRef=Resource:default/Orders-DB&limit=5&cursor=c1',
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual(page);
      expect(runs.listRuns).toHaveBeenCalledWith({
        entityRef: READABLE,
        limit: 5,
        cursor: 'c1',
      });
      expectAudited(RUNS_LIST_AUDIT_EVENT, 'low', { entityRef: READABLE });
      expect(auditEvent.success).toHaveBeenCalled();
    });

    it('defaults the kind, the namespace and the limit', async () => {
      runs.listRuns.mockResolvedValue({ items: [] });
      const res = await request(app).get('/runs?entityRef=orders-db');
      expect(res.status).toBe(200);
      expect(runs.listRuns).toHaveBeenCalledWith({
        entityRef: READABLE,
        limit: 20,
      });
    });

    it('answers 401 without credentials', async () => {
      const res = await request(app)
        .get(`/runs?entityRef=${READABLE}`)
        .set(none);
      expect(res.status).toBe(401);
      expect(runs.listRuns).not.toHaveBeenCalled();
      expect(auditor.createEvent).not.toHaveBeenCalled();
    });

    it.each([
      ['', 'entityRef'],
      ['?entityRef=', 'entityRef'],
      ['?entityRef=resource:default/', 'entityRef'],
      [`?entityRef=${READABLE}&limit=0`, 'limit'],
      [`?entityRef=${READABLE}&limit=101`, 'limit'],
      [`?entityRef=${READABLE}&limit=two`, 'limit'],
    ])('answers 400 to %s naming %s', async (query, field) => {
      const res = await request(app).get(`/runs${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toContain(field);
      expect(runs.listRuns).not.toHaveBeenCalled();
      expect(permissions.authorize).not.toHaveBeenCalled();
    });

    it('answers 400 for a cursor the store cannot read', async () => {
      runs.listRuns.mockRejectedValue(
        new InputError('cursor is not one this API returned'),
      );
      const res = await request(app).get(
        `/runs?entityRef=${READABLE}&cursor=garbage`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('cursor');
      expectRefused();
    });

    it('answers 403 on an entity the caller may not read, before reading anything', async () => {
      const res = await request(app).get(`/runs?entityRef=${HIDDEN}`);
      expect(res.status).toBe(403);
      expect(runs.listRuns).not.toHaveBeenCalled();
      expectAudited(RUNS_LIST_AUDIT_EVENT, 'low', { entityRef: HIDDEN });
      expectRefused();
    });

    it('has no 404: an entity without runs has an empty history', async () => {
      runs.listRuns.mockResolvedValue({ items: [] });
      const res = await request(app).get(
        '/runs?entityRef=resource:default/never-backed-up',
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [] });
    });
  });

  describe('GET /runs/:id', () => {
    it('answers the run', async () => {
      runs.getRun.mockResolvedValue(run(RUN_ID, READABLE));
      const res = await request(app).get(`/runs/${RUN_ID}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(run(RUN_ID, READABLE));
      expect(permissions.authorize).toHaveBeenCalledWith(
        [expect.objectContaining({ resourceRef: READABLE })],
        expect.anything(),
      );
      expectAudited(RUN_FETCH_AUDIT_EVENT, 'low', { runId: RUN_ID });
      expect(auditEvent.success).toHaveBeenCalled();
    });

    it('answers 401 without credentials', async () => {
      const res = await request(app).get(`/runs/${RUN_ID}`).set(none);
      expect(res.status).toBe(401);
      expect(runs.getRun).not.toHaveBeenCalled();
    });

    it('answers 404 for a run that does not exist, whatever its id looks like', async () => {
      runs.getRun.mockResolvedValue(undefined);
      for (const id of [RUN_ID, 'none']) {
        const res = await request(app).get(`/runs/${id}`);
        expect(res.status).toBe(404);
        expect(res.body.error.message).toBe(`No run with id ${id}`);
      }
    });

    // This route has no 403: see createRouter. A run the caller may not read and one that does not
    // exist are the same answer, so the answer says nothing about which ids exist.
    it('answers a run the caller may not read exactly as a missing one', async () => {
      runs.getRun.mockImplementation(async id =>
        id === HIDDEN_RUN_ID ? run(HIDDEN_RUN_ID, HIDDEN) : undefined,
      );
      const hidden = await request(app).get(`/runs/${HIDDEN_RUN_ID}`);
      runs.getRun.mockResolvedValue(undefined);
      const missing = await request(app).get(`/runs/${HIDDEN_RUN_ID}`);
      expect(hidden.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(hidden.body.error).toEqual(missing.body.error);
      expect(JSON.stringify(hidden.body)).not.toContain('payroll');
      expect(auditEvent.fail).toHaveBeenCalledTimes(2);
    });
  });

  describe('POST /runs', () => {
    const byUser = {
      entityRef: READABLE,
      trigger: 'manual',
      requestedBy: 'user:default/mock',
    };

    it.each([
      ['a user', {}, byUser],
      [
        'a service, as an API run',
        service,
        { ...byUser, trigger: 'api', requestedBy: 'external:test-service' },
      ],
    ])('starts a backup for %s, audited at medium', async (_, as, expected) => {
      runs.startBackup.mockResolvedValue(
        run(RUN_ID, READABLE, { status: 'queued' }),
      );
      const res = await request(app)
        .post('/runs')
        .set(as)
        .send({ entityRef: 'resource:default/Orders-DB', kind: 'backup' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id: RUN_ID });
      expect(runs.startBackup).toHaveBeenCalledWith(expected);
      expectAudited(BACKUP_START_AUDIT_EVENT, 'medium', {
        entityRef: READABLE,
        kind: 'backup',
      });
      expect(auditEvent.success).toHaveBeenCalledWith({
        meta: { runId: RUN_ID },
      });
    });

    it('starts a verify of the backup the service picks', async () => {
      const verifyId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
      runs.startVerify.mockResolvedValue({
        run: run(verifyId, READABLE, { kind: 'verify', status: 'queued' }),
        backup: run(RUN_ID, READABLE),
      });
      const res = await request(app)
        .post('/runs')
        .send({ entityRef: READABLE, kind: 'verify', runId: RUN_ID });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id: verifyId });
      expect(runs.startVerify).toHaveBeenCalledWith({
        ...byUser,
        runId: RUN_ID,
      });
      expectAudited(VERIFY_START_AUDIT_EVENT, 'medium', {
        entityRef: READABLE,
        kind: 'verify',
      });
      expect(auditEvent.success).toHaveBeenCalledWith({
        meta: { runId: verifyId, backupRunId: RUN_ID },
      });
    });

    it('answers 401 without credentials', async () => {
      const res = await request(app)
        .post('/runs')
        .set(none)
        .send({ entityRef: READABLE, kind: 'backup' });
      expect(res.status).toBe(401);
      expect(runs.startBackup).not.toHaveBeenCalled();
    });

    it.each([
      [{ kind: 'backup' }, 'entityRef'],
      [{ entityRef: '', kind: 'backup' }, 'entityRef'],
      [{ entityRef: READABLE }, 'kind'],
      [{ entityRef: READABLE, kind: 'restore' }, 'kind'],
      [{ entityRef: READABLE, kind: 'verify', runId: 'latest' }, 'runId'],
    ])('answers 400 to %j naming %s', async (body, field) => {
      const res = await request(app).post('/runs').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
      expect(permissions.authorize).not.toHaveBeenCalled();
      expect(auditor.createEvent).not.toHaveBeenCalled();
    });

    it('answers 400 with what the service refuses', async () => {
      runs.startBackup.mockRejectedValue(
        new InputError(`${READABLE} cannot be backed up until ...`),
      );
      runs.startVerify.mockRejectedValue(
        new InputError(`runId: ${RUN_ID} is not a successful backup`),
      );
      const backup = await request(app)
        .post('/runs')
        .send({ entityRef: READABLE, kind: 'backup' });
      const verify = await request(app)
        .post('/runs')
        .send({ entityRef: READABLE, kind: 'verify', runId: RUN_ID });
      expect(backup.status).toBe(400);
      expect(verify.status).toBe(400);
      expect(verify.body.error.message).toContain('runId');
      expect(auditEvent.fail).toHaveBeenCalledTimes(2);
    });

    it.each(['backup', 'verify'])(
      'answers 403 to a %s of an entity the caller may not start runs of, and audits the refusal',
      async kind => {
        const res = await request(app)
          .post('/runs')
          .send({ entityRef: HIDDEN, kind });
        expect(res.status).toBe(403);
        expect(runs.startBackup).not.toHaveBeenCalled();
        expect(runs.startVerify).not.toHaveBeenCalled();
        expectAudited(
          kind === 'backup'
            ? BACKUP_START_AUDIT_EVENT
            : VERIFY_START_AUDIT_EVENT,
          'medium',
          { entityRef: HIDDEN, kind },
        );
        expectRefused();
      },
    );

    it('answers 404 for an entity that is not a database', async () => {
      runs.startBackup.mockRejectedValue(
        new NotFoundError('not a database entity'),
      );
      runs.startVerify.mockRejectedValue(
        new NotFoundError('not a database entity'),
      );
      for (const kind of ['backup', 'verify']) {
        const res = await request(app)
          .post('/runs')
          .send({ entityRef: 'resource:default/missing', kind });
        expect(res.status).toBe(404);
      }
    });
  });

  describe('POST /runs/:id/cancel', () => {
    it.each(['backup', 'verify'] as const)(
      'cancels a %s run with the permission that starts one, audited at medium',
      async kind => {
        runs.getRun.mockResolvedValue(
          run(RUN_ID, READABLE, { kind, status: 'running' }),
        );
        runs.cancelRun.mockResolvedValue(
          run(RUN_ID, READABLE, { kind, status: 'running' }),
        );
        const res = await request(app).post(`/runs/${RUN_ID}/cancel`);
        expect(res.status).toBe(202);
        expect(res.body.id).toBe(RUN_ID);
        expect(permissions.authorize).toHaveBeenCalledWith(
          [
            {
              permission: expect.objectContaining({
                name: 'db-backups.backup.create',
              }),
              resourceRef: READABLE,
            },
          ],
          expect.anything(),
        );
        expect(runs.cancelRun).toHaveBeenCalledWith(
          RUN_ID,
          'user:default/mock',
        );
        expectAudited(RUN_CANCEL_AUDIT_EVENT, 'medium', { runId: RUN_ID });
        expect(auditEvent.success).toHaveBeenCalledWith({
          meta: { entityRef: READABLE, cancelledBy: 'user:default/mock' },
        });
      },
    );

    it('answers 401 without credentials', async () => {
      const res = await request(app).post(`/runs/${RUN_ID}/cancel`).set(none);
      expect(res.status).toBe(401);
      expect(runs.getRun).not.toHaveBeenCalled();
      expect(runs.cancelRun).not.toHaveBeenCalled();
    });

    it('answers a run the caller may not cancel exactly as a missing one', async () => {
      runs.getRun.mockResolvedValue(
        run(HIDDEN_RUN_ID, HIDDEN, { status: 'running' }),
      );
      const hidden = await request(app).post(`/runs/${HIDDEN_RUN_ID}/cancel`);
      runs.getRun.mockResolvedValue(undefined);
      const missing = await request(app).post(`/runs/${HIDDEN_RUN_ID}/cancel`);
      expect(hidden.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(hidden.body.error).toEqual(missing.body.error);
      expect(hidden.body.error.message).toBe(`No run with id ${HIDDEN_RUN_ID}`);
      expect(runs.cancelRun).not.toHaveBeenCalled();
      expect(auditEvent.fail).toHaveBeenCalledTimes(2);
    });

    it('answers 409 for a run that already ended', async () => {
      runs.getRun.mockResolvedValue(run(RUN_ID, READABLE));
      runs.cancelRun.mockRejectedValue(
        new ConflictError(`run ${RUN_ID} already succeeded`),
      );
      const res = await request(app).post(`/runs/${RUN_ID}/cancel`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(`run ${RUN_ID} already succeeded`);
      expectRefused();
    });
  });

  describe('GET /entities/:namespace/:name/status', () => {
    const answer: EntityBackupStatus = {
      entityRef: READABLE,
      schedule: '0 3 * * *',
      timezone: 'UTC',
      nextRunAt: '2026-01-02T03:00:00.000Z',
      lastSuccess: run(RUN_ID, READABLE),
      lastRun: run(RUN_ID, READABLE),
      lastVerified: null,
      verifyRestores: false,
      problems: [],
    };

    it('answers the status the service composes', async () => {
      status.getStatus.mockResolvedValue(answer);
      const res = await request(app).get('/entities/default/Orders-DB/status');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(answer);
      expect(status.getStatus).toHaveBeenCalledWith(READABLE);
      expectAudited(STATUS_FETCH_AUDIT_EVENT, 'low', { entityRef: READABLE });
      expect(auditEvent.success).toHaveBeenCalled();
    });

    it('answers 401 without credentials', async () => {
      const res = await request(app)
        .get('/entities/default/orders-db/status')
        .set(none);
      expect(res.status).toBe(401);
      expect(status.getStatus).not.toHaveBeenCalled();
    });

    it.each([
      ['default', 'a:b', 'name'],
      ['a:b', 'orders-db', 'namespace'],
    ])(
      'answers 400 to namespace %s, name %s naming %s',
      async (ns, name, field) => {
        const res = await request(app).get(`/entities/${ns}/${name}/status`);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(field);
        expect(status.getStatus).not.toHaveBeenCalled();
      },
    );

    it('answers 403 on an entity the caller may not read, before looking it up', async () => {
      const res = await request(app).get('/entities/default/payroll-db/status');
      expect(res.status).toBe(403);
      expect(status.getStatus).not.toHaveBeenCalled();
      expectAudited(STATUS_FETCH_AUDIT_EVENT, 'low', { entityRef: HIDDEN });
      expectRefused();
    });

    it('answers 404 for an entity that is not a database', async () => {
      status.getStatus.mockRejectedValue(
        new NotFoundError('not a database entity'),
      );
      const res = await request(app).get('/entities/default/missing/status');
      expect(res.status).toBe(404);
      expectRefused();
    });
  });
});
