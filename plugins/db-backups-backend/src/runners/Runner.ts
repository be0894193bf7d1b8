import {
  Run,
  RunArtifact,
  RunErrorsIgnored,
  RunProgress,
} from '@backlot/plugin-db-backups-common';
import { ConnectionConfig } from '../config/DbBackupsConfig';

/** What the agent says as it starts: the versions it matched. */
export interface RunStartInfo {
  serverVersion?: string;
  pgDumpVersion?: string;
}

/** A Kubernetes Secret with the libpq fields (backlot.dev/connection-secret); only a Job's pod reads it. */
export interface ConnectionSecretRef {
  namespace: string;
  name: string;
}

/** Exactly one of `connection` and `connectionSecret` is set. */
export interface BackupRequest {
  run: Run;
  /** a connection of dbBackups.connections, held by the backend */
  connection?: ConnectionConfig;
  /** the entity's backlot.dev/connection-secret (kubernetes runner only) */
  connectionSecret?: ConnectionSecretRef;
  /** pg_dump compression from the entity or the config; absent = the agent's default. */
  compression?: string;
  onStart(info: RunStartInfo): Promise<void>;
  onProgress(progress: RunProgress): Promise<void>;
  /** fires when the run is cancelled: the runner stops the agent, which removes what it wrote */
  signal?: AbortSignal;
}

export interface BackupOutcome {
  status: 'succeeded' | 'failed';
  serverVersion?: string;
  pgDumpVersion?: string;
  bytes?: number;
  sha256?: string;
  artifact?: RunArtifact;
  /** What failed and what to do about it; set when status is failed. */
  error?: string;
  /** pg_restore errors the run succeeded past (restore --allow-errors) */
  errorsIgnored?: RunErrorsIgnored;
  /** the kubernetes runner: the run's Job(s), comma-separated when a second attempt ran */
  jobName?: string;
}

export interface VerifyRequest {
  run: Run;
  /** The backup's artifact to verify. */
  artifact: RunArtifact;
  /** Where to restore into a throw-away database; absent = checksum and listing only. */
  scratch?: ConnectionConfig;
  /** fires when the run is cancelled (see BackupRequest.signal) */
  signal?: AbortSignal;
}

/** Executes runs somewhere: on the backend host (local) or as Kubernetes Jobs (kubernetes). */
export interface Runner {
  readonly name: string;
  backup(request: BackupRequest): Promise<BackupOutcome>;
  verify(request: VerifyRequest): Promise<BackupOutcome>;
  /** Deletes a backup's artifact (manifest first); throws with the reason when it cannot. */
  prune(artifact: RunArtifact): Promise<void>;
}
