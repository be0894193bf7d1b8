// One file over 300 lines: creating, watching, following and reading one Job share its name, its
// timers and its log cursor; split, the one poll loop that is the truth about a run would be in pieces.
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { durationToMilliseconds } from '@backstage/types';
import { EXIT_CODE_OF } from '@backlot/agent';
import type { AgentEvent, ResultEvent } from '@backlot/agent';
import { AgentExit } from '../agentProcess';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';
import {
  AGENT_CONTAINER,
  AgentJobRequest,
  agentJobName,
  buildAgentJob,
  buildJobSecret,
} from './jobSpec';
import {
  agentTermination,
  currentPod,
  isRunningOrDone,
  jobFinished,
  startProblem,
} from './jobState';
import { LogCursor } from './LogCursor';
import { describeApiError, isApiStatus, KubeClients } from './kubeClient';

/** How one attempt ended: the agent's exit as a local run would give it, or why no agent ran to the end. */
export interface AgentJobOutcome {
  jobName: string;
  exit?: AgentExit;
  /** the Job failed around the agent (it never started, its deadline passed): what and what to fix */
  failure?: string;
}

/** How often the Job and its pod are read: their status is the truth, a log stream only adds progress. */
const POLL_MS = 1000;
/** How long the log is waited for after the Job finished (its last progress); the outcome needs none of it. */
const LOG_DRAIN_MS = 5000;
/** How long a cancelled Job's agent is given to say its last words (past its grace period of 30 s). */
const CANCEL_DRAIN_MS = 40_000;
/** How long the API server may be unreachable mid-run (a restart, a failover) before the run fails. */
const UNREACHABLE_MS = 120_000;

/** What the agent's log said: events in order, the result, and a tail of its human lines. */
class AgentLog {
  result?: ResultEvent;
  tail = '';
  private pending = Promise.resolve();

  take(text: string, onEvent: (event: AgentEvent) => Promise<void>) {
    let event: AgentEvent | undefined;
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed.type === 'string') event = parsed;
    } catch {
      // a human line (the agent's stderr shares the container log)
    }
    if (!event) {
      this.tail = `${this.tail}${text}\n`.slice(-4000);
      return;
    }
    if (event.type === 'result') this.result = event;
    // in order: a slow database write never reorders progress
    this.pending = this.pending.then(() => onEvent(event!)).catch(() => {});
  }

  settled() {
    return this.pending;
  }
}

/**
 * One agent command as one Job: creates it (or adopts the one a previous backend process created
 * for the same run and attempt: the name is the run's), hands it its secret values in a Secret it
 * owns, follows its log for progress, and reads the outcome from the Job's conditions and the
 * agent container's termination message, so a run ends right even when no log line was read.
 */
export class AgentJob {
  constructor(
    private readonly clients: KubeClients,
    private readonly config: KubernetesRunnerConfig,
    private readonly logger: LoggerService,
  ) {}

  async run(
    request: Omit<AgentJobRequest, 'ownSecret'> & {
      secretValues: Record<string, string>;
    },
    onEvent: (event: AgentEvent) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<AgentJobOutcome> {
    const { namespace } = this.config;
    const jobName = agentJobName(
      request.runId,
      request.attempt,
      request.command,
    );
    const hasSecret = Object.keys(request.secretValues).length > 0;
    const job = await this.createOrAdopt(
      buildAgentJob(
        { ...request, ownSecret: hasSecret ? jobName : undefined },
        this.config,
      ),
    );
    if (hasSecret) {
      await this.clients.core
        .createNamespacedSecret({
          namespace,
          body: buildJobSecret(job, request.secretValues),
        })
        .catch(error => {
          if (!isApiStatus(error, 409))
            throw this.apiError(error, "create the Job's Secret");
        });
    }
    return this.await(job, onEvent, signal);
  }

  /**
   * A cancelled run's Job is deleted: its pod gets SIGTERM and the agent aborts its upload. An agent
   * that had committed its backup before the signal reached it says so last; that backup is
   * reported as made, so that the run deletes it (nothing of a cancelled run is kept).
   */
  private async cancel(
    jobName: string,
    log: AgentLog,
    following: Promise<void> | undefined,
  ): Promise<AgentJobOutcome> {
    await this.remove(jobName);
    if (following) await Promise.race([following, sleep(CANCEL_DRAIN_MS)]);
    if (log.result?.status === 'succeeded') {
      return {
        jobName,
        exit: {
          code: 0,
          signal: null,
          result: log.result,
          stderrTail: log.tail,
        },
      };
    }
    return {
      jobName,
      failure: `cancelled: the Job ${this.config.namespace}/${jobName} was deleted`,
    };
  }

  private apiError(error: unknown, doing: string): Error {
    return new Error(describeApiError(error, doing, this.clients.server));
  }

  private async createOrAdopt(body: V1Job): Promise<V1Job> {
    const { namespace } = this.config;
    try {
      return await this.clients.batch.createNamespacedJob({ namespace, body });
    } catch (error) {
      if (!isApiStatus(error, 409)) throw this.apiError(error, 'create a Job');
      const name = body.metadata!.name!;
      this.logger.info(
        `adopting Job ${namespace}/${name}, created earlier for this run`,
      );
      return this.clients.batch
        .readNamespacedJob({ name, namespace })
        .catch(e => {
          throw this.apiError(e, `read Job ${name}`);
        });
    }
  }

  /** The Job and its current pod. */
  private async read(jobName: string): Promise<[V1Job, V1Pod | undefined]> {
    const { namespace } = this.config;
    const [job, pods] = await Promise.all([
      this.clients.batch.readNamespacedJob({ name: jobName, namespace }),
      this.clients.core.listNamespacedPod({
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
      }),
    ]);
    return [job, currentPod(pods.items)];
  }

  /** Polls until the Job is finished or cannot start; follows the pod's log meanwhile. */
  private async await(
    created: V1Job,
    onEvent: (event: AgentEvent) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<AgentJobOutcome> {
    const { namespace } = this.config;
    const jobName = created.metadata!.name!;
    const since = new Date(created.metadata?.creationTimestamp ?? Date.now());
    const pendingMs = durationToMilliseconds(this.config.pendingTimeout);
    const log = new AgentLog();
    let following: Promise<void> | undefined;
    const state = { done: false };
    try {
      let unreachableSince: number | undefined;
      for (;;) {
        let job: V1Job;
        let pod: V1Pod | undefined;
        try {
          [job, pod] = await this.read(jobName);
          unreachableSince = undefined;
        } catch (error) {
          // the API server may be restarting: the Job runs on without us; give up only after a while
          if (signal?.aborted)
            return await this.cancel(jobName, log, following);
          unreachableSince ??= Date.now();
          if (Date.now() - unreachableSince > UNREACHABLE_MS) {
            throw this.apiError(error, `read Job ${namespace}/${jobName}`);
          }
          await sleep(POLL_MS);
          continue;
        }
        if (pod && isRunningOrDone(pod) && !following) {
          following = this.follow(pod, log, onEvent, () => state.done);
        }
        const end = jobFinished(job);
        if (end) {
          state.done = true;
          const outcome = await this.outcome(jobName, job, end, log, following);
          // a cancelled run leaves no Job behind, also one that finished before the cancel came
          if (signal?.aborted) await this.remove(jobName);
          return outcome;
        }
        // checked once a poll (a second), after a finished Job: a backup made before the cancel
        // is reported as made, so that the run can delete it
        if (signal?.aborted) return await this.cancel(jobName, log, following);
        if (!pod || !isRunningOrDone(pod)) {
          const problem = pod && startProblem(pod);
          if (Date.now() - since.getTime() > pendingMs) {
            await this.remove(jobName);
            return {
              jobName,
              failure: `${
                problem?.message ??
                `the Job's pod did not start within ${pendingMs / 1000} s`
              } (Job ${namespace}/${jobName}, removed; the pending timeout is dbBackups.kubernetes.pendingTimeout)`,
            };
          }
        }
        await sleep(POLL_MS);
      }
    } finally {
      state.done = true;
    }
  }

  private async outcome(
    jobName: string,
    job: V1Job,
    end: NonNullable<ReturnType<typeof jobFinished>>,
    log: AgentLog,
    following: Promise<void> | undefined,
  ): Promise<AgentJobOutcome> {
    const { namespace } = this.config;
    if (following) await Promise.race([following, sleep(LOG_DRAIN_MS)]);
    const [, pod] = await this.read(jobName);
    const termination = pod && agentTermination(pod);
    if (end.reason === 'DeadlineExceeded') {
      return {
        jobName,
        failure: `the Job ran longer than its deadline (dbBackups.kubernetes.activeDeadlineSeconds: ${job.spec?.activeDeadlineSeconds} s) and was stopped; nothing of this run was kept. Raise the deadline for a database this size`,
      };
    }
    if (!termination && log.result) {
      // the pod is gone (deleted, its node lost), but the agent's last words were read
      const code = log.result.error ? EXIT_CODE_OF[log.result.error.code] : 0;
      return {
        jobName,
        exit: { code, signal: null, result: log.result, stderrTail: log.tail },
      };
    }
    if (!termination) {
      const how = end.succeeded
        ? 'completed'
        : `failed (${end.reason}: ${end.message})`;
      return {
        jobName,
        failure: `the Job ${namespace}/${jobName} ${how}, and its pod is gone without the agent's exit status (deleted, evicted, or its node lost); no backup was made by this run`,
      };
    }
    return {
      jobName,
      exit: {
        code: termination.exitCode,
        signal: null,
        result: termination.result ?? log.result,
        stderrTail: log.tail || termination.message || '',
      },
    };
  }

  /** Follows the agent's log; a stream that ends while the container runs is resumed where it stood. */
  private async follow(
    pod: V1Pod,
    log: AgentLog,
    onEvent: (event: AgentEvent) => Promise<void>,
    stopped: () => boolean,
  ): Promise<void> {
    const { namespace } = this.config;
    const podName = pod.metadata!.name!;
    const cursor = new LogCursor();
    let passesAfterStop = 0;
    for (;;) {
      // A stream opened after the agent exited holds the rest of its log: the last one needed.
      const exited = await this.clients.core
        .readNamespacedPod({ name: podName, namespace })
        .then(
          current => Boolean(agentTermination(current)),
          () => true,
        );
      const stream = new PassThrough();
      const lines = createInterface({ input: stream });
      lines.on('line', line => {
        const { text, fresh } = cursor.accept(line);
        if (fresh) log.take(text, onEvent);
      });
      try {
        await this.clients.log.log(
          namespace,
          podName,
          AGENT_CONTAINER,
          stream,
          {
            follow: !exited,
            timestamps: true,
            sinceTime: cursor.sinceTime(),
          },
        );
        await finished(stream);
      } catch (error) {
        // cut, or the pod is gone: the pod's status says which, and the outcome needs no log
        this.logger.debug(`log stream of pod ${podName} ended: ${error}`);
      }
      await log.settled();
      if (exited) return;
      // after a cut: once the Job is over, the next pass reads the rest without following; a pod
      // that never reports its exit is given up on after a few passes
      if (stopped() && ++passesAfterStop > 3) return;
      await sleep(POLL_MS);
    }
  }

  /** Deletes the Job, its pods and (through the owner reference) its Secret. */
  async remove(jobName: string): Promise<void> {
    await this.clients.batch
      .deleteNamespacedJob({
        name: jobName,
        namespace: this.config.namespace,
        propagationPolicy: 'Background',
      })
      .catch(error => {
        if (!isApiStatus(error, 404)) {
          this.logger.warn(
            describeApiError(
              error,
              `delete Job ${jobName}`,
              this.clients.server,
            ),
          );
        }
      });
  }
}
