/**
 * The kubelet's view of the API, as the node it is: a client certificate for system:node:backlot-node in
 * system:nodes, so the Node authorizer and NodeRestriction decide what it may read and write, as for a real node
 * (Secrets and ConfigMaps only of pods bound to it, status only of its own pods and Node).
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1Pod,
} from '@kubernetes/client-node';
import { ConfigSource } from './env';
import { kubeletKubeconfig, NODE_NAME } from './paths';

type Json = Record<string, any>;

export interface KubeletApi extends ConfigSource {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  listPods(): Promise<V1Pod[]>;
  patchPodStatus(pod: V1Pod, status: Json): Promise<void>;
  /** finalises a deletion: grace period 0 with the pod's uid as precondition, as a kubelet does */
  deletePod(pod: V1Pod): Promise<void>;
}

export function apiCode(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

export const strategicMerge = setHeaderOptions(
  'Content-Type',
  PatchStrategy.StrategicMergePatch,
);

function decoded(
  data: Record<string, string> | undefined,
  base64: boolean,
): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {}))
    out[k] = Buffer.from(v, base64 ? 'base64' : 'utf8');
  return out;
}

async function orNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (apiCode(e) === 404) return undefined;
    throw e;
  }
}

export function kubeletApi(): KubeletApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeletKubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  return {
    kubeConfig: kc,
    core,
    coordination: kc.makeApiClient(CoordinationV1Api),
    async secret(namespace, name) {
      const s = await orNotFound(() =>
        core.readNamespacedSecret({ name, namespace }),
      );
      return s && { ...decoded(s.stringData, false), ...decoded(s.data, true) };
    },
    async configMap(namespace, name) {
      const c = await orNotFound(() =>
        core.readNamespacedConfigMap({ name, namespace }),
      );
      return c && { ...decoded(c.data, false), ...decoded(c.binaryData, true) };
    },
    async listPods() {
      // the Node authorizer lets a node list pods only with this selector
      const list = await core.listPodForAllNamespaces({
        fieldSelector: `spec.nodeName=${NODE_NAME}`,
      });
      return list.items;
    },
    async patchPodStatus(pod, status) {
      const m = pod.metadata!;
      await core.patchNamespacedPodStatus(
        {
          name: m.name!,
          namespace: m.namespace!,
          body: { metadata: { uid: m.uid }, status },
        },
        strategicMerge,
      );
    },
    async deletePod(pod) {
      const m = pod.metadata!;
      try {
        await core.deleteNamespacedPod({
          name: m.name!,
          namespace: m.namespace!,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: m.uid } },
        });
      } catch (e) {
        // gone already, or a new pod of the same name: nothing of ours to delete
        if (apiCode(e) !== 404 && apiCode(e) !== 409) throw e;
      }
    },
  };
}
