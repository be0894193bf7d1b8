import { LoggerService } from '@backstage/backend-plugin-api';
import { RunStore } from '../database/RunStore';

/** How long a queued or running run may go without a sign of life before it is failed. */
export const STALE_AFTER_MS = 3 * 60 * 1000;

/**
 * Runs on every backend replica each tick: keeps the runs this instance holds alive, and fails the
 * runs whose instance went away (a backend restart or crash) so that none stays "running" forever.
 * Each replica touches only its own runs; failing a stale run is a compare-and-set on its status,
 * so replicas may race freely.
 */
export class StaleRunDetector {
  constructor(
    private readonly options: {
      runs: RunStore;
      /** The runs this instance queued or executes and has not finished. */
      heldRunIds: () => string[];
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  /** Returns how many runs it failed. */
  async tick(): Promise<number> {
    const { runs, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const held = new Set(this.options.heldRunIds());
    await runs.touch([...held]);
    const stale = await runs.listStale(
      new Date(now.getTime() - STALE_AFTER_MS),
    );
    let failed = 0;
    for (const run of stale) {
      if (held.has(run.id)) continue;
      try {
        await runs.transition(run.id, 'failed', {
          error: `the backend instance executing this run stopped (no sign of life for ${
            STALE_AFTER_MS / 60000
          } minutes); start the backup again`,
        });
      } catch {
        continue; // another replica failed it first
      }
      failed++;
      logger.warn(
        `run ${run.id} of ${run.entityRef} was abandoned; marked failed`,
      );
    }
    return failed;
  }
}
