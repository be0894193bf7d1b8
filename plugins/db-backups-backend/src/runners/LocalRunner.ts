import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  clientsEnv,
  connectionEnv,
  dumpArgs,
  pruneArgs,
  verifyArgs,
} from '@backlot/agent';
import { Run, RunArtifact } from '@backlot/plugin-db-backups-common';
import { BackupOutcome, BackupRequest, Runner, VerifyRequest } from './Runner';
import { runAgent } from './agentProcess';
import { backupEvents, backupOutcome, toOutcome } from './agentOutcome';
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
      /** the agent's bin (default: @backlot/agent's); tests give a stand-in */
      agentBin?: string;
    },
  ) {}

  private run(options: Omit<Parameters<typeof runAgent>[0], 'agentBin'>) {
    return runAgent({ ...options, agentBin: this.options.agentBin });
  }

  /** Where the agent finds pg_dump/pg_restore of the right major, and how it reaches the storage. */
  private agentEnv() {
    return { ...this.options.storage.env, ...clientsEnv(this.options) };
  }

  private loggerFor(run: Run) {
    return this.options.logger.child({
      runId: run.id,
      entityRef: run.entityRef,
    });
  }

  async backup(request: BackupRequest): Promise<BackupOutcome> {
    const { run, connection } = request;
    if (!connection) {
      // DatabaseCatalog refuses a connection-secret for local runs; this is the last guard
      throw new Error(
        `the local runner needs a connection of dbBackups.connections; ${run.entityRef} has none (a connection-secret needs the kubernetes runner)`,
      );
    }
    const { namespace, name } = parseEntityRef(run.entityRef);
    const exit = await this.run({
      args: dumpArgs({
        to: this.options.storage.url,
        entity: `${namespace}/${name}`,
        runId: run.id,
        compress: request.compression,
        globals: this.options.roles.include,
        rolePasswords: this.options.roles.passwords,
      }),
      env: { ...connectionEnv(connection), ...this.agentEnv() },
      logger: this.loggerFor(run),
      onEvent: backupEvents(request),
      signal: request.signal,
    });
    return backupOutcome(toOutcome('dump', exit), this.options.storage.type);
  }

  async verify(request: VerifyRequest): Promise<BackupOutcome> {
    const { run, artifact, scratch } = request;
    const exit = await this.run({
      args: verifyArgs({ from: artifact.location, scratch: Boolean(scratch) }),
      env: {
        // the scratch server's connection; the agent makes its throw-away database there
        ...(scratch ? connectionEnv({ ...scratch, database: 'postgres' }) : {}),
        ...this.agentEnv(),
      },
      logger: this.loggerFor(run),
      onEvent: async () => {},
      signal: request.signal,
    });
    const { result, ...outcome } = toOutcome('verify', exit);
    return outcome.status === 'failed' ? outcome : { ...outcome, artifact };
  }

  async prune(artifact: RunArtifact): Promise<void> {
    const exit = await this.run({
      args: pruneArgs({ from: artifact.location }),
      env: this.agentEnv(),
      logger: this.options.logger,
      onEvent: async () => {},
    });
    const outcome = toOutcome('prune', exit);
    if (outcome.status === 'failed') {
      throw new Error(
        `backlot-agent prune of ${artifact.location} failed: ${outcome.error}`,
      );
    }
  }
}
