// One file over 300 lines: every route of the plugin in the one order the house rules ask for
// (credentials, input, permission, audit, one service call), so that a reader compares them at a glance.
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import {
  BACKUP_START_AUDIT_EVENT,
  RUNS_LIST_AUDIT_EVENT,
  RUN_CANCEL_AUDIT_EVENT,
  RUN_FETCH_AUDIT_EVENT,
  STATUS_FETCH_AUDIT_EVENT,
  VERIFY_START_AUDIT_EVENT,
  dbBackupsBackupCreatePermission,
  dbBackupsReadPermission,
} from '@backlot/plugin-db-backups-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import { RunRequest, RunRequests } from '../runs/types';
import { EntityStatusService } from '../status/EntityStatusService';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  runs: RunRequests;
  status: EntityStatusService;
}

/** Entity refs are compared case-insensitively in Backstage; we store them lower-cased. */
export function normalizeEntityRef(ref: string): string {
  return stringifyEntityRef(
    parseEntityRef(ref, {
      defaultKind: 'resource',
      defaultNamespace: 'default',
    }),
  ).toLocaleLowerCase('en-US');
}

const entityRef = z
  .string({ required_error: 'required' })
  .min(1)
  .transform((ref, ctx) => {
    try {
      return normalizeEntityRef(ref);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A namespace or name in a URL path: whatever an entity ref can hold there. */
const refPart = z
  .string()
  .min(1)
  .regex(/^[^:/]+$/, 'must not contain ":" or "/"');

const listRunsQuery = z.object({
  entityRef,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

/** Any id is well-formed: one that names no run is a 404, as it always was. */
const runParams = z.object({ id: z.string().min(1) });

const createRunBody = z.object({
  entityRef,
  kind: z.enum(['backup', 'verify'], {
    errorMap: () => ({ message: 'must be "backup" or "verify"' }),
  }),
  /** verify: the backup run to verify; default the newest successful one. */
  runId: z.string().uuid().optional(),
});

const statusParams = z.object({ namespace: refPart, name: refPart });

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new InputError(
      result.error.issues
        .map(issue => `${issue.path.join('.') || 'body'}: ${issue.message}`)
        .join('; '),
    );
  }
  return result.data;
}

/** A person starts a run manually; a service token is an API client. */
function requester(
  credentials: BackstageCredentials,
): Omit<RunRequest, 'entityRef'> {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return {
    trigger: principal.type === 'user' ? 'manual' : 'api',
    requestedBy: principal.userEntityRef ?? principal.subject,
  };
}

/**
 * The REST API. Every route goes through the same steps, in this order:
 *
 * 1. credentials (`httpAuth.credentials`: 401 without them);
 * 2. input validated with zod (400, naming the field);
 * 3. an auditor event opened: reads at `low`, state changes at `medium`. It opens before the
 *    permission check so that refused requests are in the audit trail too (they end as failed);
 * 4. authorization against the entity the request names (403), before anything is looked up, so an
 *    answer never tells a caller who may not see an entity whether it exists;
 * 5. one service call; its errors (404, 400) and its success close the auditor event.
 *
 * `GET /runs/:id` names a run, not an entity, and the entity to authorize against is only known
 * from the run itself. There the run is read first, but a run the caller may not read answers
 * exactly as a run that does not exist: 404 with the same message. The alternative, 403 for both,
 * would make a typo look like a permission problem and need a policy decision that does not depend
 * on the entity. Run ids are random UUIDs, so the 404 gives away nothing a caller could enumerate.
 * `POST /runs/:id/cancel` does the same, with the permission that starts a run of the entity.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, auditor, runs, status } = options;
  const router = Router();
  router.use(express.json());

  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  async function isAllowed(
    permission: ResourcePermission<'catalog-entity'>,
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<boolean> {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: ref }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  async function authorize(
    permission: ResourcePermission<'catalog-entity'>,
    ref: string,
    credentials: BackstageCredentials,
  ) {
    if (!(await isAllowed(permission, ref, credentials))) {
      throw new NotAllowedError(`${permission.name} is not allowed on ${ref}`);
    }
  }

  /**
   * The run, when the caller holds `permission` on its entity; else 404, the same answer as for a
   * run that does not exist, so that a caller learns nothing of runs it may not see.
   */
  async function permittedRun(
    id: string,
    permission: ResourcePermission<'catalog-entity'>,
    credentials: BackstageCredentials,
  ) {
    const found = await runs.getRun(id);
    if (
      !found ||
      !(await isAllowed(permission, found.entityRef, credentials))
    ) {
      throw new NotFoundError(`No run with id ${id}`);
    }
    return found;
  }

  /** Runs `work` inside an auditor event: success with the meta `work` returns, or fail with its error. */
  async function audited<T>(
    req: express.Request,
    event: Omit<AuditorServiceCreateEventOptions, 'request'>,
    work: () => Promise<{ result: T; meta?: JsonObject }>,
  ): Promise<T> {
    const auditorEvent = await auditor.createEvent({ ...event, request: req });
    try {
      const { result, meta } = await work();
      await auditorEvent.success(meta ? { meta } : undefined);
      return result;
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  }

  /** Steps 3 to 5 of a read of one entity's data. */
  const entityRead = <T>(
    req: express.Request,
    eventId: string,
    ref: string,
    credentials: BackstageCredentials,
    read: () => Promise<T>,
  ) =>
    audited(
      req,
      { eventId, severityLevel: 'low', meta: { entityRef: ref } },
      async () => {
        await authorize(dbBackupsReadPermission, ref, credentials);
        return { result: await read() };
      },
    );

  router.get('/runs', async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(listRunsQuery, req.query);
    res.json(
      await entityRead(
        req,
        RUNS_LIST_AUDIT_EVENT,
        query.entityRef,
        credentials,
        () => runs.listRuns(query),
      ),
    );
  });

  router.get('/runs/:id', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { id } = parse(runParams, req.params);
    const run = await audited(
      req,
      {
        eventId: RUN_FETCH_AUDIT_EVENT,
        severityLevel: 'low',
        meta: { runId: id },
      },
      async () => {
        return {
          result: await permittedRun(id, dbBackupsReadPermission, credentials),
        };
      },
    );
    res.json(run);
  });

  router.post('/runs', async (req, res) => {
    const credentials = await credentialsOf(req);
    const body = parse(createRunBody, req.body);
    const request = { entityRef: body.entityRef, ...requester(credentials) };
    const run = await audited(
      req,
      {
        eventId:
          body.kind === 'verify'
            ? VERIFY_START_AUDIT_EVENT
            : BACKUP_START_AUDIT_EVENT,
        severityLevel: 'medium',
        meta: { entityRef: body.entityRef, kind: body.kind },
      },
      async () => {
        await authorize(
          dbBackupsBackupCreatePermission,
          body.entityRef,
          credentials,
        );
        if (body.kind === 'verify') {
          const verify = await runs.startVerify({
            ...request,
            runId: body.runId,
          });
          return {
            result: verify.run,
            meta: { runId: verify.run.id, backupRunId: verify.backup.id },
          };
        }
        const backup = await runs.startBackup(request);
        return { result: backup, meta: { runId: backup.id } };
      },
    );
    res.status(202).json({ id: run.id });
  });

  router.post('/runs/:id/cancel', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { id } = parse(runParams, req.params);
    const run = await audited(
      req,
      {
        eventId: RUN_CANCEL_AUDIT_EVENT,
        severityLevel: 'medium',
        meta: { runId: id },
      },
      async () => {
        // POST /runs starts a backup and a verify with the one permission: the one that may stop either
        const found = await permittedRun(
          id,
          dbBackupsBackupCreatePermission,
          credentials,
        );
        const by = requester(credentials).requestedBy ?? 'unknown';
        return {
          result: await runs.cancelRun(id, by),
          meta: { entityRef: found.entityRef, cancelledBy: by },
        };
      },
    );
    res.status(202).json(run);
  });

  router.get('/entities/:namespace/:name/status', async (req, res) => {
    const credentials = await credentialsOf(req);
    const params = parse(statusParams, req.params);
    const ref = normalizeEntityRef(
      `resource:${params.namespace}/${params.name}`,
    );
    res.json(
      await entityRead(req, STATUS_FETCH_AUDIT_EVENT, ref, credentials, () =>
        status.getStatus(ref),
      ),
    );
  });

  return router;
}
