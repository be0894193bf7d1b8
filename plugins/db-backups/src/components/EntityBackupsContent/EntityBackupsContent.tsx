import { useCallback, useEffect, useState } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  EntityBackupStatus,
  Run,
  TERMINAL_RUN_STATUSES,
} from '@backlot/plugin-db-backups-common';
import { dbBackupsApiRef } from '../../api';
import { BackupStatusCard } from './BackupStatusCard';
import { RunHistoryTable } from './RunHistoryTable';

const POLL_MS = 2000;

/** The Backups tab of a database entity. */
export function EntityBackupsContent() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(dbBackupsApiRef);
  const alertApi = useApi(alertApiRef);
  const [status, setStatus] = useState<EntityBackupStatus>();
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState<Error>();
  const [starting, setStarting] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const [s, page] = await Promise.all([
        api.getStatus(entityRef),
        api.listRuns(entityRef, { limit: 50 }),
      ]);
      setStatus(s);
      setRuns(page.items);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  }, [api, entityRef]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  // Poll while a run is in progress, so it moves to its end state without a reload.
  const active = runs.some(r => !TERMINAL_RUN_STATUSES.includes(r.status));
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [active, refresh]);

  const backUpNow = async () => {
    setStarting(true);
    try {
      await api.startBackup(entityRef);
      await refresh();
    } catch (e) {
      alertApi.post({
        message: `Could not start the backup: ${(e as Error).message}`,
        severity: 'error',
      });
    } finally {
      setStarting(false);
    }
  };

  if (error && !status) return <ResponseErrorPanel error={error} />;
  if (!status) return <Progress />;
  return (
    <>
      <BackupStatusCard
        status={status}
        onBackUpNow={backUpNow}
        starting={starting}
      />
      <div style={{ height: 24 }} />
      <RunHistoryTable runs={runs} />
    </>
  );
}
