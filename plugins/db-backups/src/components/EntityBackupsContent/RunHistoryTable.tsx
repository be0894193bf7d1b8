import { Table, TableColumn } from '@backstage/core-components';
import { Run } from '@backlot/plugin-db-backups-common';
import {
  describeErrorsIgnored,
  formatBytes,
  formatDuration,
  formatTime,
} from './format';
import { RunStatusLabel } from './RunStatusLabel';

/** What went wrong, what the run went past, or which artifact it made. */
function details(run: Run): string {
  if (run.error) return run.error;
  if (run.errorsIgnored) return describeErrorsIgnored(run.errorsIgnored);
  return run.sha256 ? `sha256 ${run.sha256.slice(0, 12)}…` : '';
}

const columns: TableColumn<Run>[] = [
  { title: 'Status', render: run => <RunStatusLabel run={run} /> },
  {
    title: 'Started',
    render: run => formatTime(run.startedAt ?? run.queuedAt),
  },
  {
    title: 'Duration',
    render: run => formatDuration(run.startedAt, run.finishedAt),
  },
  {
    title: 'Size',
    render: run =>
      run.status === 'running' && run.progress
        ? `${formatBytes(run.progress.bytes)} so far${
            run.progress.tablesTotal
              ? `, tables ${run.progress.tablesDone ?? 0}/${
                  run.progress.tablesTotal
                }`
              : ''
          }`
        : formatBytes(run.bytes),
  },
  { title: 'Server', render: run => run.serverVersion ?? '—' },
  { title: 'pg_dump', render: run => run.pgDumpVersion ?? '—' },
  { title: 'Trigger', field: 'trigger' },
  { title: 'Details', render: details },
];

export function RunHistoryTable({ runs }: { runs: Run[] }) {
  return (
    <Table<Run>
      title="History"
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={runs}
      emptyContent={<div style={{ padding: 16 }}>No runs yet.</div>}
    />
  );
}
