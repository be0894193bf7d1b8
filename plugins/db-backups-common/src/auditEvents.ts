/**
 * Event ids of the auditor events the db-backups backend writes, one per route: reads at severity
 * `low`, state changes at `medium`. Each event carries the entity ref or run id it is about in its
 * `meta`; a refused or failed request ends the event as failed, with the error.
 */

/** `GET /runs`: a database's run history was read (meta: `entityRef`). */
export const RUNS_LIST_AUDIT_EVENT = 'runs-list';
/** `GET /runs/:id`: one run was read (meta: `runId`). */
export const RUN_FETCH_AUDIT_EVENT = 'run-fetch';
/** `GET /entities/:namespace/:name/status`: a database's backup status was read (meta: `entityRef`). */
export const STATUS_FETCH_AUDIT_EVENT = 'status-fetch';
/** `POST /runs` with `kind: "backup"`: a backup was requested (meta: `entityRef`, `kind`; on success `runId`). */
export const BACKUP_START_AUDIT_EVENT = 'backup-start';
/** `POST /runs` with `kind: "verify"`: a verify was requested (meta: `entityRef`, `kind`; on success `runId`, `backupRunId`). */
export const VERIFY_START_AUDIT_EVENT = 'verify-start';
/** `POST /runs/:id/cancel`: a queued or running run was asked to stop (meta: `runId`). */
export const RUN_CANCEL_AUDIT_EVENT = 'db-backups-run-cancel';
