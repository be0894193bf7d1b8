import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  Run,
  RunPage,
  RunProgress,
  RunStatus,
} from '@backlot/plugin-db-backups-common';
import { NewRun, RunPatch, RunStore } from './RunStore';
import { assertTransition, statusesLeadingTo } from '../runs/RunStateMachine';

const TABLE = 'db_backups_runs';

type RunRow = {
  id: string;
  kind: Run['kind'];
  entity_ref: string;
  target_ref: string | null;
  trigger: Run['trigger'];
  status: RunStatus;
  requested_by: string | null;
  runner: string;
  job_name: string | null;
  queued_at: number | string;
  scheduled_for: number | string | null;
  started_at: number | string | null;
  finished_at: number | string | null;
  heartbeat_at: number | string | null;
  server_version: string | null;
  pg_dump_version: string | null;
  bytes: number | string | null;
  sha256: string | null;
  artifact_store: 'filesystem' | 's3' | null;
  artifact_key: string | null;
  artifact_location: string | null;
  error: string | null;
  progress: string | null;
  pruned_at: number | string | null;
  errors_ignored: string | null;
  cancel_requested_at: number | string | null;
  cancelled_by: string | null;
};

// PostgreSQL returns bigint columns as strings; SQLite as numbers.
const num = (v: number | string | null) => (v === null ? null : Number(v));
const iso = (v: number | string | null) =>
  v === null ? null : new Date(Number(v)).toISOString();

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    kind: row.kind,
    entityRef: row.entity_ref,
    targetRef: row.target_ref,
    trigger: row.trigger,
    status: row.status,
    requestedBy: row.requested_by,
    runner: row.runner,
    queuedAt: iso(row.queued_at)!,
    scheduledFor: iso(row.scheduled_for),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    serverVersion: row.server_version,
    pgDumpVersion: row.pg_dump_version,
    bytes: num(row.bytes),
    sha256: row.sha256,
    artifact:
      row.artifact_store && row.artifact_key && row.artifact_location
        ? {
            store: row.artifact_store,
            key: row.artifact_key,
            location: row.artifact_location,
          }
        : null,
    error: row.error,
    progress: row.progress ? JSON.parse(row.progress) : null,
    prunedAt: iso(row.pruned_at),
    errorsIgnored: row.errors_ignored ? JSON.parse(row.errors_ignored) : null,
  };
}

function encodeCursor(row: { queued_at: number | string; id: string }) {
  return Buffer.from(`${Number(row.queued_at)}:${row.id}`).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { queuedAt: number; id: string } {
  const [queuedAt, id] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!id || !Number.isFinite(Number(queuedAt))) {
    throw new InputError('cursor is not one this API returned');
  }
  return { queuedAt: Number(queuedAt), id };
}

/**
 * Run history in the plugin's own database (SQLite or PostgreSQL) through Knex; made by
 * createDatabaseStores, which migrates the tables.
 */
export class DatabaseRunStore implements RunStore {
  constructor(private readonly db: Knex, private readonly now: () => number) {}

  async createRun(run: NewRun): Promise<Run | undefined> {
    const id = randomUUID();
    await this.db(TABLE)
      .insert({
        id,
        kind: run.kind,
        entity_ref: run.entityRef,
        target_ref: run.targetRef ?? null,
        trigger: run.trigger,
        status: 'queued',
        requested_by: run.requestedBy ?? null,
        runner: run.runner,
        queued_at: this.now(),
        scheduled_for: run.scheduledFor?.getTime() ?? null,
        heartbeat_at: this.now(),
      })
      .onConflict(['entity_ref', 'kind', 'scheduled_for'])
      .ignore();
    return this.getRun(id);
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = await this.db<RunRow>(TABLE).where({ id }).first();
    return row ? toRun(row) : undefined;
  }

  async listRuns(options: {
    entityRef: string;
    limit: number;
    cursor?: string;
  }): Promise<RunPage> {
    const query = this.db<RunRow>(TABLE)
      .where({ entity_ref: options.entityRef })
      .orderBy([
        { column: 'queued_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit + 1);
    if (options.cursor) {
      const { queuedAt, id } = decodeCursor(options.cursor);
      query.where(q =>
        q
          .where('queued_at', '<', queuedAt)
          .orWhere(q2 => q2.where('queued_at', queuedAt).where('id', '<', id)),
      );
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    return {
      items: page.map(toRun),
      nextCursor:
        rows.length > options.limit
          ? encodeCursor(page[page.length - 1])
          : undefined,
    };
  }

  async transition(id: string, to: RunStatus, patch: RunPatch = {}) {
    const now = this.now();
    const update: Partial<RunRow> = { status: to, heartbeat_at: now };
    if (to === 'running') update.started_at = now;
    if (to !== 'running') update.finished_at = now;
    if (patch.serverVersion !== undefined)
      update.server_version = patch.serverVersion;
    if (patch.pgDumpVersion !== undefined)
      update.pg_dump_version = patch.pgDumpVersion;
    if (patch.bytes !== undefined) update.bytes = patch.bytes;
    if (patch.sha256 !== undefined) update.sha256 = patch.sha256;
    if (patch.error !== undefined) update.error = patch.error;
    if (patch.jobName !== undefined) update.job_name = patch.jobName;
    if (patch.errorsIgnored !== undefined)
      update.errors_ignored = JSON.stringify(patch.errorsIgnored);
    if (patch.artifact) {
      update.artifact_store = patch.artifact.store;
      update.artifact_key = patch.artifact.key;
      update.artifact_location = patch.artifact.location;
    }
    // Compare-and-set on the status, so two writers can never both move the same run.
    const changed = await this.db(TABLE)
      .where({ id })
      .whereIn('status', statusesLeadingTo(to))
      .update(update);
    const run = await this.getRun(id);
    if (!run) {
      throw new NotFoundError(`No run ${id}`);
    }
    if (!changed) {
      assertTransition(id, run.status, to);
    }
    return run;
  }

  async recordProgress(id: string, progress: RunProgress) {
    await this.db(TABLE)
      .where({ id, status: 'running' })
      .update({ progress: JSON.stringify(progress), heartbeat_at: this.now() });
  }

  async recordVersions(
    id: string,
    versions: { serverVersion?: string; pgDumpVersion?: string },
  ) {
    await this.db(TABLE)
      .where({ id, status: 'running' })
      .update({
        server_version: versions.serverVersion ?? null,
        pg_dump_version: versions.pgDumpVersion ?? null,
        heartbeat_at: this.now(),
      });
  }

  async latestRun(
    entityRef: string,
    options: { status?: RunStatus; kind?: Run['kind'] } = {},
  ) {
    const query = this.db<RunRow>(TABLE)
      .where({ entity_ref: entityRef, kind: options.kind ?? 'backup' })
      .orderBy([
        { column: 'queued_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    if (options.status) query.where({ status: options.status });
    const row = await query;
    return row ? toRun(row) : undefined;
  }

  async listRetainedBackups(entityRef: string) {
    const rows = await this.db<RunRow>(TABLE)
      .where({ entity_ref: entityRef, kind: 'backup', status: 'succeeded' })
      .whereNull('pruned_at')
      .orderBy('finished_at', 'desc');
    return rows.map(toRun);
  }

  async markPruned(id: string) {
    await this.db(TABLE).where({ id }).update({ pruned_at: this.now() });
  }

  async touch(ids: string[]) {
    if (!ids.length) return;
    await this.db(TABLE)
      .whereIn('id', ids)
      .whereIn('status', ['queued', 'running'])
      .update({ heartbeat_at: this.now() });
  }

  async requestCancel(id: string, by: string) {
    const changed = await this.db(TABLE)
      .where({ id })
      .whereIn('status', ['queued', 'running'])
      .update({ cancel_requested_at: this.now(), cancelled_by: by });
    return changed > 0;
  }

  async listCancelRequested(ids: string[]) {
    if (!ids.length) return [];
    const rows = await this.db<RunRow>(TABLE)
      .whereIn('id', ids)
      .whereIn('status', ['queued', 'running'])
      .whereNotNull('cancel_requested_at')
      .select('id', 'cancelled_by');
    return rows.map(r => ({ id: r.id, by: r.cancelled_by ?? 'unknown' }));
  }

  async listStale(before: Date) {
    const rows = await this.db<RunRow>(TABLE)
      .whereIn('status', ['queued', 'running'])
      .where('heartbeat_at', '<', before.getTime());
    return rows.map(toRun);
  }
}
