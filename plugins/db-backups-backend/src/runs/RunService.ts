// Over 300 lines, and due a split: starting, executing, cancelling and pruning runs share the held-run
// bookkeeping (limit, AbortControllers) that makes exactly-once and cancel hold. Next: move cancelling
// and retention into classes of their own that take that bookkeeping.
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  backupsToPrune,
  parseRetention,
  Run,
  RunTrigger,
  TERMINAL_RUN_STATUSES,
} from '@backlot/plugin-db-backups-common';
import pLimit from 'p-limit';
import { DatabaseCatalog, DatabaseEntry } from '../catalog/DatabaseCatalog';
import { DbBackupsConfig } from '../config/DbBackupsConfig';
import { BackupOutcome, BackupRequest, Runner } from '../runners/Runner';
import { RunnerSet } from '../runners/RunnerSet';
import { RunStore } from '../database/RunStore';
import { RunRequest, RunRequests } from './types';

/** A cancelled run's error: who cancelled it. */
export const cancelledBy = (by: string) => `cancelled by ${by}`;

export interface BackupRequestOptions {
  entityRef: string;
  trigger: RunTrigger;
  requestedBy?: string;
  scheduledFor?: Date;
  /** the entity's runner when the caller has read the entity; otherwise read from the catalog */
  runner?: string;
}

/**
 * Creates runs and carries them through the runner to a terminal state. Every way a run can end
 * (agent failure, bad annotations, a crash of this code) leaves it failed with a message, never
 * stuck and never falsely succeeded.
 */
export class RunService implements RunRequests {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly inFlight = new Set<Promise<void>>();
  /** The runs this instance queued or executes; aborting one cancels it (the reason: who). */
  private readonly held = new Map<string, AbortController>();

  constructor(
    private readonly options: {
      runs: RunStore;
      databases: DatabaseCatalog;
      runners: RunnerSet;
      config: DbBackupsConfig;
      logger: LoggerService;
    },
  ) {
    this.limit = pLimit(options.config.concurrency);
  }

  listRuns(options: { entityRef: string; limit: number; cursor?: string }) {
    return this.options.runs.listRuns(options);
  }

  getRun(id: string) {
    return this.options.runs.getRun(id);
  }

  async startBackup(request: RunRequest): Promise<Run> {
    const database = await this.options.databases.requireDatabase(
      request.entityRef,
    );
    if (database.problems.length) {
      throw new InputError(
        `${
          request.entityRef
        } cannot be backed up until its annotations are fixed: ${database.problems
          .map(p => `${p.annotation}: ${p.message}`)
          .join('; ')}`,
      );
    }
    // Only a scheduled due time can already have its run; a request without one always gets a run.
    return (await this.requestBackup({
      ...request,
      runner: database.settings.runner,
    }))!;
  }

  async startVerify(
    request: RunRequest & { runId?: string },
  ): Promise<{ run: Run; backup: Run }> {
    const { entityRef, runId } = request;
    const database = await this.options.databases.requireDatabase(entityRef);
    const { runs } = this.options;
    const backup = runId
      ? await runs.getRun(runId)
      : await runs.latestRun(entityRef, { status: 'succeeded' });
    // A run of another entity answers as a missing one: the caller was authorized for entityRef only.
    if (
      !backup?.artifact ||
      backup.kind !== 'backup' ||
      backup.status !== 'succeeded' ||
      backup.entityRef !== entityRef
    ) {
      throw new InputError(
        runId
          ? `runId: ${runId} is not a successful backup of ${entityRef}`
          : `${entityRef} has no successful backup to verify yet`,
      );
    }
    const run = await this.requestVerify({
      backup,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      runner: database.settings.runner,
    });
    return { run, backup };
  }

  /**
   * Queues a backup and starts executing it in the background. Returns undefined when a scheduled
   * due time already has its run (another replica got there first).
   */
  async requestBackup(request: BackupRequestOptions): Promise<Run | undefined> {
    const run = await this.options.runs.createRun({
      kind: 'backup',
      entityRef: request.entityRef,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      runner: request.runner ?? (await this.entityRunner(request.entityRef)),
      scheduledFor: request.scheduledFor,
    });
    if (!run) return undefined;
    this.start(run, () => this.executeBackup(run));
    return run;
  }

  /**
   * The runner a new run of the entity records. A scheduled run reads the entity here; a catalog
   * that cannot answer leaves the schedule due, so the dispatcher tries again on its next tick.
   */
  private async entityRunner(entityRef: string): Promise<string> {
    const database = await this.options.databases.getDatabase(entityRef);
    // an entity that is gone gets the default; executeBackup fails its run with the reason
    return database?.settings.runner ?? this.options.config.runner;
  }

  /** Queues a verify run of a backup's artifact and starts it in the background. */
  async requestVerify(request: {
    backup: Run;
    trigger: RunTrigger;
    requestedBy?: string;
    /** the entity's runner; absent: the backup's, which could write the artifact, so can read it */
    runner?: string;
  }): Promise<Run> {
    const run = (await this.options.runs.createRun({
      kind: 'verify',
      entityRef: request.backup.entityRef,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      runner: request.runner ?? request.backup.runner,
    }))!;
    this.start(run, () => this.executeVerify(run, request.backup));
    return run;
  }

  /**
   * Cancels a queued or running run. A queued one is cancelled at once and never starts; a running
   * one is recorded as asked to stop (for the replica executing it: CancelWatcher) and, when this
   * instance executes it, stopped now; it ends cancelled once its runner has stopped the agent.
   */
  async cancelRun(id: string, by: string): Promise<Run> {
    const { runs } = this.options;
    const run = await runs.getRun(id);
    if (!run) throw new NotFoundError(`No run with id ${id}`);
    if (!(await runs.requestCancel(id, by))) {
      const ended = (await runs.getRun(id))!;
      throw new ConflictError(`run ${id} already ${ended.status}`);
    }
    if (run.status === 'queued') {
      try {
        const cancelled = await runs.transition(id, 'cancelled', {
          error: cancelledBy(by),
        });
        this.abortHeld(id, by);
        return cancelled;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // it started meanwhile (or ended: then the ConflictError below says how)
      }
    }
    this.abortHeld(id, by);
    const current = (await runs.getRun(id))!;
    if (TERMINAL_RUN_STATUSES.includes(current.status)) {
      if (current.status === 'cancelled') return current;
      throw new ConflictError(`run ${id} already ${current.status}`);
    }
    return current;
  }

  /** Stops a run this instance holds; a run another replica holds is stopped by its CancelWatcher. */
  abortHeld(id: string, by: string): void {
    const controller = this.held.get(id);
    if (controller && !controller.signal.aborted) controller.abort(by);
  }

  private start(run: Run, execute: () => Promise<void>) {
    this.held.set(run.id, new AbortController());
    const task = this.limit(execute)
      .catch(error =>
        this.options.logger.error(`run ${run.id} could not be finished`, error),
      )
      .finally(() => {
        this.inFlight.delete(task);
        this.held.delete(run.id);
      });
    this.inFlight.add(task);
  }

  /** The runs this instance queued or executes and has not finished (StaleRunDetector keeps them alive). */
  heldRunIds(): string[] {
    return [...this.held.keys()];
  }

  /** Resolves once every run started by this instance has ended (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /**
   * The runner named by the run, or undefined after failing the run: a run created for a runner
   * this backend no longer has (dbBackups.kubernetes removed and the backend restarted).
   */
  private async runnerOf(run: Run): Promise<Runner | undefined> {
    const runner = this.options.runners.byName(run.runner);
    if (!runner) {
      await this.options.runs.transition(run.id, 'failed', {
        error: `the run was queued for the ${run.runner} runner, which this backend does not run; configure dbBackups.${run.runner} or start the run again`,
      });
    }
    return runner;
  }

  private async executeVerify(run: Run, backup: Run): Promise<void> {
    const { runs, config } = this.options;
    await this.failOnCrash(run, async () => {
      const runner = await this.runnerOf(run);
      if (!runner) return;
      if (!(await this.begin(run))) return;
      const signal = this.signalOf(run);
      const outcome = await runner.verify({
        run,
        artifact: backup.artifact!,
        scratch: config.scratchConnection,
        signal,
      });
      if (await this.wasCancelled(run)) {
        await this.endCancelled(run, { runner, outcome });
        return;
      }
      await runs.transition(run.id, outcome.status, {
        serverVersion:
          outcome.serverVersion ?? backup.serverVersion ?? undefined,
        pgDumpVersion:
          outcome.pgDumpVersion ?? backup.pgDumpVersion ?? undefined,
        bytes: outcome.bytes,
        sha256: outcome.sha256,
        artifact: backup.artifact ?? undefined,
        error: outcome.error,
        errorsIgnored: outcome.errorsIgnored,
        jobName: outcome.jobName,
      });
    });
  }

  /**
   * Deletes the backups the entity's retention lets go. Only successful backups count, the newest
   * is never deleted, and a failed deletion keeps the backup listed (it is retried next time).
   */
  private async applyRetention(entityRef: string, spec: string) {
    const { runs, runners, logger } = this.options;
    const policy = parseRetention(spec);
    if (!policy) return;
    const kept = await runs.listRetainedBackups(entityRef);
    const byId = new Map(kept.map(r => [r.id, r]));
    const prune = backupsToPrune(
      kept.map(r => ({ id: r.id, finishedAt: Date.parse(r.finishedAt!) })),
      policy,
      Date.now(),
    );
    for (const id of prune) {
      const backup = byId.get(id);
      if (!backup?.artifact) continue;
      // the runner that wrote the artifact can delete it (its storage access, its cluster)
      const runner = runners.byName(backup.runner) ?? runners.default;
      try {
        await runner.prune(backup.artifact);
        await runs.markPruned(id);
        logger.info(`retention ${spec} deleted backup ${id} of ${entityRef}`);
      } catch (error) {
        logger.warn(
          `retention could not delete backup ${id} of ${entityRef}: ${error}`,
        );
      }
    }
  }

  /**
   * Whether the run was cancelled, here or through another replica whose request CancelWatcher has
   * not seen yet: a cancel that was answered 202 always ends the run cancelled.
   */
  private async wasCancelled(run: Run): Promise<boolean> {
    if (this.signalOf(run).aborted) return true;
    const [requested] = await this.options.runs.listCancelRequested([run.id]);
    if (requested) this.abortHeld(run.id, requested.by);
    return Boolean(requested);
  }

  /** The run's cancel signal (a run is held from start() to its end). */
  private signalOf(run: Run): AbortSignal {
    return this.held.get(run.id)?.signal ?? new AbortController().signal;
  }

  /**
   * queued -> running, unless the run was cancelled while it waited (here or on another replica):
   * then false, and it never starts.
   */
  private async begin(run: Run): Promise<boolean> {
    if (this.signalOf(run).aborted) {
      // normally cancelRun has cancelled it already; a CancelWatcher abort may come first
      await this.endCancelled(run).catch(() => undefined);
      return false;
    }
    try {
      await this.options.runs.transition(run.id, 'running');
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /**
   * A cancelled run ends cancelled whatever its runner's outcome says: the agent was stopped, so
   * its failure is the cancel's doing. A backup that finished before its agent could be stopped is
   * deleted: nothing of a cancelled run is kept, and no run would ever prune it.
   */
  private async endCancelled(
    run: Run,
    ended?: { runner: Runner; outcome: BackupOutcome },
  ) {
    const { runs, logger } = this.options;
    const artifact =
      ended?.outcome.status === 'succeeded' && ended.outcome.artifact;
    if (artifact && run.kind === 'backup') {
      await ended.runner
        .prune(artifact)
        .catch(error =>
          logger.warn(
            `run ${run.id} was cancelled as it finished; its backup ${artifact.location} could not be deleted: ${error}`,
          ),
        );
    }
    await runs.transition(run.id, 'cancelled', {
      error: cancelledBy(String(this.signalOf(run).reason)),
      jobName: ended?.outcome.jobName,
    });
    logger.info(`run ${run.id} of ${run.entityRef} cancelled`);
  }

  /** Whatever goes wrong inside `work`, the run ends failed with the reason (cancelled if it was). */
  private async failOnCrash(run: Run, work: () => Promise<void>) {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await (this.signalOf(run).aborted
        ? this.endCancelled(run)
        : this.options.runs.transition(run.id, 'failed', {
            error: `internal error: ${message}`,
          })
      ).catch(() => undefined);
      throw error;
    }
  }

  /** The entity's connection: validated by DatabaseCatalog, so exactly one of the two is there. */
  private connectionOf(
    database: DatabaseEntry,
  ): Pick<BackupRequest, 'connection' | 'connectionSecret'> {
    const { connection, connectionSecret } = database.settings;
    if (connection) {
      return { connection: this.options.config.connections.get(connection)! };
    }
    const [namespace, name] = connectionSecret!.split('/');
    return { connectionSecret: { namespace, name } };
  }

  private async executeBackup(run: Run): Promise<void> {
    const { runs, databases, logger } = this.options;
    await this.failOnCrash(run, async () => {
      const database = await databases.getDatabase(run.entityRef);
      if (!database) {
        await runs.transition(run.id, 'failed', {
          error: `${run.entityRef} is no longer a database entity in the catalog`,
        });
        return;
      }
      if (database.problems.length) {
        await runs.transition(run.id, 'failed', {
          error: database.problems
            .map(p => `${p.annotation}: ${p.message}`)
            .join('; '),
        });
        return;
      }
      const runner = await this.runnerOf(run);
      if (!runner) return;

      if (!(await this.begin(run))) return;
      const signal = this.signalOf(run);
      const outcome = await runner.backup({
        run,
        ...this.connectionOf(database),
        compression: database.settings.compression,
        onStart: info => runs.recordVersions(run.id, info),
        onProgress: progress => runs.recordProgress(run.id, progress),
        signal,
      });
      if (await this.wasCancelled(run)) {
        await this.endCancelled(run, { runner, outcome });
        return;
      }
      await runs.transition(run.id, outcome.status, {
        serverVersion: outcome.serverVersion,
        pgDumpVersion: outcome.pgDumpVersion,
        bytes: outcome.bytes,
        sha256: outcome.sha256,
        artifact: outcome.artifact,
        error: outcome.error,
        errorsIgnored: outcome.errorsIgnored,
        jobName: outcome.jobName,
      });
      if (outcome.status === 'succeeded' && database.settings.retention) {
        await this.applyRetention(run.entityRef, database.settings.retention);
      }
      logger.info(
        `backup ${run.id} of ${run.entityRef} ${outcome.status}${
          outcome.error ? `: ${outcome.error}` : ''
        }`,
      );
    });
  }
}
