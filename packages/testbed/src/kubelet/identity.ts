/**
 * Which uid and gid a container's process runs as: the container's securityContext over the pod's, else the image's
 * USER (with the gid its /etc/passwd gives that user, else 0), and runAsNonRoot checked against the result with the
 * real kubelet's messages.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ConfigError } from './env';
import { Image } from './images';

export interface Identity {
  uid: number;
  gid: number;
}

/** `name_namespace(uid)`, as the kubelet's format.Pod writes a pod in messages. */
export function podRef(pod: V1Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name}_${m.namespace}(${m.uid})`;
}

export function identity(
  pod: V1Pod,
  container: V1Container,
  image: Image,
): Identity {
  const c = container.securityContext ?? {};
  const p = pod.spec?.securityContext ?? {};
  const explicit = c.runAsUser ?? p.runAsUser;
  const uid = explicit ?? image.user;
  const nonRoot = c.runAsNonRoot ?? p.runAsNonRoot;
  const where = `(pod: "${podRef(pod)}", container: ${container.name})`;
  if (nonRoot && uid === 0) {
    throw new ConfigError(
      explicit === undefined
        ? `container has runAsNonRoot and image will run as root ${where}`
        : `container's runAsUser breaks non-root policy ${where}`,
    );
  }
  const gid = c.runAsGroup ?? p.runAsGroup ?? image.passwd[uid] ?? 0;
  return { uid, gid };
}
