import { RunStatus } from '@backlot/plugin-db-backups-common';
import { ConflictError } from '@backstage/errors';

/**
 * The only place that knows which status may follow which:
 * queued -> running -> succeeded | failed | cancelled, and a queued run may fail or be cancelled
 * before it starts. Terminal states never change again.
 */
const ALLOWED: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** The statuses a run may be in for it to move to `to`. */
export function statusesLeadingTo(to: RunStatus): RunStatus[] {
  return (Object.keys(ALLOWED) as RunStatus[]).filter(from =>
    canTransition(from, to),
  );
}

export function assertTransition(id: string, from: RunStatus, to: RunStatus) {
  if (!canTransition(from, to)) {
    throw new ConflictError(`Run ${id} is ${from} and cannot become ${to}`);
  }
}
