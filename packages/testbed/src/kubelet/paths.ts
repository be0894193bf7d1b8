/** Where the process kubelet keeps its state, all under the control plane's dir so that `down --purge` removes it. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { k8sDir, PACKAGE_DIR } from '../config';

/** The one Node the testbed has. */
export const NODE_NAME = 'backlot-node';

export function kubeletDir(): string {
  return path.join(k8sDir(), 'kubelet');
}
export function imagesDir(): string {
  return path.join(kubeletDir(), 'images');
}
/** One folder per pod uid: volumes, logs, termination message files, the pids of its processes. */
export function podsDir(): string {
  return path.join(kubeletDir(), 'pods');
}
export function podDir(uid: string): string {
  return path.join(podsDir(), uid);
}
export function kubeletPidFile(): string {
  return path.join(k8sDir(), 'run', 'kubelet.pid');
}
export function kubeletLogFile(): string {
  return path.join(k8sDir(), 'log', 'kubelet.log');
}
export function kubeletKubeconfig(): string {
  return path.join(k8sDir(), 'kubelet.kubeconfig');
}

/**
 * A digest of the kubelet's sources: the running kubelet reports the one it started with, and `up` restarts it when
 * the sources changed since (the other components are restarted on a new build the same way). By content, not by
 * modification time, so that a touched file does not restart it and fail its pods; and the checkout, since the agent
 * image runs that checkout's agent (a kubelet of a deleted clone would run nothing).
 */
export function sourceStamp(): string {
  const hash = createHash('sha256');
  const dir = path.join(PACKAGE_DIR, 'src', 'kubelet');
  // the checkout too: the image table maps the agent image to this checkout's agent
  hash.update(PACKAGE_DIR);
  for (const f of fs.readdirSync(dir).sort())
    if (f.endsWith('.ts') && !f.endsWith('.test.ts'))
      hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  return hash.digest('hex').slice(0, 16);
}
