import {
  InfoCard,
  StructuredMetadataTable,
  WarningPanel,
} from '@backstage/core-components';
import { EntityBackupStatus } from '@backlot/plugin-db-backups-common';
import { Button } from '@backstage/ui';
import { formatAge, formatBytes, formatTime } from './format';
import { RunStatusLabel } from './RunStatusLabel';

export function BackupStatusCard(props: {
  status: EntityBackupStatus;
  onBackUpNow: () => void;
  starting: boolean;
}) {
  const { status, onBackUpNow, starting } = props;
  const { lastSuccess, lastRun, lastVerified, problems } = status;
  const metadata: Record<string, string | JSX.Element> = {
    'Last good backup': lastSuccess
      ? `${formatAge(lastSuccess.finishedAt)} (${formatTime(
          lastSuccess.finishedAt,
        )}, ${formatBytes(lastSuccess.bytes)})`
      : 'never',
    // A verify without a scratch database checks the checksum only: not a restore, and it says so.
    [status.verifyRestores ? 'Last verified restore' : 'Last verified backup']:
      lastVerified
        ? `${formatAge(lastVerified.finishedAt)} (${formatTime(
            lastVerified.finishedAt,
          )})${
            status.verifyRestores
              ? ''
              : '; checksum and contents only: a test restore needs dbBackups.verify.scratchConnection'
          }`
        : 'not verified yet',
    'Last run': lastRun ? <RunStatusLabel run={lastRun} /> : 'none yet',
    Schedule: status.schedule
      ? `${status.schedule} (${status.timezone})`
      : 'manual only',
    'Next run': status.nextRunAt
      ? `${formatTime(status.nextRunAt, status.timezone)} ${status.timezone}`
      : '—',
  };
  return (
    <InfoCard
      title="Backups"
      action={
        <Button
          variant="primary"
          onPress={onBackUpNow}
          isDisabled={starting || problems.length > 0}
          isPending={starting}
        >
          Back up now
        </Button>
      }
    >
      {problems.length > 0 && (
        <WarningPanel
          severity="error"
          title="This database cannot be backed up until its annotations are fixed"
          defaultExpanded
        >
          <ul>
            {problems.map(p => (
              <li key={p.annotation + p.message}>
                <code>{p.annotation}</code>: {p.message}
              </li>
            ))}
          </ul>
        </WarningPanel>
      )}
      <StructuredMetadataTable metadata={metadata} />
    </InfoCard>
  );
}
