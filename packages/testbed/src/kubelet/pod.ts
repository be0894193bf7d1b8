/**
 * (One file just over 300 lines: a pod's life is one state machine, read top to bottom.)
 * One pod's life on the node: volumes, then the init containers one after the other, then the containers, each a
 * local process; its status patched whenever it changes; on deletion SIGTERM, SIGKILL after the grace period, the
 * final status, then the deletion finalised. Ticks are serialised, and every tick starts from what is known, so the
 * kubelet's periodic sync doubles as the retry of whatever could not start yet (a Secret created later, say).
 */
import fs from 'node:fs';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { HOST } from '../config';
import { KubeletApi } from './client';
import {
  containerFiles,
  containerMounts,
  killLeftovers,
  processSpec,
  startContainer,
} from './container';
import { ConfigError, containerEnv } from './env';
import { ImageHost, resolveImage } from './images';
import { podDir } from './paths';
import { isTerminal, statesFromStatus, unknownEnd, waiting } from './podStates';
import { StatusPublisher } from './publisher';
import { ContainerState, PodState, podPhase } from './status';
import { prepareVolumes, VolumeError } from './volumes';

export class PodWorker {
  readonly uid: string;
  readonly dir: string;
  state: PodState;
  /** the deletion was finalised or the pod is gone: the kubelet drops this worker */
  finished = false;
  private volumes?: Record<string, string>;
  private readonly pids = new Map<string, number>();
  private readonly exits: Promise<unknown>[] = [];
  private pullFailed = new Set<string>();
  private readonly status: StatusPublisher;
  private queue: Promise<void> = Promise.resolve();
  private killing = false;
  private pending = false;

  constructor(
    public pod: V1Pod,
    private readonly api: KubeletApi,
    private readonly images: ImageHost,
    private readonly log: (message: string) => void,
  ) {
    this.uid = pod.metadata!.uid!;
    this.dir = podDir(this.uid);
    this.status = new StatusPublisher(api, m =>
      log(`pod ${this.name()}: ${m}`),
    );
    const spec = pod.spec!;
    const created = waiting('ContainerCreating');
    this.state = {
      init: (spec.initContainers ?? []).map(() => created),
      main: spec.containers.map(() => created),
      sandboxReady: false,
      startTime: new Date().toISOString(),
      hostIP: HOST,
    };
  }

  /**
   * A pod a previous kubelet process ran (the kubelet restarted): its state is taken from its status. If it had not
   * ended, its processes died with that kubelet (or are killed now), so it ends Failed rather than showing Running
   * forever; if it had ended, nothing changes and its logs are still served.
   */
  static adopt(
    pod: V1Pod,
    api: KubeletApi,
    images: ImageHost,
    log: (m: string) => void,
  ): PodWorker {
    const w = new PodWorker(pod, api, images, log);
    const orphan = !isTerminal(pod.status?.phase);
    if (orphan) killLeftovers(w.dir);
    const gone = 'the process kubelet restarted: the process is gone';
    w.state.init = statesFromStatus(
      pod.status?.initContainerStatuses,
      w.state.init.length,
      gone,
    );
    w.state.main = statesFromStatus(
      pod.status?.containerStatuses,
      w.state.main.length,
      gone,
    );
    w.state.sandboxReady = true;
    if (pod.status?.startTime)
      w.state.startTime = new Date(pod.status.startTime).toISOString();
    if (orphan) {
      w.state.reason = 'ProcessKubeletRestarted';
      w.state.message =
        "process kubelet restarted: the pod's processes are gone";
    } else {
      w.state.reason = pod.status?.reason;
      w.state.message = pod.status?.message;
      w.status.prime(pod, w.state);
    }
    return w;
  }

  /** The newest pod object from the API; runs a tick after the ones already queued. */
  update(pod: V1Pod): Promise<void> {
    this.pod = pod;
    // one tick waiting is enough: it reads this.pod when it runs
    if (!this.pending) {
      this.pending = true;
      this.queue = this.queue
        .then(() => {
          this.pending = false;
          return this.tick();
        })
        .catch(e => this.log(`pod ${this.name()}: ${e?.stack ?? e}`));
    }
    return this.queue;
  }

  /** The pod is no longer in the API: kill what runs and forget it. */
  forget(): void {
    this.killProcesses();
    this.finished = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  killProcesses(): void {
    for (const pid of this.pids.values()) this.signal(pid, 'SIGKILL');
  }

  name(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  /** The container's state by name, and whether it is an init container. */
  container(
    name: string,
  ): { spec: V1Container; state: ContainerState } | undefined {
    const spec = this.pod.spec!;
    const i = spec.containers.findIndex(c => c.name === name);
    if (i !== -1)
      return { spec: spec.containers[i], state: this.state.main[i] };
    const j = (spec.initContainers ?? []).findIndex(c => c.name === name);
    return j === -1
      ? undefined
      : { spec: spec.initContainers![j], state: this.state.init[j] };
  }

  private async tick(): Promise<void> {
    if (this.finished) return;
    if (this.pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    if (
      isTerminal(podPhase(this.pod, this.state)) ||
      (!this.volumes && !(await this.sandbox()))
    ) {
      await this.publish();
      return;
    }
    const spec = this.pod.spec!;
    const inits = spec.initContainers ?? [];
    const next = this.state.init.findIndex(
      s => !(s.kind === 'terminated' && s.exitCode === 0),
    );
    if (next !== -1) {
      this.state.main = this.state.main.map(() => waiting('PodInitializing'));
      if (this.state.init[next].kind === 'waiting')
        await this.tryStart(inits[next], this.state.init, next);
    } else {
      for (let i = 0; i < spec.containers.length; i++)
        if (this.state.main[i].kind === 'waiting')
          await this.tryStart(spec.containers[i], this.state.main, i);
    }
    await this.publish();
  }

  private async sandbox(): Promise<boolean> {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
      this.volumes = await prepareVolumes(this.pod, this.dir, this.api);
      this.state.sandboxReady = true;
      const init = this.pod.spec!.initContainers ?? [];
      this.state.init = init.map((_, i) =>
        i === 0 ? waiting('ContainerCreating') : waiting('PodInitializing'),
      );
      return true;
    } catch (e) {
      if (!(e instanceof VolumeError))
        this.log(`pod ${this.name()}: volumes: ${(e as Error).message}`);
      return false;
    }
  }

  private async tryStart(
    c: V1Container,
    states: ContainerState[],
    i: number,
  ): Promise<void> {
    const found = resolveImage(c.image ?? '', this.images);
    if ('error' in found) {
      const pull = `failed to pull and unpack image "${c.image}": ${found.error}`;
      states[i] = this.pullFailed.has(c.name)
        ? waiting(
            'ImagePullBackOff',
            `Back-off pulling image "${c.image}": ErrImagePull: ${pull}`,
          )
        : waiting('ErrImagePull', pull);
      this.pullFailed.add(c.name);
      return;
    }
    const files = containerFiles(this.dir, c.name);
    let spec;
    try {
      const env = await containerEnv(this.pod, c, this.api, this.state.hostIP);
      const mounts = containerMounts(c, this.volumes!, files);
      spec = processSpec({
        pod: this.pod,
        container: c,
        image: found.image,
        env,
        mounts,
        podDir: this.dir,
      });
    } catch (e) {
      // a Secret not found comes back as a ConfigError; the API refusing (403 before the node graph has the pod) too
      const message =
        e instanceof ConfigError
          ? e.message
          : `${(e as any)?.body ?? (e as Error).message}`;
      states[i] = waiting('CreateContainerConfigError', message);
      return;
    }
    if (!spec.argv.length) {
      states[i] = waiting('CreateContainerError', 'no command specified');
      return;
    }
    const started = startContainer(c, spec, files);
    this.log(
      `pod ${this.name()}: started ${c.name} (pid ${
        started.pid
      }): ${spec.argv.join(' ')}`,
    );
    states[i] = {
      kind: 'running',
      pid: started.pid,
      startedAt: started.startedAt,
    };
    this.pids.set(c.name, started.pid);
    this.exits.push(
      started.exited.then(exit => {
        this.pids.delete(c.name);
        states[i] = {
          kind: 'terminated',
          ...exit,
          startedAt: started.startedAt,
          pid: started.pid,
        };
        this.log(`pod ${this.name()}: ${c.name} exited with ${exit.exitCode}`);
        void this.update(this.pod);
      }),
    );
  }

  private signal(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  }

  private async terminate(): Promise<void> {
    if (!this.killing) {
      this.killing = true;
      const m = this.pod.metadata!;
      const grace =
        m.deletionGracePeriodSeconds ??
        this.pod.spec?.terminationGracePeriodSeconds ??
        30;
      this.log(
        `pod ${this.name()}: deleted; SIGTERM, SIGKILL after ${grace} s`,
      );
      for (const pid of this.pids.values()) this.signal(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        for (const pid of this.pids.values()) this.signal(pid, 'SIGKILL');
      }, grace * 1000);
      await Promise.all(this.exits);
      clearTimeout(timer);
      const ended =
        'The container could not be located when the pod was terminated';
      this.state.init = this.state.init.map(s => unknownEnd(s, ended));
      this.state.main = this.state.main.map(s => unknownEnd(s, ended));
    }
    // the exits queued ticks of their own; the first tick past this point finishes
    if (this.finished) return;
    await this.publish();
    await this.api.deletePod(this.pod);
    this.finished = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private publish(): Promise<void> {
    return this.status.publish(this.pod, this.state);
  }
}
