import { LoggerService } from '@backstage/backend-plugin-api';
import { RunStore } from '../database/RunStore';

/**
 * Runs on every backend replica every few seconds: a cancel recorded by another replica (the one
 * the request reached) stops the run here, where its agent runs; only this replica can stop it.
 */
export class CancelWatcher {
  constructor(
    private readonly options: {
      runs: RunStore;
      /** The runs this instance queued or executes and has not finished. */
      heldRunIds: () => string[];
      /** Stops a held run on behalf of `by`. */
      abort: (id: string, by: string) => void;
      logger: LoggerService;
    },
  ) {}

  /** Returns how many runs it stopped. */
  async tick(): Promise<number> {
    const requested = await this.options.runs.listCancelRequested(
      this.options.heldRunIds(),
    );
    for (const { id, by } of requested) {
      this.options.logger.info(`run ${id}: cancel requested by ${by}`);
      this.options.abort(id, by);
    }
    return requested.length;
  }
}
