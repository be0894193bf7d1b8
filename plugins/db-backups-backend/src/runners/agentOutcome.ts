import type { AgentCommand, ResultEvent } from '@backlot/agent';
import { describeExit } from '@backlot/agent';
import { RunArtifact } from '@backlot/plugin-db-backups-common';
import { AgentEvent, AgentExit } from './agentProcess';
import { BackupOutcome, BackupRequest } from './Runner';

// What every runner makes of an agent's run, wherever the agent ran (a child process, a Job).

/**
 * A finished agent as a run's outcome: the one place where the agent's `null` (unknown) becomes
 * the backend's absent field, and where an exit that is not a clean success becomes a failure
 * whose message says what happened.
 */
export function toOutcome(
  command: AgentCommand,
  exit: AgentExit,
): BackupOutcome & { result?: ResultEvent } {
  const { result } = exit;
  const described = describeExit({ command, ...exit });
  const known = {
    serverVersion: result?.serverVersion ?? undefined,
    pgDumpVersion: result?.pgDumpVersion ?? undefined,
  };
  if (!described.ok || !result) {
    return { status: 'failed', ...known, error: described.message };
  }
  return {
    status: 'succeeded',
    ...known,
    bytes: result.bytes ?? undefined,
    sha256: result.sha256 ?? undefined,
    errorsIgnored: result.errorsIgnored ?? undefined,
    result,
  };
}

/** A dump's outcome with its artifact; a "success" that names no artifact is not a backup. */
export function backupOutcome(
  { result, ...outcome }: ReturnType<typeof toOutcome>,
  store: RunArtifact['store'],
): BackupOutcome {
  if (outcome.status === 'failed') return outcome;
  if (!result?.key || !result.location || !result.sha256) {
    return {
      status: 'failed',
      error:
        'backlot-agent reported success without naming its artifact; the run is not counted as a backup',
    };
  }
  return {
    ...outcome,
    artifact: { store, key: result.key, location: result.location },
  };
}

/** A dump's start and progress events, handed to the run as they come. */
export function backupEvents(request: BackupRequest) {
  return async (event: AgentEvent) => {
    if (event.type === 'start') {
      const { serverVersion, pgDumpVersion } = event;
      await request.onStart({ serverVersion, pgDumpVersion });
    } else if (event.type === 'progress') {
      const { bytes, tablesDone, tablesTotal } = event;
      await request.onProgress({ bytes, tablesDone, tablesTotal });
    }
  };
}
