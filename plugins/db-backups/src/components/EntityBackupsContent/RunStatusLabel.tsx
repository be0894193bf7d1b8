import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { RunStatus } from '@backlot/plugin-db-backups-common';

/** The run's status as an icon plus its name in plain text, so it reads without colour. */
export function RunStatusLabel({ status }: { status: RunStatus }) {
  switch (status) {
    case 'succeeded':
      return <StatusOK>succeeded</StatusOK>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    case 'running':
      return <StatusRunning>running</StatusRunning>;
    case 'queued':
      return <StatusPending>queued</StatusPending>;
    default:
      return <StatusAborted>{status}</StatusAborted>;
  }
}
