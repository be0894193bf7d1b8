/**
 * The Node object and its heartbeat, as a kubelet keeps them: the Node created once (NodeRestriction lets a node
 * create only itself), its status set through the status subresource, and its Lease in kube-node-lease renewed every
 * 10 s (the liveness signal a node-lifecycle controller would read; none runs here, so nothing would taint the node if
 * it stopped, but the Lease is kept as on a real node).
 */
import os from 'node:os';
import { HOST, k8sPorts } from '../config';
import { pinnedVersions } from '../kubernetes';
import { apiCode, KubeletApi, strategicMerge } from './client';
import { NODE_NAME } from './paths';

const LEASE_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
export const NODE_STATUS_MS = 60_000;

/** metav1.MicroTime wants exactly six fractional digits; Date has three. */
function microTime(d = new Date()): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

export async function registerNode(api: KubeletApi): Promise<void> {
  try {
    await api.core.createNode({
      body: {
        metadata: {
          name: NODE_NAME,
          labels: {
            'kubernetes.io/hostname': NODE_NAME,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch':
              process.arch === 'x64' ? 'amd64' : process.arch,
          },
        },
      },
    });
  } catch (e) {
    if (apiCode(e) !== 409) throw e;
  }
}

const transitions = new Date().toISOString();

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
) {
  return {
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: new Date().toISOString(),
    lastTransitionTime: transitions,
  };
}

export async function postNodeStatus(api: KubeletApi): Promise<void> {
  // big enough that no test pod is ever unschedulable for resources: nothing is enforced anyway
  const resources = {
    cpu: '64',
    memory: '256Gi',
    pods: '250',
    'ephemeral-storage': '1Ti',
  };
  const status = {
    conditions: [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
      ),
      condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
      ),
      condition(
        'Ready',
        'True',
        'KubeletReady',
        'the testbed process kubelet is posting ready status',
      ),
    ],
    addresses: [
      { type: 'InternalIP', address: HOST },
      { type: 'Hostname', address: NODE_NAME },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: k8sPorts().kubelet } },
    capacity: resources,
    allocatable: resources,
    nodeInfo: {
      machineID: 'backlot-testbed',
      systemUUID: 'backlot-testbed',
      bootID: 'backlot-testbed',
      kernelVersion: os.release(),
      osImage: `${os.type()} (the testbed's process kubelet: no container runtime)`,
      containerRuntimeVersion: 'process://testbed',
      kubeletVersion: pinnedVersions().kubernetes,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
  await api.core.patchNodeStatus(
    { name: NODE_NAME, body: { status } },
    strategicMerge,
  );
}

export async function renewLease(api: KubeletApi): Promise<void> {
  const namespace = 'kube-node-lease';
  const spec = {
    holderIdentity: NODE_NAME,
    leaseDurationSeconds: LEASE_SECONDS,
    // MicroTime is not in the client's type map: a string is sent as it is
    renewTime: microTime() as unknown as Date,
  };
  try {
    const lease = await api.coordination.readNamespacedLease({
      name: NODE_NAME,
      namespace,
    });
    await api.coordination.replaceNamespacedLease({
      name: NODE_NAME,
      namespace,
      body: {
        ...lease,
        spec: { ...lease.spec, ...spec },
      },
    });
  } catch (e) {
    if (apiCode(e) !== 404) throw e;
    const node = await api.core.readNode({ name: NODE_NAME });
    await api.coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: {
          name: NODE_NAME,
          namespace,
          // as a kubelet does: the Lease goes when the Node goes
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Node',
              name: NODE_NAME,
              uid: node.metadata!.uid!,
            },
          ],
        },
        spec,
      },
    });
  }
}
