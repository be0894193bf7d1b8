import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { RunArtifact } from '@backlot/plugin-db-backups-common';
import { BackupOutcome, BackupRequest, Runner, VerifyRequest } from './Runner';
import { libpqEnv, runAgent } from './agentProcess';
import { StorageConfig } from '../config/storageConfig';

/** The embedded default: runs backlot-agent on the backend host. */
export class LocalRunner implements Runner {
  readonly name = 'local';

  constructor(
    private readonly options: {
      storage: StorageConfig;
      roles: { include: boolean; passwords: boolean };
      pgBinDirs: string[];
      searchSystemBinDirs: boolean;
      logger: LoggerService;
    },
  ) {}

  /** Where the agent finds pg_dump/pg_restore of the right major, and how it reaches the storage. */
  private agentEnv() {
    return {
      ...this.options.storage.env,
      BACKLOT_PG_BIN_DIRS: this.options.pgBinDirs.join(':'),
      BACKLOT_PG_SYSTEM_BINS: this.options.searchSystemBinDirs ? '1' : '0',
    };
  }

  async backup(request: BackupRequest): Promise<BackupOutcome> {
    const { run } = request;
    const { namespace, name } = parseEntityRef(run.entityRef);
    const logger = this.options.logger.child({
      runId: run.id,
      entityRef: run.entityRef,
    });
    const exit = await runAgent({
      args: [
        'dump',
        '--to',
        this.options.storage.url,
        '--entity',
        `${namespace}/${name}`,
        '--run-id',
        run.id,
        '--events',
        ...(request.compression ? ['--compress', request.compression] : []),
        ...(this.options.roles.include ? [] : ['--no-globals']),
        ...(this.options.roles.include && this.options.roles.passwords
          ? ['--role-passwords']
          : []),
      ],
      env: {
        ...libpqEnv(request.connection),
        ...this.agentEnv(),
      },
      logger,
      onEvent: async event => {
        if (event.type === 'start') {
          await request.onStart({
            serverVersion: event.serverVersion,
            pgDumpVersion: event.pgDumpVersion,
          });
        } else if (event.type === 'progress') {
          await request.onProgress({
            bytes: event.bytes,
            tablesDone: event.tablesDone,
            tablesTotal: event.tablesTotal,
          });
        }
      },
    });

    const result = exit.result;
    if (!result) {
      const how = exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
      return {
        status: 'failed',
        error: `backlot-agent ${how} before reporting a result: ${
          exit.stderrTail.trim().split('\n').slice(-3).join(' | ') ||
          'no output'
        }`,
      };
    }
    if (result.status !== 'succeeded' || exit.code !== 0) {
      return {
        status: 'failed',
        serverVersion: result.serverVersion ?? undefined,
        pgDumpVersion: result.pgDumpVersion ?? undefined,
        error:
          result.error?.message ??
          `backlot-agent exited with code ${exit.code} after reporting ${result.status}`,
      };
    }
    if (!result.key || !result.location || !result.sha256) {
      return {
        status: 'failed',
        error:
          'backlot-agent reported success without naming its artifact; the run is not counted as a backup',
      };
    }
    return {
      status: 'succeeded',
      serverVersion: result.serverVersion ?? undefined,
      pgDumpVersion: result.pgDumpVersion ?? undefined,
      bytes: result.bytes ?? undefined,
      sha256: result.sha256 ?? undefined,
      artifact: {
        store: this.options.storage.type,
        key: result.key,
        location: result.location,
      },
    };
  }

  async verify(request: VerifyRequest): Promise<BackupOutcome> {
    const { run, artifact, scratch } = request;
    const logger = this.options.logger.child({
      runId: run.id,
      entityRef: run.entityRef,
    });
    const exit = await runAgent({
      args: [
        'verify',
        '--from',
        artifact.location,
        '--events',
        ...(scratch ? ['--scratch'] : []),
      ],
      env: {
        ...(scratch ? libpqEnv({ ...scratch, database: 'postgres' }) : {}),
        ...this.agentEnv(),
      },
      logger,
      onEvent: async () => {},
    });
    const result = exit.result;
    if (!result || result.status !== 'succeeded' || exit.code !== 0) {
      return {
        status: 'failed',
        error:
          result?.error?.message ??
          `backlot-agent verify ${
            exit.signal
              ? `was killed by ${exit.signal}`
              : `exited with code ${exit.code}`
          }: ${exit.stderrTail.trim().split('\n').slice(-2).join(' | ')}`,
      };
    }
    return {
      status: 'succeeded',
      serverVersion: result.serverVersion ?? undefined,
      pgDumpVersion: result.pgDumpVersion ?? undefined,
      bytes: result.bytes ?? undefined,
      sha256: result.sha256 ?? undefined,
      artifact,
      errorsIgnored: result.errorsIgnored ?? undefined,
    };
  }

  async prune(artifact: RunArtifact): Promise<void> {
    const exit = await runAgent({
      args: ['prune', '--from', artifact.location],
      env: this.agentEnv(),
      logger: this.options.logger,
      onEvent: async () => {},
    });
    if (exit.code !== 0) {
      throw new Error(
        `backlot-agent prune of ${artifact.location} failed: ${
          exit.stderrTail.trim().split('\n').slice(-1)[0] ?? exit.code
        }`,
      );
    }
  }
}
