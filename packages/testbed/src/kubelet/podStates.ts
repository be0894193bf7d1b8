/** Container states that are not a process's own: not started yet, or ended for a reason of the node's. */
import { ContainerState } from './status';

type Json = Record<string, any>;

export const isTerminal = (phase?: string) =>
  phase === 'Succeeded' || phase === 'Failed';

export const waiting = (reason: string, message?: string): ContainerState => ({
  kind: 'waiting',
  reason,
  message,
});

/** What a runtime reports for a container it cannot account for when the pod ends (exit 137). */
export function unknownEnd(s: ContainerState, message: string): ContainerState {
  if (s.kind === 'terminated') return s;
  return {
    kind: 'terminated',
    exitCode: 137,
    reason: 'ContainerStatusUnknown',
    message,
    startedAt: s.kind === 'running' ? s.startedAt : undefined,
    finishedAt: new Date().toISOString(),
    pid: s.kind === 'running' ? s.pid : undefined,
  };
}

/**
 * The states a previous kubelet process reported (read back from the pod's status): a terminated container stays as
 * it ended, any other ends now with `gone` as its message, since its process did not outlive that kubelet.
 */
export function statesFromStatus(
  statuses: Json[] | undefined,
  n: number,
  gone: string,
): ContainerState[] {
  return Array.from({ length: n }, (_, i): ContainerState => {
    const iso = (d: unknown) =>
      d ? new Date(d as string).toISOString() : undefined;
    const pidOf = (id?: string) =>
      Number(/^process:\/\/(\d+)$/.exec(id ?? '')?.[1]) || undefined;
    const t = statuses?.[i]?.state?.terminated;
    if (!t) {
      const r = statuses?.[i]?.state?.running;
      const was: ContainerState = r
        ? {
            kind: 'running',
            pid: pidOf(statuses![i].containerID) ?? 0,
            startedAt: iso(r.startedAt)!,
          }
        : waiting('Unknown');
      return unknownEnd(was, gone);
    }
    const pid = pidOf(t.containerID);
    return {
      ...t,
      kind: 'terminated',
      startedAt: iso(t.startedAt),
      finishedAt: iso(t.finishedAt)!,
      pid,
    };
  });
}
