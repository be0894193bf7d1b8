import type { AgentEvent } from '../contract';

export type { AgentEvent } from '../contract';

export interface Reporter {
  event(event: AgentEvent): void;
  /** Human-readable progress and diagnostics, always on stderr. */
  log(message: string): void;
}

export function createReporter(options: { events: boolean }): Reporter {
  return {
    event(event) {
      if (options.events) process.stdout.write(`${JSON.stringify(event)}\n`);
    },
    log(message) {
      process.stderr.write(`backlot-agent: ${message}\n`);
    },
  };
}
