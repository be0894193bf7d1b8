import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { ResultEvent } from '@backlot/agent';
import { AGENT_CONTAINER } from './jobSpec';

// What a Job and its pod say, read without side effects: the runner polls and acts on these.

/** A Job's final condition (Complete or Failed, status True), or undefined while it goes on. */
export function jobFinished(
  job: V1Job,
): { succeeded: boolean; reason?: string; message?: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return { succeeded: true };
    if (c.type === 'Failed')
      return { succeeded: false, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** Waiting reasons after which a pod never starts by itself: the run fails after the pending timeout. */
const CANNOT_START = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

export interface StartProblem {
  reason: string;
  /** what failed and what to fix, for the run's error */
  message: string;
}

/** Why a pending pod is not starting, in words that say what to fix; undefined if nothing is wrong yet. */
export function startProblem(pod: V1Pod): StartProblem | undefined {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (!waiting?.reason || !CANNOT_START.has(waiting.reason)) continue;
    const detail = waiting.message ?? '';
    if (waiting.reason === 'CreateContainerConfigError') {
      return {
        reason: waiting.reason,
        message: `the pod cannot start: ${detail}. Create the Secret (or add the key) in namespace ${pod.metadata?.namespace}; a backlot.dev/connection-secret needs the keys host, user and password (port, dbname, sslmode optional)`,
      };
    }
    return {
      reason: waiting.reason,
      message: `the pod cannot pull the image "${s.image}" (${waiting.reason}${
        detail ? `: ${detail}` : ''
      }). Check dbBackups.kubernetes.image / imagesByMajor and imagePullSecrets`,
    };
  }
  const scheduled = pod.status?.conditions?.find(
    c => c.type === 'PodScheduled',
  );
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      reason: 'Unschedulable',
      message: `no node can run the pod: ${scheduled.message}. Check dbBackups.kubernetes.nodeSelector, tolerations and resources`,
    };
  }
  return undefined;
}

/** How the agent container ended, with the result it left as its termination message. */
export interface AgentTermination {
  exitCode: number;
  signal?: number;
  reason?: string;
  /** the result event, when the agent wrote one */
  result?: ResultEvent;
  /** the termination message when it is not a result (the log's tail after a crash) */
  message?: string;
}

export function agentTermination(pod: V1Pod): AgentTermination | undefined {
  const status = pod.status?.containerStatuses?.find(
    s => s.name === AGENT_CONTAINER,
  );
  const terminated = status?.state?.terminated;
  if (!terminated) return undefined;
  let result: ResultEvent | undefined;
  try {
    const parsed = JSON.parse(terminated.message ?? '');
    if (parsed?.type === 'result') result = parsed;
  } catch {
    // not a result: the log's tail (FallbackToLogsOnError) or nothing
  }
  return {
    exitCode: terminated.exitCode,
    signal: terminated.signal,
    reason: terminated.reason,
    result,
    message: result ? undefined : terminated.message,
  };
}

/** The pod that counts: the newest one (a disrupted pod is replaced by another). */
export function currentPod(pods: V1Pod[]): V1Pod | undefined {
  const created = (pod: V1Pod) =>
    new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods].sort((a, b) => created(b) - created(a))[0];
}

export function isRunningOrDone(pod: V1Pod): boolean {
  return ['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '');
}
