import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { s3Client, testbedUp, TestbedInfo } from '@backlot/testbed';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import {
  databaseEntity,
  seededDatabase,
  waitForRun,
} from './__testUtils__/fixtures';
import {
  testbedKubernetes,
  testbedLocalRunner,
  testbedS3Storage,
} from './__testUtils__/testbedConfig';
import { openKubeClients } from './runners/kubernetes/kubeClient';

// The backend with dbBackups.runner: kubernetes on the testbed's real control plane: a "Back up now"
// through the API runs as a Job, for a backend-held connection and for a team's connection Secret,
// and the run records the runner and its Job.

jest.setTimeout(300_000);

describe('db-backups backend with dbBackups.runner kubernetes', () => {
  let testbed: TestbedInfo;
  let server: Parameters<typeof request>[0];
  let stop: () => Promise<void>;
  const prefix = `k8s-backend-${randomUUID()}`;
  const secretName = `orders-conn-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true, k8s: true });
    const k8s = testbed.kubernetes!;
    const source = await seededDatabase(16, 'backlot_plugin_k8s');
    // the team's own Secret, in the Jobs' namespace: the backend never reads it
    const { core } = openKubeClients({
      type: 'kubeconfig',
      kubeconfig: k8s.kubeconfig,
    });
    await core.createNamespacedSecret({
      namespace: k8s.namespace,
      body: {
        metadata: { name: secretName },
        stringData: {
          host: source.connection.host,
          port: String(source.connection.port),
          user: source.connection.user,
          password: source.connection.password,
          dbname: source.connection.database,
        },
      },
    });
    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        catalogServiceMock.factory({
          entities: [
            databaseEntity('held-db', { 'backlot.dev/connection': 'pg16' }),
            databaseEntity('secret-db', {
              'backlot.dev/connection-secret': `${k8s.namespace}/${secretName}`,
            }),
            databaseEntity('local-db', {
              'backlot.dev/connection': 'pg16',
              'backlot.dev/runner': 'local',
            }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              runner: 'kubernetes',
              kubernetes: testbedKubernetes(testbed),
              connections: { pg16: source.connection },
              storage: testbedS3Storage(testbed, prefix),
              local: testbedLocalRunner(testbed),
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
  });

  async function backUp(name: string) {
    const res = await request(server)
      .post('/api/db-backups/runs')
      .send({ entityRef: `resource:default/${name}`, kind: 'backup' });
    expect(res.status).toBe(202);
    return waitForRun(server, res.body.id);
  }

  async function sha256Of(key: string) {
    const object = await s3Client(testbed.s3!).send(
      new GetObjectCommand({ Bucket: testbed.s3!.bucket, Key: key }),
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    return createHash('sha256').update(bytes).digest('hex');
  }

  it.each(['held-db', 'secret-db'])(
    'backs up %s as a Job, with the artifact the run records',
    async name => {
      const run = await backUp(name);
      expect(run).toMatchObject({ status: 'succeeded', runner: 'kubernetes' });
      expect(run.serverVersion).toMatch(/^16\./);
      expect(await sha256Of(run.artifact!.key)).toBe(run.sha256);
      const { batch } = openKubeClients({
        type: 'kubeconfig',
        kubeconfig: testbed.kubernetes!.kubeconfig,
      });
      const jobs = await batch.listNamespacedJob({
        namespace: testbed.kubernetes!.namespace,
        labelSelector: `backlot.dev/run-id=${run.id}`,
      });
      expect(jobs.items.map(j => j.metadata?.name)).toEqual([
        `backlot-${run.id}`,
      ]);
    },
  );

  it('runs an entity that chooses the local runner on the backend host', async () => {
    const run = await backUp('local-db');
    expect(run).toMatchObject({ status: 'succeeded', runner: 'local' });
  });
});
