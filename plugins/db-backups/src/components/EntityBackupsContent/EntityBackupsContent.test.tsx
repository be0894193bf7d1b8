/**
 * The Backups tab against a fake DbBackupsApi: status card, history, Back up now and the alerts.
 * One file because the cases share the fake API and the render helper, and read as one tab's story.
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityBackupStatus,
  Run,
  RunPage,
} from '@backlot/plugin-db-backups-common';
import { DbBackupsApi, dbBackupsApiRef } from '../../api';
import { EntityBackupsContent } from './EntityBackupsContent';

const ENTITY_REF = 'resource:default/orders-db';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'orders-db', namespace: 'default' },
  spec: { type: 'database', owner: 'team-a' },
};

function run(overrides: Partial<Run>): Run {
  return {
    id: 'run',
    kind: 'backup',
    entityRef: ENTITY_REF,
    targetRef: null,
    trigger: 'schedule',
    status: 'succeeded',
    requestedBy: null,
    runner: 'agent-1',
    queuedAt: '2024-05-01T10:00:00.000Z',
    startedAt: '2024-05-01T10:00:01.000Z',
    finishedAt: '2024-05-01T10:00:13.000Z',
    scheduledFor: null,
    serverVersion: '16.2',
    pgDumpVersion: '16.3',
    bytes: null,
    sha256: null,
    artifact: null,
    error: null,
    progress: null,
    prunedAt: null,
    errorsIgnored: null,
    ...overrides,
  };
}

function status(
  overrides: Partial<EntityBackupStatus> = {},
): EntityBackupStatus {
  return {
    entityRef: ENTITY_REF,
    schedule: '*/30 * * * *',
    timezone: 'Europe/Berlin',
    nextRunAt: '2024-05-01T10:30:00.000Z',
    lastSuccess: null,
    lastRun: null,
    lastVerified: null,
    verifyRestores: true,
    problems: [],
    ...overrides,
  };
}

/** A fake backend whose answers the test changes by assigning `state`. */
function fakeApi(initial: { status: EntityBackupStatus; runs: Run[] }) {
  const state = { ...initial };
  const api = {
    getStatus: jest.fn(async (_ref: string) => state.status),
    listRuns: jest.fn(
      async (_ref: string, _options?: { limit?: number; cursor?: string }) =>
        ({ items: state.runs } as RunPage),
    ),
    getRun: jest.fn(async (id: string) => {
      const found = state.runs.find(r => r.id === id);
      if (!found) throw new Error(`no run ${id}`);
      return found;
    }),
    startBackup: jest.fn(async (_ref: string) => ({ id: 'new' })),
  };
  const typed: DbBackupsApi = api;
  return { api, typed, state };
}

function renderContent(api: DbBackupsApi) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <EntityBackupsContent />
    </EntityProvider>,
    { apis: [[dbBackupsApiRef, api], mockApis.alert()] },
  );
}

/** The data rows of the History table (material-table renders a <tbody> of rows). */
async function historyRows() {
  const title = await screen.findByText('History');
  const table = title.closest('div[class*="MuiPaper"]') as HTMLElement;
  return within(table)
    .getAllByRole('row')
    .filter(row => within(row).queryAllByRole('cell').length > 0);
}

describe('EntityBackupsContent', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shows the status card and the run history', async () => {
    const failed = run({
      id: 'r2',
      status: 'failed',
      queuedAt: '2024-05-01T10:30:00.000Z',
      startedAt: '2024-05-01T10:30:01.000Z',
      finishedAt: '2024-05-01T10:30:04.000Z',
      error: 'pg_dump: connection to server failed: password authentication',
    });
    const succeeded = run({
      id: 'r1',
      status: 'succeeded',
      bytes: 433044,
      sha256: 'abcdef0123456789abcdef',
      finishedAt: '2024-05-01T10:00:13.000Z',
    });
    const { api } = fakeApi({
      status: status({ lastRun: failed }),
      runs: [failed, succeeded],
    });

    renderContent(api);

    expect(await screen.findByText('never')).toBeInTheDocument();
    expect(screen.getByText('not verified yet')).toBeInTheDocument();
    expect(
      screen.getByText('*/30 * * * * (Europe/Berlin)'),
    ).toBeInTheDocument();
    expect(api.getStatus).toHaveBeenCalledWith(ENTITY_REF);
    expect(api.listRuns).toHaveBeenCalledWith(ENTITY_REF, { limit: 50 });

    const rows = await historyRows();
    expect(rows).toHaveLength(2);
    const [first, second] = rows;
    expect(within(first).getByText('failed')).toBeInTheDocument();
    expect(
      within(first).getByText(
        'pg_dump: connection to server failed: password authentication',
      ),
    ).toBeInTheDocument();
    expect(within(first).getByText('3 s')).toBeInTheDocument();
    expect(within(second).getByText('succeeded')).toBeInTheDocument();
    expect(within(second).getByText('433 kB')).toBeInTheDocument();
    expect(within(second).getByText('12 s')).toBeInTheDocument();
    expect(
      within(second).getByText('sha256 abcdef012345…'),
    ).toBeInTheDocument();

    // The card's "Last run" shows the failed run's status as text too.
    expect(screen.getAllByText('failed')).toHaveLength(2);
    expect(screen.getByRole('button', { name: 'Back up now' })).toBeEnabled();
  });

  it('never shows a run that succeeded past ignored errors as a clean one', async () => {
    const withErrors = run({
      id: 'r3',
      kind: 'restore',
      status: 'succeeded',
      errorsIgnored: {
        total: 84,
        kinds: [
          { kind: 'function … does not exist', count: 56, example: 'x' },
          {
            kind: 'incompatible library "…": version mismatch',
            count: 23,
            example: 'y',
          },
          {
            kind: 'compression method lz4 not supported',
            count: 5,
            example: 'z',
          },
        ],
      },
    });
    const { api } = fakeApi({
      status: status({ lastRun: withErrors }),
      runs: [withErrors],
    });

    renderContent(api);

    const [row] = await historyRows();
    expect(
      within(row).getByText('succeeded with 84 error(s) ignored'),
    ).toBeInTheDocument();
    expect(
      within(row).getByText(
        'ignored 84 error(s): 56 × function … does not exist, 23 × incompatible library "…": version mismatch, 5 × compression method lz4 not supported',
      ),
    ).toBeInTheDocument();
    expect(within(row).queryByText('succeeded')).not.toBeInTheDocument();
    // the card's "Last run" too
    expect(
      screen.getAllByText('succeeded with 84 error(s) ignored'),
    ).toHaveLength(2);
  });

  it('calls a verify a restore only when the backend restores into a scratch database', async () => {
    const verified = run({
      id: 'v1',
      kind: 'verify',
      status: 'succeeded',
      finishedAt: '2024-05-01T10:05:00.000Z',
    });
    const withScratch = fakeApi({
      status: status({ lastVerified: verified }),
      runs: [verified],
    });
    const { unmount } = await renderContent(withScratch.api);
    expect(
      await screen.findByText('Last Verified Restore'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/checksum and contents only/)).toBeNull();
    unmount();

    const checksumOnly = fakeApi({
      status: status({ lastVerified: verified, verifyRestores: false }),
      runs: [verified],
    });
    await renderContent(checksumOnly.api);
    expect(await screen.findByText('Last Verified Backup')).toBeInTheDocument();
    expect(screen.queryByText('Last Verified Restore')).toBeNull();
    expect(
      screen.getByText(
        /checksum and contents only: a test restore needs dbBackups\.verify\.scratchConnection/,
      ),
    ).toBeInTheDocument();
  });

  it('shows the last good backup with its size when there is one', async () => {
    const good = run({ id: 'r1', bytes: 2_500_000 });
    const { api } = fakeApi({
      status: status({ lastSuccess: good, lastRun: good }),
      runs: [good],
    });

    renderContent(api);

    expect(await screen.findByText(/, 2\.5 MB\)$/)).toBeInTheDocument();
    expect(screen.queryByText('never')).not.toBeInTheDocument();
  });

  it('shows annotation problems and disables "Back up now"', async () => {
    const { api } = fakeApi({
      status: status({
        schedule: null,
        nextRunAt: null,
        problems: [
          {
            annotation: 'backlot.dev/db-secret',
            message: 'names no secret the backend can read',
          },
        ],
      }),
      runs: [],
    });

    renderContent(api);

    expect(
      await screen.findByText(
        'Error: This database cannot be backed up until its annotations are fixed',
      ),
    ).toBeInTheDocument();
    const code = screen.getByText('backlot.dev/db-secret');
    expect(code.tagName).toBe('CODE');
    expect(code.closest('li')).toHaveTextContent(
      'backlot.dev/db-secret: names no secret the backend can read',
    );
    expect(screen.getByText('manual only')).toBeInTheDocument();
    expect(screen.getByText('No runs yet.')).toBeInTheDocument();

    const button = screen.getByRole('button', { name: 'Back up now' });
    expect(button).toBeDisabled();
    await userEvent.click(button);
    expect(api.startBackup).not.toHaveBeenCalled();
  });

  it('starts a backup, shows the queued run, and polls until it ends', async () => {
    jest.useFakeTimers();
    const { api, state } = fakeApi({ status: status(), runs: [] });
    const queued = run({
      id: 'new',
      trigger: 'manual',
      status: 'queued',
      startedAt: null,
      finishedAt: null,
      serverVersion: null,
      pgDumpVersion: null,
    });
    api.startBackup.mockImplementation(async () => {
      state.runs = [queued];
      state.status = status({ lastRun: queued });
      return { id: 'new' };
    });
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });

    renderContent(api);
    expect(await screen.findByText('No runs yet.')).toBeInTheDocument();
    // Nothing is in progress, so nothing polls.
    const callsBefore = api.listRuns.mock.calls.length;
    jest.advanceTimersByTime(10_000);
    expect(api.listRuns).toHaveBeenCalledTimes(callsBefore);

    await user.click(screen.getByRole('button', { name: 'Back up now' }));

    expect(api.startBackup).toHaveBeenCalledTimes(1);
    expect(api.startBackup).toHaveBeenCalledWith(ENTITY_REF);
    // startBackup resolves, then the content refreshes and shows the new run.
    // Once in the card's "Last run", once in the history.
    expect(await screen.findAllByText('queued')).toHaveLength(2);
    let rows = await historyRows();
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByText('queued')).toBeInTheDocument();
    expect(within(rows[0]).getByText('manual')).toBeInTheDocument();

    // The backend finishes the run; only the next 2 s poll picks it up.
    const done = run({
      id: 'new',
      trigger: 'manual',
      status: 'succeeded',
      bytes: 433044,
    });
    state.runs = [done];
    state.status = status({ lastRun: done, lastSuccess: done });
    const callsAtQueued = api.listRuns.mock.calls.length;
    await act(async () => {
      jest.advanceTimersByTime(1_900);
    });
    expect(api.listRuns).toHaveBeenCalledTimes(callsAtQueued);
    expect(screen.getAllByText('queued')).toHaveLength(2);

    await act(async () => {
      jest.advanceTimersByTime(100);
    });
    expect(api.listRuns).toHaveBeenCalledTimes(callsAtQueued + 1);
    expect(api.getStatus).toHaveBeenLastCalledWith(ENTITY_REF);
    rows = await historyRows();
    expect(within(rows[0]).getByText('succeeded')).toBeInTheDocument();
    expect(within(rows[0]).getByText('433 kB')).toBeInTheDocument();
    expect(screen.queryByText('queued')).not.toBeInTheDocument();

    // Once the run is terminal, polling stops.
    const callsAtDone = api.listRuns.mock.calls.length;
    jest.advanceTimersByTime(10_000);
    expect(api.listRuns).toHaveBeenCalledTimes(callsAtDone);
  });

  it('alerts when the backup cannot be started', async () => {
    const { api } = fakeApi({ status: status(), runs: [] });
    api.startBackup.mockRejectedValue(new Error('already running'));
    const alertApi = mockApis.alert();

    renderInTestApp(
      <EntityProvider entity={entity}>
        <EntityBackupsContent />
      </EntityProvider>,
      { apis: [[dbBackupsApiRef, api], alertApi] },
    );

    await userEvent.click(
      await screen.findByRole('button', { name: 'Back up now' }),
    );
    await waitFor(() =>
      expect(alertApi.getAlerts()).toEqual([
        expect.objectContaining({
          message: 'Could not start the backup: already running',
          severity: 'error',
        }),
      ]),
    );
    expect(screen.getByRole('button', { name: 'Back up now' })).toBeEnabled();
  });

  it('shows the error when the status cannot be loaded', async () => {
    const { api } = fakeApi({ status: status(), runs: [] });
    api.getStatus.mockRejectedValue(new Error('backend is down'));

    renderContent(api);

    expect(
      await screen.findByText('Error: backend is down', { selector: 'h6' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Back up now' }),
    ).not.toBeInTheDocument();
  });
});
