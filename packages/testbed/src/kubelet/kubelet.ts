/**
 * The process kubelet's main loop (`testbed kubelet-serve`, started detached by `up --k8s`): registers the Node,
 * keeps its Lease and status fresh, serves logs, and runs the pods bound to it. Listing the node's pods every
 * SYNC_MS is the truth; a watch only wakes the loop early, since watches drop or go silent and are then re-made.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import { k8sPorts } from '../config';
import { kubeletApi, KubeletApi } from './client';
import { kubeletServingCert } from './certs';
import { hostImages } from './imageStore';
import { LogTarget, startLogServer } from './logServer';
import {
  LEASE_RENEW_MS,
  NODE_STATUS_MS,
  postNodeStatus,
  registerNode,
  renewLease,
} from './node';
import { NODE_NAME, podDir, podsDir, sourceStamp } from './paths';
import { PodWorker } from './pod';

const SYNC_MS = 2000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} [kubelet] ${message}\n`);
}

function errorText(e: unknown): string {
  return (e as any)?.body ?? (e as Error)?.message ?? String(e);
}

class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly images = hostImages();
  private firstSync = true;
  private wake?: () => void;
  registered = false;

  constructor(private readonly api: KubeletApi) {}

  /** A pod this process has not seen: new, or run by the kubelet process before this one (see PodWorker.adopt). */
  private workerFor(pod: V1Pod): PodWorker {
    const uid = pod.metadata!.uid!;
    const ranBefore =
      fs.existsSync(path.join(podDir(uid), 'containers')) ||
      [
        ...(pod.status?.containerStatuses ?? []),
        ...(pod.status?.initContainerStatuses ?? []),
      ].some(s => s.state?.running || s.state?.terminated);
    const terminal =
      pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    return ranBefore || terminal
      ? PodWorker.adopt(pod, this.api, this.images, log)
      : new PodWorker(pod, this.api, this.images, log);
  }

  async sync(): Promise<void> {
    const pods = await this.api.listPods();
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      seen.add(uid);
      let w = this.workers.get(uid);
      if (!w) {
        w = this.workerFor(pod);
        this.workers.set(uid, w);
      }
      void w.update(pod);
    }
    for (const [uid, w] of this.workers) {
      if (w.finished || !seen.has(uid)) {
        if (!w.finished) w.forget();
        this.workers.delete(uid);
      }
    }
    if (this.firstSync) {
      // folders of pods that no longer exist (deleted while no kubelet ran)
      for (const uid of fs.existsSync(podsDir())
        ? fs.readdirSync(podsDir())
        : [])
        if (!seen.has(uid))
          fs.rmSync(podDir(uid), { recursive: true, force: true });
      this.firstSync = false;
    }
  }

  async syncLoop(): Promise<never> {
    for (;;) {
      try {
        await this.sync();
      } catch (e) {
        log(`sync: ${errorText(e)}`);
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, SYNC_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Pod events only wake the sync loop; the watch is made again whenever it ends. */
  watch(): void {
    const again = () => setTimeout(() => this.watch(), 1000);
    new Watch(this.api.kubeConfig)
      .watch(
        '/api/v1/pods',
        { fieldSelector: `spec.nodeName=${NODE_NAME}` },
        () => this.wake?.(),
        err => {
          if (err) log(`watch ended: ${errorText(err)}`);
          again();
        },
      )
      .catch(e => {
        log(`watch: ${errorText(e)}`);
        again();
      });
  }

  /** Stopping the kubelet stops the pods' processes (children of this one) rather than leaving them unwatched. */
  killAll(): void {
    for (const w of this.workers.values()) w.killProcesses();
  }

  findLog(namespace: string, pod: string, container: string): LogTarget {
    const w = [...this.workers.values()].find(
      x =>
        x.pod.metadata?.namespace === namespace &&
        x.pod.metadata?.name === pod &&
        !x.finished,
    );
    if (!w)
      return {
        code: 404,
        message: `pod ${namespace}/${pod} not found on node ${NODE_NAME}`,
      };
    const c = w.container(container);
    if (!c)
      return {
        code: 400,
        message: `container ${container} is not valid for pod ${pod}`,
      };
    if (c.state.kind === 'waiting')
      return {
        code: 400,
        message: `container "${container}" in pod "${pod}" is waiting to start: ${c.state.reason}`,
      };
    return {
      file: `${w.dir}/containers/${container}/log`,
      running: () => w.container(container)?.state.kind === 'running',
    };
  }
}

async function every(
  ms: number,
  what: string,
  fn: () => Promise<void>,
): Promise<void> {
  for (;;) {
    await new Promise(r => setTimeout(r, ms));
    await fn().catch(e => log(`${what}: ${errorText(e)}`));
  }
}

/** The body of the detached kubelet process. */
export async function serveKubelet(): Promise<void> {
  const api = kubeletApi();
  const kubelet = new Kubelet(api);
  const started = sourceStamp();
  const serving = kubeletServingCert();
  await startLogServer({
    port: k8sPorts().kubelet,
    cert: fs.readFileSync(serving.cert),
    key: fs.readFileSync(serving.key),
    find: (ns, pod, container) => kubelet.findLog(ns, pod, container),
    health: () => ({
      ok: kubelet.registered,
      body: {
        node: NODE_NAME,
        registered: kubelet.registered,
        sources: started,
      },
    }),
  });
  for (;;) {
    try {
      await registerNode(api);
      await postNodeStatus(api);
      await renewLease(api);
      break;
    } catch (e) {
      log(`registering node ${NODE_NAME}: ${errorText(e)}`);
      await new Promise(r => setTimeout(r, 1000));
    }
  }
  kubelet.registered = true;
  log(`node ${NODE_NAME} registered; serving on port ${k8sPorts().kubelet}`);
  void every(LEASE_RENEW_MS, 'lease', () => renewLease(api));
  // a re-made Node (deleted by someone) is registered again
  void every(NODE_STATUS_MS, 'node status', async () => {
    await registerNode(api);
    await postNodeStatus(api);
  });
  kubelet.watch();
  void kubelet.syncLoop();
  const stop = () => {
    log('stopping');
    kubelet.killAll();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
