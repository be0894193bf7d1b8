import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  KubeConfig,
  loadAllYaml,
  RbacAuthorizationV1Api,
  V1Role,
} from '@kubernetes/client-node';
import { mockServices } from '@backstage/backend-test-utils';
import { testbedUp, TestbedInfo } from '@backlot/testbed';
import { Run } from '@backlot/plugin-db-backups-common';
import { seededDatabase } from '../../__testUtils__/fixtures';
import {
  testbedRunnerConfig,
  testbedS3StorageConfig,
} from '../../__testUtils__/testbedConfig';
import { KubernetesRunner } from './KubernetesRunner';
import { kubeClientsOf, openKubeClients } from './kubeClient';

// The runner with exactly the Role that deploy/kubernetes/role.yaml ships, as a ServiceAccount of
// the testbed's real API server (RBAC authorization on): what a platform team grants is enough,
// and a verb taken away fails the run with a message naming the verb and the resource.

jest.setTimeout(300_000);

const ROLE_FILE = path.resolve(
  __dirname,
  '../../../../../deploy/kubernetes/role.yaml',
);

describe('KubernetesRunner with the shipped Role only', () => {
  let testbed: TestbedInfo;
  let source: Awaited<ReturnType<typeof seededDatabase>>;
  const admin = new KubeConfig();

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true, k8s: true });
    source = await seededDatabase(16, 'backlot_k8s_rbac');
    admin.loadFromFile(testbed.kubernetes!.kubeconfig);
  });

  /** A ServiceAccount bound to `rules` in the Job namespace, and API clients that act as it. */
  async function actingWith(rules: V1Role['rules']) {
    const namespace = testbed.kubernetes!.namespace;
    const name = `backlot-rbac-${randomUUID().slice(0, 8)}`;
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const { core } = openKubeClients({
      type: 'kubeconfig',
      kubeconfig: testbed.kubernetes!.kubeconfig,
    });
    await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name } },
    });
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name }, rules },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      // no audiences: the API server's own
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = admin.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name, token: token.status!.token }],
      contexts: [{ name, cluster: cluster.name, user: name }],
      currentContext: name,
    });
    return kubeClientsOf(kc);
  }

  function runner(clients: ReturnType<typeof kubeClientsOf>) {
    return new KubernetesRunner({
      // the cluster is reached through the clients given, as the ServiceAccount
      config: testbedRunnerConfig(testbed),
      storage: testbedS3StorageConfig(testbed, 'rbac'),
      roles: { include: true, passwords: false },
      logger: mockServices.logger.mock(),
      clients,
    });
  }

  const backup = (r: KubernetesRunner) =>
    r.backup({
      run: {
        id: randomUUID(),
        entityRef: 'resource:default/rbac-db',
        kind: 'backup',
      } as Run,
      connection: { name: 'pg16', ...source.connection },
      onStart: async () => {},
      onProgress: async () => {},
    });

  const shipped = (): V1Role =>
    loadAllYaml(fs.readFileSync(ROLE_FILE, 'utf8')).find(
      (o: any) => o.kind === 'Role',
    );

  it('backs up with the verbs of deploy/kubernetes/role.yaml and nothing more', async () => {
    const outcome = await backup(runner(await actingWith(shipped().rules)));
    expect(outcome).toMatchObject({ status: 'succeeded' });
  });

  it('names the verb and the resource when the Role lacks one', async () => {
    const withoutSecretCreate = shipped().rules!.map(rule =>
      rule.resources?.includes('secrets')
        ? { ...rule, verbs: rule.verbs.filter(v => v !== 'create') }
        : rule,
    );
    const outcome = await backup(runner(await actingWith(withoutSecretCreate)));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/cannot create resource "secrets"/);
    expect(outcome.error).toContain('HTTP 403');
    expect(outcome.error).toContain('deploy/kubernetes/role.yaml');
  });
});
