/**
 * A pod's status as a kubelet reports it, computed from the states of its containers: the phase by the kubelet's
 * own rules (getPhase: Pending while any container waits, Failed when an init container failed under
 * restartPolicy Never, Succeeded or Failed when all containers ended), the four conditions a kubelet owns
 * (PodScheduled is the scheduler's and is left alone by the merge patch) and the container statuses.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { normalizeImage } from './images';

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; pid: number; startedAt: string }
  | {
      kind: 'terminated';
      exitCode: number;
      signal?: number;
      reason: string;
      message?: string;
      startedAt?: string;
      finishedAt: string;
      pid?: number;
    };

export interface PodState {
  init: ContainerState[];
  main: ContainerState[];
  /** volumes and the pod dir exist */
  sandboxReady: boolean;
  startTime: string;
  hostIP: string;
  /** set when the pod ends for a reason of the node's, e.g. the kubelet restarted under it */
  reason?: string;
  message?: string;
}

type Json = Record<string, any>;

const succeeded = (s: ContainerState) =>
  s.kind === 'terminated' && s.exitCode === 0;
const failed = (s: ContainerState) =>
  s.kind === 'terminated' && s.exitCode !== 0;

export function podPhase(pod: V1Pod, st: PodState): string {
  const never = (pod.spec?.restartPolicy ?? 'Always') === 'Never';
  if (!st.init.every(succeeded))
    return never && st.init.some(failed) ? 'Failed' : 'Pending';
  if (st.main.some(s => s.kind === 'waiting')) return 'Pending';
  if (st.main.some(s => s.kind === 'running')) return 'Running';
  return st.main.some(failed) ? 'Failed' : 'Succeeded';
}

function stateJson(s: ContainerState): Json {
  switch (s.kind) {
    case 'waiting':
      return {
        waiting: {
          reason: s.reason,
          ...(s.message ? { message: s.message } : {}),
        },
      };
    case 'running':
      return { running: { startedAt: s.startedAt } };
    default:
      return {
        terminated: {
          exitCode: s.exitCode,
          ...(s.signal ? { signal: s.signal } : {}),
          reason: s.reason,
          ...(s.message ? { message: s.message } : {}),
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
          finishedAt: s.finishedAt,
          ...(s.pid ? { containerID: `process://${s.pid}` } : {}),
        },
      };
  }
}

function containerStatuses(
  specs: Array<{ name: string; image?: string }>,
  states: ContainerState[],
): Json[] {
  return specs.map((c, i) => {
    const s = states[i];
    const pid =
      s.kind === 'running' || s.kind === 'terminated' ? s.pid : undefined;
    return {
      name: c.name,
      image: c.image ?? '',
      imageID:
        s.kind === 'waiting'
          ? ''
          : `process-kubelet://${normalizeImage(c.image ?? '')}`,
      ...(pid ? { containerID: `process://${pid}` } : {}),
      ready: s.kind === 'running',
      started: s.kind === 'running',
      restartCount: 0,
      state: stateJson(s),
      lastState: {},
    };
  });
}

function condition(
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): Json {
  return {
    type,
    status: ok ? 'True' : 'False',
    ...(ok ? {} : { reason, message }),
  };
}

function names(
  specs: Array<{ name: string }>,
  pick: (i: number) => boolean,
): string {
  return `[${specs
    .filter((_, i) => pick(i))
    .map(c => c.name)
    .join(' ')}]`;
}

/** The body of the status patch; lastTransitionTime is filled in by the caller, who knows the previous conditions. */
export function podStatus(pod: V1Pod, st: PodState): Json {
  const spec = pod.spec!;
  const inits = spec.initContainers ?? [];
  const phase = podPhase(pod, st);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const initialized = st.init.every(succeeded);
  const ready = !terminal && st.main.every(s => s.kind === 'running');
  const ip = [{ ip: st.hostIP }];
  return {
    phase,
    ...(st.reason ? { reason: st.reason, message: st.message } : {}),
    hostIP: st.hostIP,
    hostIPs: ip,
    podIP: st.hostIP,
    podIPs: ip,
    startTime: st.startTime,
    conditions: [
      condition('PodReadyToStartContainers', st.sandboxReady && !terminal),
      initialized
        ? {
            ...condition('Initialized', true),
            ...(terminal ? { reason: 'PodCompleted' } : {}),
          }
        : condition(
            'Initialized',
            false,
            'ContainersNotInitialized',
            `containers with incomplete status: ${names(
              inits,
              i => !succeeded(st.init[i]),
            )}`,
          ),
      ...['ContainersReady', 'Ready'].map(type =>
        terminal
          ? condition(type, false, 'PodCompleted')
          : condition(
              type,
              ready,
              'ContainersNotReady',
              `containers with unready status: ${names(
                spec.containers,
                i => st.main[i].kind !== 'running',
              )}`,
            ),
      ),
    ],
    initContainerStatuses: containerStatuses(inits, st.init),
    containerStatuses: containerStatuses(spec.containers, st.main),
  };
}
