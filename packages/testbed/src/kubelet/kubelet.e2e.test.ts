// One file over 300 lines: every scenario shares the one testbed set-up and the Job/pod helpers below, and each
// test is one behaviour of the kubelet a real node shows too.
import { PassThrough } from 'node:stream';
import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  V1Container,
  V1Job,
  V1Pod,
  V1PodSpec,
  Watch,
} from '@kubernetes/client-node';
import { k8sPorts } from '../config';
import { testbedUp } from '../index';
import { kubeletKubeconfig, NODE_NAME } from './paths';
import { waitFor } from '../__testUtils__/waitFor';

jest.setTimeout(10 * 60_000);

/** What the restricted Pod Security Standard asks of every container. */
function restricted(uid = 999, gid = uid) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function shell(
  name: string,
  script: string,
  extra: Partial<V1Container> = {},
): V1Container {
  return {
    name,
    image: 'backlot/testbed-shell:1',
    args: ['-c', script],
    securityContext: restricted(),
    ...extra,
  };
}

describe('the process kubelet', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let ns: string;
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const label = { 'backlot.test/run': suffix };

  beforeAll(async () => {
    const info = await testbedUp({ pg: [], k8s: true });
    kc = new KubeConfig();
    kc.loadFromFile(info.kubernetes!.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    ns = info.kubernetes!.namespace;
  });

  afterAll(async () => {
    const selector = `backlot.test/run=${suffix}`;
    await batch
      .deleteCollectionNamespacedJob({
        namespace: ns,
        labelSelector: selector,
        propagationPolicy: 'Background',
      })
      .catch(() => undefined);
    await core
      .deleteCollectionNamespacedPod({ namespace: ns, labelSelector: selector })
      .catch(() => undefined);
  });

  async function job(
    name: string,
    spec: Partial<V1PodSpec>,
    jobSpec: Partial<V1Job['spec']> = {},
  ): Promise<V1Job> {
    return batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: `${name}-${suffix}`, labels: label },
        spec: {
          backoffLimit: 0,
          ...jobSpec,
          template: {
            metadata: { labels: label },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              containers: [],
              ...spec,
            },
          },
        },
      },
    });
  }

  async function pod(name: string, spec: Partial<V1PodSpec>): Promise<V1Pod> {
    return core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: `${name}-${suffix}`, labels: label },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          containers: [],
          ...spec,
        },
      },
    });
  }

  const podOf = (j: V1Job) =>
    waitFor('the Job pod', async () => {
      const pods = await core.listNamespacedPod({
        namespace: ns,
        labelSelector: `batch.kubernetes.io/controller-uid=${j.metadata!.uid}`,
      });
      return pods.items[0];
    });

  const until = (
    p: V1Pod,
    what: string,
    test: (p: V1Pod) => boolean,
    timeoutMs = 60_000,
  ) =>
    waitFor(
      what,
      async () => {
        const now = await core.readNamespacedPod({
          name: p.metadata!.name!,
          namespace: ns,
        });
        return test(now) ? now : undefined;
      },
      timeoutMs,
    );

  const finished = (j: V1Job) =>
    waitFor('the Job to finish', async () => {
      const now = await batch.readNamespacedJobStatus({
        name: j.metadata!.name!,
        namespace: ns,
      });
      return now.status?.conditions?.find(
        c =>
          (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      )
        ? now
        : undefined;
    });

  const logOf = (
    p: V1Pod,
    opts: {
      tailLines?: number;
      timestamps?: boolean;
      limitBytes?: number;
    } = {},
  ) =>
    core.readNamespacedPodLog({
      name: p.metadata!.name!,
      namespace: ns,
      container: 'main',
      ...opts,
    });

  it('registers a Ready node with a Lease, authenticated as system:node:backlot-node (the Node authorizer applies)', async () => {
    const node = await core.readNode({ name: NODE_NAME });
    expect(node.spec?.taints ?? []).toEqual([]);
    expect(node.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe(
      'True',
    );
    expect(
      node.status?.conditions?.find(c => c.type === 'MemoryPressure')?.status,
    ).toBe('False');
    expect(node.status?.addresses).toContainEqual({
      type: 'InternalIP',
      address: '127.0.0.1',
    });
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.34.4');
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(
      k8sPorts().kubelet,
    );
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: NODE_NAME, namespace: 'kube-node-lease' });
    expect(lease.spec?.holderIdentity).toBe(NODE_NAME);
    expect(
      Date.now() - new Date(lease.spec!.renewTime as any).getTime(),
    ).toBeLessThan(30_000);

    // as the node: a Secret no pod on it refers to is out of reach, its own Node is not
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: `unrelated-${suffix}`, labels: label },
        stringData: { k: 'v' },
      },
    });
    const asNode = new KubeConfig();
    asNode.loadFromFile(kubeletKubeconfig());
    const nodeCore = asNode.makeApiClient(CoreV1Api);
    const denied = await nodeCore
      .readNamespacedSecret({ name: `unrelated-${suffix}`, namespace: ns })
      .catch(e => e);
    expect(denied.code).toBe(403);
    expect(JSON.parse(denied.body).message).toContain(
      `User "system:node:${NODE_NAME}" cannot get resource "secrets" in API group "" in the namespace "${ns}": no relationship found between node '${NODE_NAME}' and this object`,
    );
    expect((await nodeCore.readNode({ name: NODE_NAME })).metadata?.name).toBe(
      NODE_NAME,
    );
  });

  it('runs pg_dump --version from postgres:17 as uid 999 in a Job, with the output in the log API and the termination message read', async () => {
    const j = await job('pgdump', {
      containers: [
        {
          name: 'main',
          image: 'postgres:17',
          command: [
            'sh',
            '-c',
            'pg_dump --version; echo "all done" > /dev/termination-log',
          ],
          securityContext: restricted(),
        },
      ],
    });
    const done = await finished(j);
    expect(done.status?.succeeded).toBe(1);
    const p = await podOf(j);
    expect(p.status?.phase).toBe('Succeeded');
    expect(p.spec?.nodeName).toBe(NODE_NAME);
    expect(p.status?.podIP).toBe('127.0.0.1');
    const terminated = p.status!.containerStatuses![0].state!.terminated!;
    expect(terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      message: 'all done\n',
    });
    expect(terminated.containerID).toMatch(/^process:\/\/\d+$/);
    expect(await logOf(p)).toMatch(/^pg_dump \(PostgreSQL\) 17\.\d+\n$/);
  });

  it('runs backlot-agent --version from the agent image', async () => {
    const j = await job('agent', {
      containers: [
        {
          name: 'main',
          image: 'backlot/agent:0.1.0',
          args: ['--version'],
          securityContext: restricted(1000),
        },
      ],
    });
    expect((await finished(j)).status?.succeeded).toBe(1);
    expect(await logOf(await podOf(j))).toBe('0.1.0\n');
  });

  it('leaves an image it does not have in ErrImagePull, then ImagePullBackOff, Pending; deleting the pod finalises it', async () => {
    const p = await pod('noimage', {
      containers: [
        {
          name: 'main',
          image: `backlot/nope:${suffix}`,
          securityContext: restricted(),
        },
      ],
    });
    const pulled = await until(
      p,
      'ErrImagePull',
      x =>
        !!x.status?.containerStatuses?.[0]?.state?.waiting?.reason?.match(
          /ErrImagePull|ImagePullBackOff/,
        ),
    );
    expect(
      pulled.status?.containerStatuses?.[0].state?.waiting?.message,
    ).toContain(`backlot/nope:${suffix}`);
    const backoff = await until(
      p,
      'ImagePullBackOff',
      x =>
        x.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        'ImagePullBackOff',
    );
    expect(
      backoff.status?.containerStatuses?.[0].state?.waiting?.message,
    ).toMatch(new RegExp(`^Back-off pulling image "backlot/nope:${suffix}"`));
    expect(backoff.status?.phase).toBe('Pending');
    await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns });
    await waitFor('the pod to be gone', async () =>
      (
        await core.listNamespacedPod({
          namespace: ns,
          fieldSelector: `metadata.name=${p.metadata!.name}`,
        })
      ).items.length === 0
        ? true
        : undefined,
    );
  });

  it('waits in CreateContainerConfigError for a missing Secret or key, and starts once it is there, the value in the env', async () => {
    const secret = `db-${suffix}`;
    const j = await job('secret', {
      containers: [
        shell('main', 'echo "password=$PGPASSWORD"', {
          env: [
            {
              name: 'PGPASSWORD',
              valueFrom: { secretKeyRef: { name: secret, key: 'password' } },
            },
          ],
        }),
      ],
    });
    const p = await podOf(j);
    const waitingWith = async (message: string) => {
      const x = await until(
        p,
        message,
        y =>
          y.status?.containerStatuses?.[0]?.state?.waiting?.message === message,
      );
      expect(x.status?.containerStatuses?.[0].state?.waiting?.reason).toBe(
        'CreateContainerConfigError',
      );
      expect(x.status?.phase).toBe('Pending');
    };
    await waitingWith(`secret "${secret}" not found`);
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: secret, labels: label },
        stringData: { other: 'x' },
      },
    });
    await waitingWith(`couldn't find key password in Secret ${ns}/${secret}`);
    await core.replaceNamespacedSecret({
      name: secret,
      namespace: ns,
      body: {
        metadata: { name: secret, labels: label },
        stringData: { password: 'pa$$ word' },
      },
    });
    expect((await finished(j)).status?.succeeded).toBe(1);
    expect(await logOf(p)).toBe('password=pa$$ word\n');
  });

  it('fails the Job on a non-zero exit through podFailurePolicy FailJob, with the log tail as the termination message', async () => {
    const j = await job(
      'fails',
      {
        containers: [
          shell('main', 'echo first; echo "the reason" >&2; exit 3', {
            terminationMessagePolicy: 'FallbackToLogsOnError',
          }),
        ],
      },
      {
        backoffLimit: 3,
        podFailurePolicy: {
          rules: [
            {
              action: 'FailJob',
              onExitCodes: {
                containerName: 'main',
                operator: 'In',
                values: [3],
              },
            },
          ],
        },
      },
    );
    const done = await finished(j);
    expect(
      done.status?.conditions?.find(c => c.type === 'Failed'),
    ).toMatchObject({
      status: 'True',
      reason: 'PodFailurePolicy',
    });
    const p = await podOf(j);
    expect(p.status?.phase).toBe('Failed');
    expect(p.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
      message: 'first\nthe reason',
    });
  });

  it('runs init containers first, with emptyDir and configMap volumes at their mount paths and workingDir, as runAsUser/runAsGroup', async () => {
    const cm = `cfg-${suffix}`;
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: { name: cm, labels: label },
        data: { greeting: 'hello' },
      },
    });
    const j = await job('init', {
      securityContext: { runAsUser: 1000 },
      volumes: [
        { name: 'work', emptyDir: {} },
        {
          name: 'cfg',
          configMap: {
            name: cm,
            items: [{ key: 'greeting', path: 'g/greeting.txt' }],
          },
        },
      ],
      initContainers: [
        shell('first', 'echo from-init > /work/msg', {
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        }),
      ],
      containers: [
        shell(
          'main',
          'cat /work/msg; cat /etc/cfg/g/greeting.txt; echo; id -u; id -g; pwd; echo "$MSG"',
          {
            securityContext: { ...restricted(1001, 3000) },
            workingDir: '/work',
            env: [{ name: 'MSG', value: '/work/msg' }],
            volumeMounts: [
              { name: 'work', mountPath: '/work' },
              { name: 'cfg', mountPath: '/etc/cfg' },
            ],
          },
        ),
      ],
    });
    expect((await finished(j)).status?.succeeded).toBe(1);
    const p = await podOf(j);
    const lines = (await logOf(p)).trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['from-init', 'hello', '1001', '3000']);
    expect(lines[4]).toMatch(
      new RegExp(`/pods/${p.metadata!.uid}/volumes/work$`),
    );
    expect(lines[5]).toBe(`${lines[4]}/msg`);
    expect(p.status?.initContainerStatuses?.[0].state?.terminated?.reason).toBe(
      'Completed',
    );
    expect(await logOf(p, { tailLines: 2 })).toBe(`${lines[4]}\n${lines[5]}\n`);
    expect(await logOf(p, { limitBytes: 4 })).toBe('from');
    expect(await logOf(p, { timestamps: true, tailLines: 1 })).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z \//,
    );
  });

  it('fails the pod when an init container fails, without running the containers', async () => {
    const p = await pod('initfail', {
      initContainers: [shell('first', 'exit 4')],
      containers: [shell('main', 'echo should not run')],
    });
    const failed = await until(
      p,
      'phase Failed',
      x => x.status?.phase === 'Failed',
    );
    expect(
      failed.status?.initContainerStatuses?.[0].state?.terminated?.exitCode,
    ).toBe(4);
    expect(failed.status?.containerStatuses?.[0].state?.waiting?.reason).toBe(
      'PodInitializing',
    );
  });

  it('on deletion sends SIGTERM to the process group, then SIGKILL after the grace period, and finalises the deletion', async () => {
    const j = await job('term', {
      terminationGracePeriodSeconds: 2,
      containers: [
        shell(
          'main',
          `trap 'echo got-TERM; echo got-TERM > /dev/termination-log' TERM; echo started; while :; do sleep 0.2; done`,
        ),
      ],
    });
    const p = await podOf(j);
    await until(
      p,
      'running',
      x => !!x.status?.containerStatuses?.[0]?.state?.running,
    );
    await waitFor('the first line', async () =>
      (await logOf(p)).includes('started') ? true : undefined,
    );
    let last: V1Pod | undefined;
    let gone = false;
    const req = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { fieldSelector: `metadata.name=${p.metadata!.name}` },
      (type, obj: V1Pod) => {
        if (type === 'DELETED') gone = true;
        else last = obj;
      },
      () => undefined,
    );
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns });
    await waitFor('the pod to be gone', async () => (gone ? true : undefined));
    req.abort();
    const terminated = last!.status!.containerStatuses![0].state!.terminated!;
    expect(terminated).toMatchObject({
      exitCode: 137,
      signal: 9,
      reason: 'Error',
      message: 'got-TERM\n',
    });
    // finishedAt has second precision
    expect(new Date(terminated.finishedAt!).getTime()).toBeGreaterThanOrEqual(
      Math.floor(deletedAt / 1000) * 1000 + 1000,
    );
    expect(last!.status?.phase).toBe('Failed');
  });

  it("streams a running container's log through the API server with follow=true, ending when it exits", async () => {
    const j = await job('follow', {
      containers: [
        shell('main', 'for i in 1 2 3 4; do echo "line $i"; sleep 1; done'),
      ],
    });
    const p = await podOf(j);
    await until(
      p,
      'running',
      x => !!x.status?.containerStatuses?.[0]?.state?.running,
    );
    const chunks: Array<{ at: number; text: string }> = [];
    const out = new PassThrough();
    out.on('data', d => chunks.push({ at: Date.now(), text: d.toString() }));
    const ended = new Promise<number>(resolve =>
      out.on('end', () => resolve(Date.now())),
    );
    await new Log(kc).log(ns, p.metadata!.name!, 'main', out, { follow: true });
    const end = await ended;
    expect(chunks.map(c => c.text).join('')).toMatch(
      /line 1\n(.|\n)*line 4\n$/,
    );
    expect(end - chunks[0].at).toBeGreaterThan(1500);
    const finishedAt =
      (await finished(j)) &&
      (await core.readNamespacedPod({
        name: p.metadata!.name!,
        namespace: ns,
      }));
    expect(finishedAt.status?.phase).toBe('Succeeded');
  });
});
