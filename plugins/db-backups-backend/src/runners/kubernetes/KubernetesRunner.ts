import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  AgentCommand,
  connectionEnv,
  dumpArgs,
  EXIT_CODES,
  pruneArgs,
  SECRET_ENV_NAMES,
  verifyArgs,
} from '@backlot/agent';
import { Run, RunArtifact } from '@backlot/plugin-db-backups-common';
import { StorageConfig } from '../../config/storageConfig';
import { AgentEvent } from '../agentProcess';
import { backupEvents, backupOutcome, toOutcome } from '../agentOutcome';
import { BackupOutcome, BackupRequest, Runner, VerifyRequest } from '../Runner';
import { AgentJob, AgentJobOutcome } from './AgentJob';
import { KubeClients, openKubeClients } from './kubeClient';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';

/** Splits an agent environment into what may show in a Job spec and what goes into its Secret. */
export function splitSecretEnv(env: Record<string, string>) {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    (SECRET_ENV_NAMES.includes(name) ? secret : plain)[name] = value;
  }
  return { plain, secret };
}

/** The server's major from a version string such as "16.4" or "19beta1". */
function majorOf(version: string | null | undefined): number | undefined {
  const major = Number(/^(\d+)/.exec(version ?? '')?.[1]);
  return Number.isFinite(major) && major > 0 ? major : undefined;
}

/**
 * Runs every agent command as a Kubernetes Job (ADR 0004: one agent image with the pg clients
 * 14-18): the same argv and environment as the local runner, from the same contract builders;
 * secret values only in a Secret the Job owns, or in the team's own Secret by secretKeyRef.
 */
export class KubernetesRunner implements Runner {
  readonly name = 'kubernetes';
  private readonly clients: KubeClients;
  private readonly jobs: AgentJob;

  constructor(
    private readonly options: {
      config: KubernetesRunnerConfig;
      storage: StorageConfig;
      roles: { include: boolean; passwords: boolean };
      logger: LoggerService;
      /** tests hand in clients of their own cluster */
      clients?: KubeClients;
    },
  ) {
    this.clients = options.clients ?? openKubeClients(options.config.cluster);
    this.jobs = new AgentJob(this.clients, options.config, options.logger);
  }

  private async runJob(
    run: Run,
    attempt: number,
    command: AgentCommand,
    args: string[],
    env: Record<string, string>,
    extra: { image?: string; connectionSecret?: string } = {},
    onEvent: (event: AgentEvent) => Promise<void> = async () => {},
    signal?: AbortSignal,
  ): Promise<AgentJobOutcome> {
    const { plain, secret } = splitSecretEnv({
      ...this.options.storage.env,
      ...env,
    });
    try {
      return await this.jobs.run(
        {
          runId: run.id,
          attempt,
          command,
          entityRef: run.entityRef,
          args,
          env: plain,
          secretValues: secret,
          image: extra.image ?? this.options.config.image,
          connectionSecret: extra.connectionSecret,
        },
        onEvent,
        signal,
      );
    } catch (error) {
      return {
        jobName: '',
        failure: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** An attempt's outcome as a run's; `artifact` is filled in by the caller. */
  private outcomeOf(command: AgentCommand, attempt: AgentJobOutcome) {
    if (attempt.failure || !attempt.exit) {
      return {
        status: 'failed' as const,
        error: attempt.failure ?? 'the Job ended without an agent exit',
        result: undefined,
      };
    }
    return toOutcome(command, attempt.exit);
  }

  async backup(request: BackupRequest): Promise<BackupOutcome> {
    const { run } = request;
    const { namespace, name } = parseEntityRef(run.entityRef);
    const args = dumpArgs({
      to: this.options.storage.url,
      entity: `${namespace}/${name}`,
      runId: run.id,
      compress: request.compression,
      globals: this.options.roles.include,
      rolePasswords: this.options.roles.passwords,
    });
    const env = request.connection ? connectionEnv(request.connection) : {};
    const connectionSecret = request.connectionSecret?.name;
    const onEvent = backupEvents(request);

    const attempts: string[] = [];
    let attempt = await this.runJob(
      run,
      1,
      'dump',
      args,
      env,
      { connectionSecret },
      onEvent,
      request.signal,
    );
    attempts.push(attempt.jobName);
    // The image lacks the server's client: the agent said which major; one more Job with its image.
    const needed = majorOf(attempt.exit?.result?.serverVersion);
    if (
      attempt.exit?.code === EXIT_CODES.noClient &&
      needed &&
      this.options.config.imagesByMajor[needed] &&
      !request.signal?.aborted
    ) {
      this.options.logger.info(
        `run ${run.id}: the server is PostgreSQL ${needed}; starting a second Job with ${this.options.config.imagesByMajor[needed]}`,
      );
      attempt = await this.runJob(
        run,
        2,
        'dump',
        args,
        env,
        { connectionSecret, image: this.options.config.imagesByMajor[needed] },
        onEvent,
        request.signal,
      );
      attempts.push(attempt.jobName);
    }
    const jobName = attempts.filter(Boolean).join(',') || undefined;
    const outcome = backupOutcome(
      this.outcomeOf('dump', attempt),
      this.options.storage.type,
    );
    if (outcome.status === 'succeeded') return { ...outcome, jobName };
    const advice =
      attempt.exit?.code === EXIT_CODES.noClient && needed
        ? ` Add dbBackups.kubernetes.imagesByMajor.${needed}: an image with PostgreSQL ${needed}'s client.`
        : '';
    return { ...outcome, error: `${outcome.error}${advice}`, jobName };
  }

  async verify(request: VerifyRequest): Promise<BackupOutcome> {
    const { run, artifact, scratch } = request;
    const attempt = await this.runJob(
      run,
      1,
      'verify',
      verifyArgs({ from: artifact.location, scratch: Boolean(scratch) }),
      scratch ? connectionEnv({ ...scratch, database: 'postgres' }) : {},
      {},
      undefined,
      request.signal,
    );
    const { result, ...outcome } = this.outcomeOf('verify', attempt);
    return {
      ...outcome,
      jobName: attempt.jobName || undefined,
      ...(outcome.status === 'failed' ? {} : { artifact }),
    };
  }

  async prune(artifact: RunArtifact, backup?: Run): Promise<void> {
    // a prune has no run of its own: its Job is named after the backup whose artifact it removes
    const attempt = await this.runJob(
      {
        id: backup?.id ?? artifact.key.replace(/[^a-z0-9]/gi, '').slice(-36),
        entityRef: backup?.entityRef ?? 'resource:default/unknown',
      } as Run,
      1,
      'prune',
      pruneArgs({ from: artifact.location }),
      {},
    );
    const outcome = this.outcomeOf('prune', attempt);
    if (outcome.status === 'failed') {
      throw new Error(
        `backlot-agent prune of ${artifact.location} failed: ${outcome.error}`,
      );
    }
  }
}
