/**
 * Writes a pod's status only when it changed, keeping each condition's lastTransitionTime until that condition's
 * status changes (as the kubelet's status manager does); a failed write is tried again at the next change or sync.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KubeletApi } from './client';
import { PodState, podStatus } from './status';

type Json = Record<string, any>;

export class StatusPublisher {
  private published?: string;
  private readonly transitions = new Map<
    string,
    { status: string; time: string }
  >();

  constructor(
    private readonly api: KubeletApi,
    private readonly log: (message: string) => void,
  ) {}

  private render(pod: V1Pod, state: PodState): string {
    const status = podStatus(pod, state);
    const now = new Date().toISOString();
    for (const c of status.conditions as Json[]) {
      const prev = this.transitions.get(c.type);
      const time = prev && prev.status === c.status ? prev.time : now;
      this.transitions.set(c.type, { status: c.status, time });
      c.lastTransitionTime = time;
    }
    return JSON.stringify(status);
  }

  /** Takes `state` as already written (a pod adopted from a previous kubelet process). */
  prime(pod: V1Pod, state: PodState): void {
    this.published = this.render(pod, state);
  }

  async publish(pod: V1Pod, state: PodState): Promise<void> {
    const text = this.render(pod, state);
    if (text === this.published) return;
    try {
      await this.api.patchPodStatus(pod, JSON.parse(text));
      this.published = text;
    } catch (e) {
      this.log(`status: ${(e as any)?.body ?? (e as Error).message}`);
    }
  }
}
