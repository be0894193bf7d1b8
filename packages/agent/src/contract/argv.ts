// The agent's argv, built from typed options. The backend's local runner spawns the agent with
// these, and a Kubernetes runner puts the same list in a Job's container `args`: the flags are
// spelled here once. Connection secrets never go in argv (they show in `ps` and in a Job's spec):
// the database comes from the libpq environment (env.ts), and `sourceUrl`/`targetUrl`/`scratchUrl`
// are for URLs without a password.

export type AgentCommand = 'check' | 'dump' | 'restore' | 'verify' | 'prune';

/** Options every command that runs against an artifact shares. */
interface WithEvents {
  /** NDJSON events on stdout, ending with one result event (default true: a runner reads them) */
  events?: boolean;
}

export interface DumpRequest extends WithEvents {
  /** storage URL: file:///path/prefix or s3://bucket/prefix */
  to: string;
  /** `<namespace>/<name>` of the catalog entity (default: `default/<database name>`) */
  entity?: string;
  /** letters, digits and dashes (default: a new UUID) */
  runId?: string;
  /** postgresql:// URL of the database to dump (default: the libpq environment) */
  sourceUrl?: string;
  /** zstd[:N], lz4[:N], gzip[:N] or none (default: zstd:1 with pg_dump 16+, else gzip:1) */
  compress?: string;
  /** pg_dump --jobs; 2 or more write the directory format (default 1) */
  jobs?: number;
  /** store the cluster's roles beside the dump (default true) */
  globals?: boolean;
  /** keep the roles' password hashes (needs a superuser; default false) */
  rolePasswords?: boolean;
}

export interface RestoreRequest extends WithEvents {
  /** URL of the .dump */
  from: string;
  /** postgresql:// URL of the target database (default: the libpq environment) */
  targetUrl?: string;
  /** pg_restore --jobs (default 1: streams from S3 without a local copy) */
  jobs?: number;
  /** create the target database as the source's was */
  create?: boolean;
  /** create the backup's roles the target lacks, then restore owners and grants */
  roles?: boolean;
  /** accept pg_restore's "errors ignored on restore" */
  allowErrors?: boolean;
}

export interface VerifyRequest extends WithEvents {
  /** URL of the .dump */
  from: string;
  /** postgresql:// URL of a server for a throw-away database */
  scratchUrl?: string;
  /** restore into a throw-away database on the server of the libpq environment */
  scratch?: boolean;
}

export interface PruneRequest extends WithEvents {
  /** URL of the .dump */
  from: string;
}

export interface CheckRequest {
  /** storage URL to check for writing */
  to?: string;
  /** print JSON instead of lines */
  json?: boolean;
}

const flag = (name: string, on: boolean | undefined) => (on ? [name] : []);
const value = (name: string, v: string | number | undefined) =>
  v === undefined ? [] : [name, String(v)];
const events = (r: WithEvents) => flag('--events', r.events ?? true);

export function dumpArgs(r: DumpRequest): string[] {
  return [
    'dump',
    ...value('--to', r.to),
    ...value('--entity', r.entity),
    ...value('--run-id', r.runId),
    ...value('--source-url', r.sourceUrl),
    ...value('--compress', r.compress),
    ...value('--jobs', r.jobs),
    ...flag('--no-globals', r.globals === false),
    ...flag('--role-passwords', r.globals !== false && r.rolePasswords),
    ...events(r),
  ];
}

export function restoreArgs(r: RestoreRequest): string[] {
  return [
    'restore',
    ...value('--from', r.from),
    ...value('--target-url', r.targetUrl),
    ...value('--jobs', r.jobs),
    ...flag('--create', r.create),
    ...flag('--roles', r.roles),
    ...flag('--allow-errors', r.allowErrors),
    ...events(r),
  ];
}

export function verifyArgs(r: VerifyRequest): string[] {
  return [
    'verify',
    ...value('--from', r.from),
    ...value('--scratch-url', r.scratchUrl),
    ...flag('--scratch', r.scratch),
    ...events(r),
  ];
}

export function pruneArgs(r: PruneRequest): string[] {
  return ['prune', ...value('--from', r.from), ...events(r)];
}

export function checkArgs(r: CheckRequest = {}): string[] {
  return ['check', ...value('--to', r.to), ...flag('--json', r.json)];
}
