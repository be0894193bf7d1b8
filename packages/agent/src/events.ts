import type { ErrorSummary } from './restoreErrors';

/** The NDJSON events `--events` prints on stdout, one per line. */
export type AgentEvent =
  | {
      type: 'start';
      runId: string;
      entityRef: string;
      serverVersion: string;
      serverMajor: number;
      pgDumpVersion: string;
      pgDumpPath: string;
    }
  | {
      type: 'progress';
      bytes: number;
      tablesDone?: number;
      tablesTotal?: number;
    }
  | {
      type: 'result';
      status: 'succeeded' | 'failed';
      location: string | null;
      manifest: string | null;
      key: string | null;
      bytes: number | null;
      sha256: string | null;
      serverVersion: string | null;
      pgDumpVersion: string | null;
      error: null | { code: string; message: string };
      /** restore --allow-errors: the pg_restore errors it went on past, by kind (null: none) */
      errorsIgnored?: ErrorSummary | null;
      /** The agent's own peak resident memory (not pg_dump's), for sizing runners. */
      peakRssBytes?: number;
      /** The agent's own CPU time in seconds (pg_dump's not included). */
      cpuSeconds?: number;
    };

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
