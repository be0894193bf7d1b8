import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { Run } from '@backlot/plugin-db-backups-common';

/**
 * The run's status as an icon plus its name in plain text, so it reads without colour. A run that
 * succeeded past errors it was allowed to ignore never looks like a clean one.
 */
export function RunStatusLabel({
  run,
}: {
  run: Pick<Run, 'status' | 'errorsIgnored'>;
}) {
  const { status, errorsIgnored } = run;
  switch (status) {
    case 'succeeded':
      return errorsIgnored ? (
        <StatusWarning>
          succeeded with {errorsIgnored.total} error(s) ignored
        </StatusWarning>
      ) : (
        <StatusOK>succeeded</StatusOK>
      );
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
