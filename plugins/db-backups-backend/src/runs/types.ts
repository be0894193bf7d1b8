import { Run, RunPage, RunTrigger } from '@backlot/plugin-db-backups-common';

/** Who asked for a run that a person or a service started through the REST API. */
export interface RunRequest {
  /** A normalized (lower-cased) entity ref. */
  entityRef: string;
  trigger: RunTrigger;
  requestedBy?: string;
}

/**
 * What the REST API asks of runs, one call per route. RunService implements it; the router's tests
 * mock it. Errors are the ones the API answers with: NotFoundError (404), InputError (400).
 */
export interface RunRequests {
  listRuns(options: {
    entityRef: string;
    limit: number;
    cursor?: string;
  }): Promise<RunPage>;
  getRun(id: string): Promise<Run | undefined>;
  /**
   * Queues a backup. NotFoundError when the entity is not a database entity in the catalog;
   * InputError when its annotations must be fixed first.
   */
  startBackup(request: RunRequest): Promise<Run>;
  /**
   * Queues a verify of the backup `runId`, by default the newest successful backup of the entity.
   * NotFoundError when the entity is not a database entity; InputError when there is no such backup.
   */
  startVerify(
    request: RunRequest & { runId?: string },
  ): Promise<{ run: Run; backup: Run }>;
  /**
   * Cancels a queued or running run on behalf of `by`; answers it as it is now (a running one ends
   * cancelled once its runner has stopped). NotFoundError for no such run; ConflictError when the
   * run already ended.
   */
  cancelRun(id: string, by: string): Promise<Run>;
}
