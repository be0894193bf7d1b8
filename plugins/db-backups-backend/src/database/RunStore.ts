import {
  Run,
  RunKind,
  RunPage,
  RunErrorsIgnored,
  RunProgress,
  RunStatus,
  RunTrigger,
} from '@backlot/plugin-db-backups-common';

export interface NewRun {
  kind: RunKind;
  entityRef: string;
  targetRef?: string;
  trigger: RunTrigger;
  requestedBy?: string;
  runner: string;
  /** The due time of the schedule that created the run; at most one run per due time. */
  scheduledFor?: Date;
}

/** Fields a transition may set along with the new status. */
export interface RunPatch {
  serverVersion?: string;
  pgDumpVersion?: string;
  bytes?: number;
  sha256?: string;
  artifact?: Run['artifact'];
  error?: string;
  jobName?: string;
  errorsIgnored?: RunErrorsIgnored;
}

/** Run history. Implementations enforce the RunStateMachine on every status change. */
export interface RunStore {
  /** Creates a queued run; for a scheduled run returns undefined when that due time already has one. */
  createRun(run: NewRun): Promise<Run | undefined>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(options: {
    entityRef: string;
    limit: number;
    cursor?: string;
  }): Promise<RunPage>;
  /** Moves a run to `to` if its current status allows it; throws ConflictError otherwise. */
  transition(id: string, to: RunStatus, patch?: RunPatch): Promise<Run>;
  recordProgress(id: string, progress: RunProgress): Promise<void>;
  /** The versions the agent matched, known as soon as it starts. */
  recordVersions(
    id: string,
    versions: { serverVersion?: string; pgDumpVersion?: string },
  ): Promise<void>;
  latestRun(
    entityRef: string,
    options?: { status?: RunStatus; kind?: RunKind },
  ): Promise<Run | undefined>;
  /** Successful backups whose artifacts retention has not deleted, newest first. */
  listRetainedBackups(entityRef: string): Promise<Run[]>;
  markPruned(id: string): Promise<void>;
  /** Marks runs as alive now (their executor still holds them). */
  touch(ids: string[]): Promise<void>;
  /** Records who asked to cancel a queued or running run; false when it had already ended. */
  requestCancel(id: string, by: string): Promise<boolean>;
  /** Of `ids`, the runs still queued or running that someone asked to cancel, and who. */
  listCancelRequested(ids: string[]): Promise<{ id: string; by: string }[]>;
  /** Runs still queued or running whose last sign of life is older than `before`. */
  listStale(before: Date): Promise<Run[]>;
}
