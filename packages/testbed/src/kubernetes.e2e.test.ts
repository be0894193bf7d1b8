import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  V1Job,
  V1Pod,
  VersionApi,
} from '@kubernetes/client-node';
import { TestbedInfo, testbedUp } from './index';
import { waitFor } from './__testUtils__/waitFor';

// Cold, testbedUp builds the control plane from Go modules (long: see the README); warm it answers in well under a second.
jest.setTimeout(60 * 60_000);

/** A container that passes the restricted Pod Security Standard. */
const restrictedContainer = {
  name: 'main',
  image: 'postgres:18',
  command: ['pg_dump', '--version'],
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 999,
    runAsGroup: 999,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

describe('the testbed Kubernetes control plane', () => {
  let info: TestbedInfo;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let ns: string;
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    info = await testbedUp({ pg: [], clients: [], k8s: true });
    kc = new KubeConfig();
    kc.loadFromFile(info.kubernetes!.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    ns = info.kubernetes!.namespace;
  });

  it('describes itself and answers a second call quickly with the same', async () => {
    expect(info.kubernetes).toEqual({
      kubeconfig: expect.stringMatching(/admin\.kubeconfig$/),
      server: `https://127.0.0.1:${info.ports.kubernetes}`,
      version: expect.stringMatching(/^v1\.34\.\d+$/),
      namespace: 'backlot-jobs',
    });
    const started = Date.now();
    const again = await testbedUp({ pg: [], clients: [], k8s: true });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(again.kubernetes).toEqual(info.kubernetes);
  });

  it('/version reports the pinned 1.34 release', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(info.kubernetes!.version);
    expect(version.major).toBe('1');
    expect(version.minor).toBe('34');
    expect(version.gitVersion).toMatch(/^v1\.34\.\d+$/);
  });

  it('labels the Job namespace for the restricted Pod Security Standard', async () => {
    const namespace = await core.readNamespace({ name: ns });
    expect(namespace.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('PodSecurity admission rejects a pod that violates the restricted profile, saying why', async () => {
    const pod: V1Pod = {
      metadata: { name: `privileged-${suffix}` },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'postgres:18',
            securityContext: { privileged: true },
          },
        ],
      },
    };
    const error = await core
      .createNamespacedPod({ namespace: ns, body: pod })
      .then(
        () => undefined,
        e => e,
      );
    expect(error).toBeInstanceOf(ApiException);
    expect(error.code).toBe(403);
    const body = JSON.parse(error.body);
    expect(body.reason).toBe('Forbidden');
    expect(body.message).toContain('violates PodSecurity "restricted:latest"');
    expect(body.message).toContain('privileged');
    expect(body.message).toContain('allowPrivilegeEscalation != false');
    expect(body.message).toContain('runAsNonRoot != true');
    expect(body.message).toContain('seccompProfile');
  });

  it('the Job controller creates the pod of a Job (Pending: its nodeSelector matches no node), and the garbage collector removes it with the Job', async () => {
    const name = `job-${suffix}`;
    const job: V1Job = {
      metadata: {
        name,
        labels: { 'app.kubernetes.io/managed-by': 'backlot-test' },
      },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            // the process kubelet's node would run it (kubelet/kubelet.e2e.test.ts): this pod is for the scheduler to refuse
            nodeSelector: { 'backlot.test/no-such-node': 'true' },
            containers: [restrictedContainer],
          },
        },
      },
    };
    const created = await batch.createNamespacedJob({
      namespace: ns,
      body: job,
    });
    const uid = created.metadata!.uid!;
    // real server-side defaulting and validation
    expect(created.spec?.completions).toBe(1);
    expect(
      created.spec?.template.metadata?.labels?.['batch.kubernetes.io/job-name'],
    ).toBe(name);

    const pod = await waitFor(
      'the Job controller to create a pod',
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: ns,
          labelSelector: `batch.kubernetes.io/controller-uid=${uid}`,
        });
        return pods.items[0];
      },
    );
    expect(pod.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Job', name, uid, controller: true }),
    ]);
    // the Job controller tracks its pods with a finalizer
    expect(pod.metadata?.finalizers).toContain(
      'batch.kubernetes.io/job-tracking',
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();

    const active = await waitFor(
      'the Job to count its pod as active',
      async () => {
        const j = await batch.readNamespacedJobStatus({ name, namespace: ns });
        return j.status?.active === 1 ? j : undefined;
      },
    );
    expect(active.status?.startTime).toBeDefined();

    // no node matches: the scheduler looks at it and finds nowhere to put it
    const unschedulable = await waitFor(
      'the scheduler to report the pod unschedulable',
      async () => {
        const p = await core.readNamespacedPod({
          name: pod.metadata!.name!,
          namespace: ns,
        });
        return p.status?.conditions?.find(
          c => c.type === 'PodScheduled' && c.status === 'False',
        );
      },
    );
    expect(unschedulable.reason).toBe('Unschedulable');

    await batch.deleteNamespacedJob({
      name,
      namespace: ns,
      body: { propagationPolicy: 'Background' },
    });
    await waitFor(
      'the garbage collector to delete the pod and the Job controller to release its finalizer',
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: ns,
          labelSelector: `batch.kubernetes.io/controller-uid=${uid}`,
        });
        return pods.items.length === 0 ? true : undefined;
      },
    );
    const gone = await batch.readNamespacedJob({ name, namespace: ns }).then(
      () => undefined,
      e => e,
    );
    expect(gone?.code).toBe(404);
  });
});
