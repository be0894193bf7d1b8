import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  COMPRESSION_ANNOTATION,
  CONNECTION_ANNOTATION,
  CONNECTION_SECRET_ANNOTATION,
  ENVIRONMENT_ANNOTATION,
  MIRROR_FROM_ANNOTATION,
  RETENTION_ANNOTATION,
  RUNNER_ANNOTATION,
  SCHEDULE_ANNOTATION,
  TIMEZONE_ANNOTATION,
} from './annotations';
import { BackupSchedule, cronProblem, timezoneProblem } from './schedule';
import { parseRetention } from './retention';
import { AnnotationProblem } from './runs';

/** The runners a backend can have: `local` always, `kubernetes` when dbBackups.kubernetes is set. */
export const RUNNER_NAMES = ['local', 'kubernetes'] as const;
export type RunnerName = (typeof RUNNER_NAMES)[number];

/** What the annotations of one database entity say, once validated. */
export interface DatabaseSettings {
  entityRef: string;
  /** Name of a connection in `dbBackups.connections`. */
  connection?: string;
  /** `<namespace>/<secret>` of a Kubernetes Secret (kubernetes runner). */
  connectionSecret?: string;
  /** From backlot.dev/runner; absent = the backend's dbBackups.runner (the backend resolves it). */
  runner?: RunnerName;
  /** Absent: manual backups only. */
  schedule?: BackupSchedule;
  retention?: string;
  /** pg_dump compression, `zstd[:N]`, `lz4[:N]`, `gzip[:N]` or `none`; absent = the agent's default. */
  compression?: string;
  environment?: string;
  /** No mirror or restore may overwrite a production database. */
  production: boolean;
  mirrorFrom: string[];
}

export interface DatabaseSettingsResult {
  settings: DatabaseSettings;
  problems: AnnotationProblem[];
}

const COMPRESSION_PATTERN =
  /^(none|zstd(:\d{1,2})?|lz4(:\d{1,2})?|gzip(:\d)?)$/;

/**
 * Reads the backlot.dev/* annotations of a database entity. Every problem is collected rather than
 * thrown, so one bad annotation is reported on its entity and never stops the others.
 */
export function readDatabaseSettings(
  entity: Entity,
  options: {
    defaultSchedule?: string;
    defaultTimezone?: string;
    defaultCompression?: string;
  } = {},
): DatabaseSettingsResult {
  const annotations = entity.metadata.annotations ?? {};
  const problems: AnnotationProblem[] = [];
  const entityRef = stringifyEntityRef(entity);

  const connection = annotations[CONNECTION_ANNOTATION]?.trim() || undefined;
  const connectionSecret =
    annotations[CONNECTION_SECRET_ANNOTATION]?.trim() || undefined;
  if (!connection && !connectionSecret) {
    problems.push({
      annotation: CONNECTION_ANNOTATION,
      message: `missing: set ${CONNECTION_ANNOTATION} to the name of a connection in dbBackups.connections (app-config)`,
    });
  }
  if (connectionSecret && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(connectionSecret)) {
    problems.push({
      annotation: CONNECTION_SECRET_ANNOTATION,
      message: `"${connectionSecret}" is not <namespace>/<secret-name>`,
    });
  }

  const runner = annotations[RUNNER_ANNOTATION]?.trim() || undefined;
  const runnerKnown = (RUNNER_NAMES as readonly string[]).includes(runner!);
  if (runner && !runnerKnown) {
    problems.push({
      annotation: RUNNER_ANNOTATION,
      message: `"${runner}" is not a runner; use ${RUNNER_NAMES.join(
        ' or ',
      )}, or remove the annotation to use dbBackups.runner`,
    });
  }

  const timezone =
    annotations[TIMEZONE_ANNOTATION]?.trim() ||
    options.defaultTimezone ||
    'UTC';
  const tzProblem = timezoneProblem(timezone);
  if (tzProblem) {
    problems.push({ annotation: TIMEZONE_ANNOTATION, message: tzProblem });
  }

  let schedule: BackupSchedule | undefined;
  const cron =
    annotations[SCHEDULE_ANNOTATION]?.trim() || options.defaultSchedule;
  if (cron) {
    const problem = cronProblem(cron);
    if (problem) {
      problems.push({ annotation: SCHEDULE_ANNOTATION, message: problem });
    } else if (!tzProblem) {
      schedule = { cron, timezone };
    }
  }

  const retention = annotations[RETENTION_ANNOTATION]?.trim() || undefined;
  if (retention && !parseRetention(retention)) {
    problems.push({
      annotation: RETENTION_ANNOTATION,
      message: `"${retention}" is not a retention policy; use keep=10, 30d or daily=7,weekly=4,monthly=6`,
    });
  }

  const compression =
    annotations[COMPRESSION_ANNOTATION]?.trim() || options.defaultCompression;
  if (compression && !COMPRESSION_PATTERN.test(compression)) {
    problems.push({
      annotation: COMPRESSION_ANNOTATION,
      message: `"${compression}" is not a compression; use zstd[:1-22], lz4[:1-12], gzip[:1-9] or none`,
    });
  }

  const environment =
    annotations[ENVIRONMENT_ANNOTATION]?.trim() ||
    (typeof entity.spec?.lifecycle === 'string'
      ? entity.spec.lifecycle
      : undefined);

  const mirrorFrom = (annotations[MIRROR_FROM_ANNOTATION] ?? '')
    .split(',')
    .map(ref => ref.trim())
    .filter(Boolean);

  return {
    settings: {
      entityRef,
      connection,
      connectionSecret,
      runner: runnerKnown ? (runner as RunnerName) : undefined,
      schedule,
      retention,
      compression: problems.some(p => p.annotation === COMPRESSION_ANNOTATION)
        ? undefined
        : compression,
      environment,
      production: environment === 'production',
      mirrorFrom,
    },
    problems,
  };
}
