import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { s3Client, testbedUp, TestbedInfo } from '@backlot/testbed';
import { Run } from '@backlot/plugin-db-backups-common';
import request from 'supertest';
import { dbBackupsPlugin } from './plugin';
import {
  databaseEntity,
  bigDatabase,
  waitForRun,
} from './__testUtils__/fixtures';
import {
  testbedKubernetes,
  testbedLocalRunner,
  testbedS3Storage,
} from './__testUtils__/testbedConfig';
import { agentJobName } from './runners/kubernetes/jobSpec';
import { isApiStatus, openKubeClients } from './runners/kubernetes/kubeClient';

// POST /runs/:id/cancel through the backend, for a run on the host and a run as a Job on the
// testbed's real control plane: the run ends cancelled, naming who cancelled it, the agent left
// nothing of the run in storage, and the Job is gone.

jest.setTimeout(300_000);

/** What mockServices' httpAuth makes of a request without credentials. */
const CANCELLER = 'user:default/mock';

describe('cancelling a running backup', () => {
  let testbed: TestbedInfo;
  let server: Parameters<typeof request>[0];
  let stop: () => Promise<void>;
  const prefix = `cancel-${randomUUID()}`;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16], s3: true, k8s: true });
    // big enough that its dump runs for several seconds: a run to cancel while it uploads
    // big enough (about 1.2 GB) that its dump is still running when the cancel comes, on a quiet
    // machine too: a dump that ends just before its cancel is another case (see the note on issue 13)
    const big = await bigDatabase(16, 'backlot_cancel_big', 600_000);
    const backend = await startTestBackend({
      features: [
        dbBackupsPlugin,
        catalogServiceMock.factory({
          entities: [
            databaseEntity('big-kubernetes', {
              'backlot.dev/connection': 'big',
            }),
            databaseEntity('big-local', {
              'backlot.dev/connection': 'big',
              'backlot.dev/runner': 'local',
            }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            dbBackups: {
              runner: 'kubernetes',
              kubernetes: testbedKubernetes(testbed),
              connections: { big: big.connection },
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

  /** Once the agent has started (it reported the versions it matched): the dump is under way. */
  async function waitForAgent(id: string): Promise<Run> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await request(server).get(`/api/db-backups/runs/${id}`);
      const run: Run = res.body;
      if (run.status !== 'queued' && run.status !== 'running') {
        throw new Error(
          `run ${id} ended before it could be cancelled: ${res.text}`,
        );
      }
      if (run.status === 'running' && run.serverVersion) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} never started`);
      await sleep(200);
    }
  }

  /** Every object and unfinished upload of the entity under the test's prefix. */
  async function storedOf(entity: string): Promise<string[]> {
    const s3 = s3Client(testbed.s3!);
    const Bucket = testbed.s3!.bucket;
    const Prefix = prefix;
    const objects = await s3.send(new ListObjectsV2Command({ Bucket, Prefix }));
    const uploads = await s3.send(
      new ListMultipartUploadsCommand({ Bucket, Prefix }),
    );
    return [
      ...(objects.Contents ?? []).map(o => o.Key!),
      ...(uploads.Uploads ?? []).map(u => `upload of ${u.Key}`),
    ].filter(key => key.includes(entity));
  }

  /** Polls `check` until it holds or `ms` passed; returns its last value. */
  async function eventually<T>(
    check: () => Promise<T>,
    ok: (value: T) => boolean,
    ms = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    let value = await check();
    while (!ok(value) && Date.now() < deadline) {
      await sleep(500);
      value = await check();
    }
    return value;
  }

  it.each(['local', 'kubernetes'])(
    'stops a %s run: it ends cancelled and nothing of it is kept',
    async runner => {
      const entity = `big-${runner}`;
      const started = await request(server)
        .post('/api/db-backups/runs')
        .send({ entityRef: `resource:default/${entity}`, kind: 'backup' });
      expect(started.status).toBe(202);
      const id: string = started.body.id;
      await waitForAgent(id);

      const cancelledAt = Date.now();
      const res = await request(server).post(
        `/api/db-backups/runs/${id}/cancel`,
      );
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id, runner });

      const run = await waitForRun(server, id, 60_000);
      expect(run.status).toBe('cancelled');
      expect(run.error).toBe(`cancelled by ${CANCELLER}`);
      expect(run.artifact).toBeNull();
      // the agent stops within its SIGTERM grace, not after the dump would have finished
      expect(Date.now() - cancelledAt).toBeLessThan(20_000);

      // the agent removes what it wrote as it stops (a Job's pod gets SIGTERM as the Job goes)
      expect(
        await eventually(
          () => storedOf(entity),
          k => !k.length,
        ),
      ).toEqual([]);

      const again = await request(server).post(
        `/api/db-backups/runs/${id}/cancel`,
      );
      expect(again.status).toBe(409);
      expect(again.body.error.message).toBe(`run ${id} already cancelled`);

      // a Job run's Job is gone as well (a local run has none: it answers as gone)
      const jobAnswer = async () => {
        if (runner !== 'kubernetes') return 404;
        const { batch } = openKubeClients({
          type: 'kubeconfig',
          kubeconfig: testbed.kubernetes!.kubeconfig,
        });
        const read = () =>
          batch
            .readNamespacedJob({
              name: agentJobName(id, 1, 'dump'),
              namespace: testbed.kubernetes!.namespace,
            })
            .then(
              () => 200,
              error => (isApiStatus(error, 404) ? 404 : 500),
            );
        return eventually(read, code => code === 404);
      };
      expect(await jobAnswer()).toBe(404);
    },
  );
});
