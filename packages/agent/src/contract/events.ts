// The NDJSON events `--events` prints on stdout, one per line: what the backend (and a Kubernetes
// runner reading a Job's log) learns of a run while it goes and when it ends.
//
// One convention for absent values: a field of an event is always present, and `null` where the
// agent does not know its value (a failed dump has no sha256; a verify has no key). No field is
// ever left out, so a reader checks for `null` alone, and JSON round trips keep every key.

/** pg_restore's errors, grouped by what went wrong, most frequent first. */
export interface ErrorSummary {
  total: number;
  kinds: { kind: string; count: number; example: string }[];
}

/** `dump` only: the versions it matched, before any data moves. */
export interface StartEvent {
  type: 'start';
  runId: string;
  entityRef: string;
  serverVersion: string;
  serverMajor: number;
  pgDumpVersion: string;
  pgDumpPath: string;
}

/** `dump` only, at most once a second: bytes written, tables whose data pg_dump has started. */
export interface ProgressEvent {
  type: 'progress';
  bytes: number;
  tablesDone: number;
  tablesTotal: number;
}

/** What an agent error is about; its exit code follows from it (EXIT_CODE_OF in exits.ts). */
export type AgentErrorCode =
  | 'usage'
  | 'connection'
  | 'auth'
  | 'no_client'
  | 'storage'
  | 'dump'
  | 'interrupted'
  | 'verification'
  | 'restore'
  | 'incompatible_target'
  | 'internal';

/** The last event of dump, restore, verify and prune: exactly one per run, success or failure. */
export interface ResultEvent {
  type: 'result';
  status: 'succeeded' | 'failed';
  /** the dump's URL: the one written (dump) or read (restore, verify, prune) */
  location: string | null;
  /** the manifest's URL (null when the command failed) */
  manifest: string | null;
  /** dump: the dump's key below the store's prefix, as the backend records it */
  key: string | null;
  bytes: number | null;
  sha256: string | null;
  /** the source server's version (from the manifest for restore, verify and prune) */
  serverVersion: string | null;
  pgDumpVersion: string | null;
  error: { code: AgentErrorCode; message: string } | null;
  /** restore --allow-errors: the pg_restore errors it went on past, by kind */
  errorsIgnored: ErrorSummary | null;
  /** The agent's own peak resident memory (not pg_dump's), for sizing runners. */
  peakRssBytes: number | null;
  /** The agent's own CPU time in seconds (pg_dump's not included). */
  cpuSeconds: number | null;
}

export type AgentEvent = StartEvent | ProgressEvent | ResultEvent;
