import {
  AuditorService,
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
import {
  EntityBackupStatus,
  dbBackupsBackupCreatePermission,
  dbBackupsReadPermission,
  nextDueTime,
} from '@backlot/plugin-db-backups-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { RunService } from '../runs/RunService';
import { RunStore } from '../stores/RunStore';
import { ScheduleStore } from '../stores/ScheduleStore';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  runs: RunStore;
  runService: RunService;
  databases: DatabaseCatalog;
  schedules: ScheduleStore;
  /** verify runs restore into a scratch database (dbBackups.verify.scratchConnection is set) */
  verifyRestores: boolean;
}

/** Entity refs are compared case-insensitively in Backstage; we store them lower-cased. */
export function normalizeEntityRef(ref: string, field = 'entityRef'): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: 'resource',
        defaultNamespace: 'default',
      }),
    ).toLocaleLowerCase('en-US');
  } catch (error) {
    throw new InputError(`${field}: ${(error as Error).message}`);
  }
}

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

const listRunsQuery = z.object({
  entityRef: z.string({ required_error: 'required' }).min(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

const createRunBody = z.object({
  entityRef: z.string({ required_error: 'required' }).min(1),
  kind: z.enum(['backup', 'verify'], {
    errorMap: () => ({ message: 'must be "backup" or "verify"' }),
  }),
  /** verify: the backup run to verify; default the newest successful one. */
  runId: z.string().uuid().optional(),
});

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    auditor,
    runs,
    runService,
    databases,
    schedules,
  } = options;
  const router = Router();
  router.use(express.json());

  async function authorize(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `${permission.name} is not allowed on ${entityRef}`,
      );
    }
  }

  router.get('/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parse(listRunsQuery, req.query);
    const entityRef = normalizeEntityRef(query.entityRef);
    await authorize(dbBackupsReadPermission, entityRef, credentials);
    res.json(
      await runs.listRuns({
        entityRef,
        limit: query.limit,
        cursor: query.cursor,
      }),
    );
  });

  router.get('/runs/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const run = await runs.getRun(req.params.id);
    if (!run) {
      throw new NotFoundError(`No run with id ${req.params.id}`);
    }
    await authorize(dbBackupsReadPermission, run.entityRef, credentials);
    res.json(run);
  });

  router.post('/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body = parse(createRunBody, req.body);
    const entityRef = normalizeEntityRef(body.entityRef);
    const auditorEvent = await auditor.createEvent({
      eventId: `${body.kind}-start`,
      severityLevel: 'medium',
      request: req,
      meta: { entityRef, kind: body.kind },
    });
    try {
      await authorize(dbBackupsBackupCreatePermission, entityRef, credentials);
      const database = await databases.getDatabase(entityRef);
      if (!database) {
        throw new NotFoundError(
          `${entityRef} is not a database entity in the catalog`,
        );
      }
      const principal = credentials.principal as {
        type: string;
        userEntityRef?: string;
        subject?: string;
      };
      const requester = {
        trigger:
          principal.type === 'user' ? ('manual' as const) : ('api' as const),
        requestedBy: principal.userEntityRef ?? principal.subject,
      };
      if (body.kind === 'verify') {
        const backup = body.runId
          ? await runs.getRun(body.runId)
          : await runs.latestRun(entityRef, { status: 'succeeded' });
        if (
          !backup?.artifact ||
          backup.kind !== 'backup' ||
          backup.status !== 'succeeded' ||
          backup.entityRef !== entityRef
        ) {
          throw new InputError(
            body.runId
              ? `runId: ${body.runId} is not a successful backup of ${entityRef}`
              : `${entityRef} has no successful backup to verify yet`,
          );
        }
        const run = await runService.requestVerify({ backup, ...requester });
        await auditorEvent.success({
          meta: { runId: run.id, backupRunId: backup.id },
        });
        res.status(202).json({ id: run.id });
        return;
      }
      if (database.problems.length) {
        throw new InputError(
          `${entityRef} cannot be backed up until its annotations are fixed: ${database.problems
            .map(p => `${p.annotation}: ${p.message}`)
            .join('; ')}`,
        );
      }
      const run = await runService.requestBackup({ entityRef, ...requester });
      await auditorEvent.success({ meta: { runId: run!.id } });
      res.status(202).json({ id: run!.id });
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/entities/:namespace/:name/status', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const entityRef = normalizeEntityRef(
      `resource:${req.params.namespace}/${req.params.name}`,
    );
    await authorize(dbBackupsReadPermission, entityRef, credentials);
    const database = await databases.getDatabase(entityRef);
    if (!database) {
      throw new NotFoundError(
        `${entityRef} is not a database entity in the catalog`,
      );
    }
    const { schedule } = database.settings;
    const row = await schedules.get(entityRef);
    const nextRunAt = schedule
      ? (row?.cron === schedule.cron && row.timezone === schedule.timezone
          ? row.nextDueAt
          : nextDueTime(schedule, new Date())
        ).toISOString()
      : null;
    const status: EntityBackupStatus = {
      entityRef,
      schedule: schedule?.cron ?? null,
      timezone:
        schedule?.timezone ?? database.settings.schedule?.timezone ?? 'UTC',
      nextRunAt,
      lastSuccess:
        (await runs.latestRun(entityRef, { status: 'succeeded' })) ?? null,
      lastRun: (await runs.latestRun(entityRef)) ?? null,
      lastVerified:
        (await runs.latestRun(entityRef, {
          status: 'succeeded',
          kind: 'verify',
        })) ?? null,
      verifyRestores: options.verifyRestores,
      problems: database.problems,
    };
    res.json(status);
  });

  return router;
}
