/**
 * deploy/kubernetes on the testbed's real API server (RBAC, PodSecurity admission): rendered with the testbed's
 * kubectl (`kubectl kustomize`, what `kubectl apply -k` applies), applied, then asked as the backend's
 * ServiceAccount what it may do.
 *
 * The objects go into a fresh namespace pair (backlot-jobs-e2e-<suffix>, backstage-e2e-<suffix>), every occurrence
 * of the two names rewritten, rather than as they are: the testbed owns its own `backlot-jobs` (labelled and used
 * by other tests, a namespace `down --purge` deletes), applying ours there would change its labels under them, and
 * a pair of our own can be deleted at the end without touching anything else.
 */
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  V1Pod,
  loadAllYaml,
} from '@kubernetes/client-node';
import { TestbedInfo, testbedUp } from './index';
import { AGENT_IMAGE, MANIFESTS_DIR, RUNNER_RULES } from './deploy';
import { kubectl } from './kubectl';
import { waitFor } from './__testUtils__/waitFor';

// Cold, testbedUp builds the control plane from Go modules (long: see the README); warm it answers in well under a second.
jest.setTimeout(60 * 60_000);

const suffix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
const JOBS_NS = `backlot-jobs-e2e-${suffix}`;
const BACKEND_NS = `backstage-e2e-${suffix}`;
const SA_USER = `system:serviceaccount:${BACKEND_NS}:backlot-backend`;
// what the API server's authenticator gives a ServiceAccount token besides its user name
const SA_GROUPS = [
  'system:serviceaccounts',
  `system:serviceaccounts:${BACKEND_NS}`,
  'system:authenticated',
];

/** Every string value equal to a name in `names` replaced by its new name, deeply. */
function renamed<T>(value: T, names: Record<string, string>): T {
  if (typeof value === 'string') return (names[value] ?? value) as T;
  if (Array.isArray(value)) return value.map(v => renamed(v, names)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renamed(v, names)]),
    ) as T;
  return value;
}

/** A pod that passes the restricted Pod Security Standard, as the runner's Jobs make them (agent image, 10001). */
function restrictedPod(name: string): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'agent',
          image: AGENT_IMAGE,
          args: ['check'],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

describe('deploy/kubernetes on the real API server', () => {
  let info: TestbedInfo;
  let kubeconfig: string;
  let core: CoreV1Api;
  let authz: AuthorizationV1Api;
  let rendered: KubernetesObject[];

  beforeAll(async () => {
    info = await testbedUp({ pg: [], clients: [], k8s: true });
    kubeconfig = info.kubernetes!.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    authz = kc.makeApiClient(AuthorizationV1Api);
    const objects = kc.makeApiClient(KubernetesObjectApi);

    rendered = loadAllYaml(
      (await kubectl(kubeconfig, ['kustomize', MANIFESTS_DIR])).stdout,
    );
    // the backend's namespace is where Backstage already runs: the folder does not create it (README)
    await core.createNamespace({ body: { metadata: { name: BACKEND_NS } } });
    for (const object of renamed(rendered, {
      'backlot-jobs': JOBS_NS,
      backstage: BACKEND_NS,
    }))
      await objects.create(object);
    // pods are admitted only once the service-account controller made the namespace's `default`
    await waitFor('the default ServiceAccount', () =>
      core.readNamespacedServiceAccount({
        namespace: JOBS_NS,
        name: 'default',
      }),
    );
  });

  afterAll(async () => {
    for (const name of [JOBS_NS, BACKEND_NS])
      await core?.deleteNamespace({ name }).catch(() => undefined);
  });

  it('kubectl kustomize renders the Namespace, the ServiceAccount, the Role and its binding', () => {
    expect(
      rendered.map(
        o => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`,
      ),
    ).toEqual([
      'Namespace//backlot-jobs',
      'ServiceAccount/backstage/backlot-backend',
      'Role/backlot-jobs/backlot-runner',
      'RoleBinding/backlot-jobs/backlot-runner',
    ]);
  });

  it('the Job namespace enforces, audits and warns at restricted', async () => {
    const ns = await core.readNamespace({ name: JOBS_NS });
    expect(ns.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  /** Whether the backend's ServiceAccount may: the API server's authorizer answers (SubjectAccessReview). */
  async function may(
    verb: string,
    group: string,
    resourceAndSub: string,
    namespace = JOBS_NS,
  ): Promise<boolean> {
    const [resource, subresource] = resourceAndSub.split('/');
    const review = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: SA_USER,
          groups: SA_GROUPS,
          resourceAttributes: {
            namespace,
            verb,
            group,
            resource,
            subresource,
          },
        },
      },
    });
    return review.status!.allowed;
  }

  const granted = RUNNER_RULES.flatMap(rule =>
    rule.verbs.map(verb => ({
      verb,
      group: rule.apiGroups[0],
      resource: rule.resources[0],
    })),
  );

  it.each(granted)(
    'the backend may $verb $resource ($group) in the Job namespace',
    async ({ verb, group, resource }) => {
      expect(await may(verb, group, resource)).toBe(true);
    },
  );

  const forbidden: [verb: string, group: string, resource: string][] = [
    ['create', '', 'pods'],
    ['delete', '', 'pods'],
    ['update', '', 'pods/status'],
    ['create', '', 'pods/exec'],
    ['get', '', 'pods/exec'],
    ['create', '', 'pods/attach'],
    ['create', '', 'pods/portforward'],
    ['create', '', 'pods/eviction'],
    ['list', '', 'secrets'],
    ['watch', '', 'secrets'],
    ['update', '', 'secrets'],
    ['patch', '', 'secrets'],
    ['update', 'batch', 'jobs'],
    ['patch', 'batch', 'jobs'],
    ['deletecollection', 'batch', 'jobs'],
    ['update', 'batch', 'jobs/status'],
    ['update', 'batch', 'jobs/finalizers'],
    ['create', 'batch', 'cronjobs'],
    ['get', '', 'configmaps'],
    ['watch', '', 'events'],
    ['create', '', 'events'],
    ['create', '', 'serviceaccounts/token'],
    ['get', '', 'serviceaccounts'],
    ['create', 'rbac.authorization.k8s.io', 'roles'],
    ['create', 'rbac.authorization.k8s.io', 'rolebindings'],
    ['escalate', 'rbac.authorization.k8s.io', 'roles'],
    ['impersonate', '', 'serviceaccounts'],
  ];

  it.each(forbidden)(
    'the backend may not %s %s/%s in the Job namespace',
    async (verb, group, resource) => {
      expect(await may(verb, group, resource)).toBe(false);
    },
  );

  it('the backend may do none of its verbs in any other namespace, nor cluster-wide', async () => {
    for (const namespace of [BACKEND_NS, 'default', 'kube-system', ''])
      for (const { verb, group, resource } of granted)
        expect([
          namespace,
          verb,
          resource,
          await may(verb, group, resource, namespace),
        ]).toEqual([namespace, verb, resource, false]);
  });

  it('real requests as the ServiceAccount (kubectl --as): its verbs pass, others are refused naming verb and resource', async () => {
    const as = ['--as', SA_USER, ...SA_GROUPS.flatMap(g => ['--as-group', g])];
    const ok = await kubectl(kubeconfig, [
      ...as,
      '-n',
      JOBS_NS,
      'get',
      'jobs,pods',
      '-o',
      'name',
    ]);
    expect(ok.code).toBe(0);
    // a Secret of the kind the runner makes, read back and deleted
    const secret = `conn-${suffix}`;
    await kubectl(kubeconfig, [
      ...as,
      '-n',
      JOBS_NS,
      'create',
      'secret',
      'generic',
      secret,
      '--from-literal=PGPASSWORD=x',
    ]);
    await kubectl(kubeconfig, [
      ...as,
      '-n',
      JOBS_NS,
      'get',
      'secret',
      secret,
      '-o',
      'name',
    ]);
    await kubectl(kubeconfig, [
      ...as,
      '-n',
      JOBS_NS,
      'delete',
      'secret',
      secret,
    ]);
    // a Job the way the runner creates one (server-side dry run: nothing is scheduled)
    const job = await kubectl(kubeconfig, [
      ...as,
      '-n',
      JOBS_NS,
      'create',
      'job',
      `job-${suffix}`,
      `--image=${AGENT_IMAGE}`,
      '--dry-run=server',
      '-o',
      'name',
    ]);
    expect(job.stdout.trim()).toBe(`job.batch/job-${suffix}`);

    const listSecrets = await kubectl(
      kubeconfig,
      [...as, '-n', JOBS_NS, 'get', 'secrets'],
      { check: false },
    );
    expect(listSecrets.code).not.toBe(0);
    expect(listSecrets.stderr).toContain(
      `User "${SA_USER}" cannot list resource "secrets" in API group "" in the namespace "${JOBS_NS}"`,
    );
    const elsewhere = await kubectl(
      kubeconfig,
      [...as, '-n', 'default', 'get', 'pods'],
      { check: false },
    );
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toContain(
      `User "${SA_USER}" cannot list resource "pods" in API group "" in the namespace "default"`,
    );
  });

  it('PodSecurity admits a restricted pod of the agent image (server-side dry run) and refuses a root one, saying why', async () => {
    const admitted = await core.createNamespacedPod({
      namespace: JOBS_NS,
      body: restrictedPod(`restricted-${suffix}`),
      dryRun: 'All',
    });
    expect(admitted.metadata?.namespace).toBe(JOBS_NS);

    const root: V1Pod = {
      metadata: { name: `root-${suffix}` },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'agent',
            image: AGENT_IMAGE,
            securityContext: { runAsUser: 0 },
          },
        ],
      },
    };
    const error = await core
      .createNamespacedPod({ namespace: JOBS_NS, body: root, dryRun: 'All' })
      .then(
        () => undefined,
        e => e,
      );
    expect(error).toBeInstanceOf(ApiException);
    expect(error.code).toBe(403);
    const message = JSON.parse(error.body).message as string;
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('runAsNonRoot != true');
    expect(message).toContain('runAsUser=0');
    expect(message).toContain('allowPrivilegeEscalation != false');
    expect(message).toContain('unrestricted capabilities');
    expect(message).toContain('seccompProfile');
  });
});
