/** What a run does. */
export type RunKind = 'backup' | 'restore' | 'mirror' | 'verify';
/** What started a run. */
export type RunTrigger = 'schedule' | 'manual' | 'scaffolder' | 'api';
/** queued -> running -> succeeded | failed | cancelled; the backend's RunStateMachine owns the transitions. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
];

/** Where a run's artifact lives. `location` is a URL (file:///... or s3://...). */
export interface RunArtifact {
  store: 'filesystem' | 's3';
  key: string;
  location: string;
}

/** Progress as last reported by the agent. */
export interface RunProgress {
  bytes: number;
  tablesDone?: number;
  tablesTotal?: number;
}

/**
 * pg_restore errors a restore went past because it was told to (`--allow-errors`), by kind, most
 * frequent first: a restore with errors is never shown as a clean one.
 */
export interface RunErrorsIgnored {
  total: number;
  kinds: { kind: string; count: number; example: string }[];
}

/** A run as the REST API returns it. */
export interface Run {
  id: string;
  kind: RunKind;
  entityRef: string;
  targetRef: string | null;
  trigger: RunTrigger;
  status: RunStatus;
  requestedBy: string | null;
  runner: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  scheduledFor: string | null;
  serverVersion: string | null;
  pgDumpVersion: string | null;
  bytes: number | null;
  sha256: string | null;
  artifact: RunArtifact | null;
  error: string | null;
  progress: RunProgress | null;
  /** When retention deleted this backup's artifact (the run stays in the history). */
  prunedAt: string | null;
  /** Errors the run succeeded past (restore --allow-errors); null when there were none. */
  errorsIgnored: RunErrorsIgnored | null;
}

export interface RunPage {
  items: Run[];
  /** Pass as `cursor` to get the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** A problem with one annotation of one entity; the entity is skipped, the others go on. */
export interface AnnotationProblem {
  annotation: string;
  message: string;
}

/** GET /entities/:namespace/:name/status */
export interface EntityBackupStatus {
  entityRef: string;
  schedule: string | null;
  timezone: string;
  nextRunAt: string | null;
  lastSuccess: Run | null;
  lastRun: Run | null;
  /** The newest successful verify run. */
  lastVerified: Run | null;
  /**
   * Whether this backend's verify runs restore into a scratch database
   * (`dbBackups.verify.scratchConnection`); without one a verify checks the checksum and the archive's
   * table of contents only.
   */
  verifyRestores: boolean;
  problems: AnnotationProblem[];
}
