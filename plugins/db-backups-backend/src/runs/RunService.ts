import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  backupsToPrune,
  parseRetention,
  Run,
  RunTrigger,
} from '@backlot/plugin-db-backups-common';
import pLimit from 'p-limit';
import { DatabaseCatalog } from '../catalog/DatabaseCatalog';
import { DbBackupsConfig } from '../config/DbBackupsConfig';
import { Runner } from '../runners/Runner';
import { RunStore } from '../database/RunStore';
import { RunRequest, RunRequests } from './types';

export interface BackupRequestOptions {
  entityRef: string;
  trigger: RunTrigger;
  requestedBy?: string;
  scheduledFor?: Date;
}

/**
 * Creates runs and carries them through the runner to a terminal state. Every way a run can end
 * (agent failure, bad annotations, a crash of this code) leaves it failed with a message, never
 * stuck and never falsely succeeded.
 */
export class RunService implements RunRequests {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly held = new Set<string>();

  constructor(
    private readonly options: {
      runs: RunStore;
      databases: DatabaseCatalog;
      runner: Runner;
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
    return (await this.requestBackup(request))!;
  }

  async startVerify(
    request: RunRequest & { runId?: string },
  ): Promise<{ run: Run; backup: Run }> {
    const { entityRef, runId } = request;
    await this.options.databases.requireDatabase(entityRef);
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
      runner: this.options.runner.name,
      scheduledFor: request.scheduledFor,
    });
    if (!run) return undefined;
    this.start(run, () => this.executeBackup(run));
    return run;
  }

  /** Queues a verify run of a backup's artifact and starts it in the background. */
  async requestVerify(request: {
    backup: Run;
    trigger: RunTrigger;
    requestedBy?: string;
  }): Promise<Run> {
    const run = (await this.options.runs.createRun({
      kind: 'verify',
      entityRef: request.backup.entityRef,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      runner: this.options.runner.name,
    }))!;
    this.start(run, () => this.executeVerify(run, request.backup));
    return run;
  }

  private start(run: Run, execute: () => Promise<void>) {
    this.held.add(run.id);
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
    return [...this.held];
  }

  /** Resolves once every run started by this instance has ended (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private async executeVerify(run: Run, backup: Run): Promise<void> {
    const { runs, runner, config } = this.options;
    await this.failOnCrash(run, async () => {
      await runs.transition(run.id, 'running');
      const outcome = await runner.verify({
        run,
        artifact: backup.artifact!,
        scratch: config.scratchConnection,
      });
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
      });
    });
  }

  /**
   * Deletes the backups the entity's retention lets go. Only successful backups count, the newest
   * is never deleted, and a failed deletion keeps the backup listed (it is retried next time).
   */
  private async applyRetention(entityRef: string, spec: string) {
    const { runs, runner, logger } = this.options;
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
      const artifact = byId.get(id)?.artifact;
      if (!artifact) continue;
      try {
        await runner.prune(artifact);
        await runs.markPruned(id);
        logger.info(`retention ${spec} deleted backup ${id} of ${entityRef}`);
      } catch (error) {
        logger.warn(
          `retention could not delete backup ${id} of ${entityRef}: ${error}`,
        );
      }
    }
  }

  /** Whatever goes wrong inside `work`, the run ends failed with the reason. */
  private async failOnCrash(run: Run, work: () => Promise<void>) {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.options.runs
        .transition(run.id, 'failed', { error: `internal error: ${message}` })
        .catch(() => undefined);
      throw error;
    }
  }

  private async executeBackup(run: Run): Promise<void> {
    const { runs, databases, runner, config, logger } = this.options;
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
      const connection = config.connections.get(database.settings.connection!)!;

      await runs.transition(run.id, 'running');
      const outcome = await runner.backup({
        run,
        connection,
        compression: database.settings.compression,
        onStart: info => runs.recordVersions(run.id, info),
        onProgress: progress => runs.recordProgress(run.id, progress),
      });
      await runs.transition(run.id, outcome.status, {
        serverVersion: outcome.serverVersion,
        pgDumpVersion: outcome.pgDumpVersion,
        bytes: outcome.bytes,
        sha256: outcome.sha256,
        artifact: outcome.artifact,
        error: outcome.error,
        errorsIgnored: outcome.errorsIgnored,
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
