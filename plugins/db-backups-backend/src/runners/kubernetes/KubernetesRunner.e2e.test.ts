import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mockServices } from '@backstage/backend-test-utils';
import { s3Client, testbedUp, TestbedInfo } from '@backlot/testbed';
import { Run } from '@backlot/plugin-db-backups-common';
import { bigDatabase, seededDatabase } from '../../__testUtils__/fixtures';
import {
  testbedRunnerConfig,
  testbedS3StorageConfig,
} from '../../__testUtils__/testbedConfig';
import { KubernetesRunner } from './KubernetesRunner';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';
import { KubeClients, openKubeClients } from './kubeClient';
import { agentJobName } from './jobSpec';

// The kubernetes runner against the testbed's real control plane (API server, Job controller,
// PodSecurity `restricted` on the namespace) and its process kubelet, which runs the agent image as
// the agent bundle with the testbed's pg clients (packages/testbed/src/kubelet/README.md).

jest.setTimeout(300_000);

function runOf(entityRef: string): Run {
  return { id: randomUUID(), entityRef, kind: 'backup' } as Run;
}

describe('KubernetesRunner on a real control plane', () => {
  let testbed: TestbedInfo;
  let base: KubernetesRunnerConfig;
  let source: Awaited<ReturnType<typeof seededDatabase>>;
  let big: Awaited<ReturnType<typeof seededDatabase>>;
  const prefix = `k8s-${randomUUID()}`;

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [16, 18], s3: true, k8s: true });
    source = await seededDatabase(16, 'backlot_k8s_runner');
    // big enough that its dump runs for a few seconds: a pod to cut off or delete mid-dump
    big = await bigDatabase(16, 'backlot_k8s_big');
    base = testbedRunnerConfig(testbed, { podLabels: { team: 'platform' } });
  });

  function runner(
    config: Partial<KubernetesRunnerConfig> = {},
    clients?: KubeClients,
  ) {
    return new KubernetesRunner({
      config: { ...base, ...config },
      storage: testbedS3StorageConfig(testbed, `/${prefix}/`),
      roles: { include: true, passwords: false },
      logger: mockServices.logger.mock(),
      clients,
    });
  }

  const connection = () => ({ name: 'pg16', ...source.connection });
  const noEvents = { onStart: async () => {}, onProgress: async () => {} };

  it('backs up as a restricted Job: version-matched, secrets only in its own Secret, the artifact as recorded', async () => {
    const run = runOf('resource:default/k8s-db');
    const starts: unknown[] = [];
    const outcome = await runner().backup({
      run,
      connection: { name: 'pg16', ...source.connection },
      onStart: async info => void starts.push(info),
      onProgress: async () => {},
    });
    expect(outcome).toMatchObject({ status: 'succeeded' });
    // the testbed has no pg client 16: the nearest newer one, as the agent's rule says
    expect(outcome.serverVersion).toMatch(/^16\./);
    expect(outcome.pgDumpVersion).toMatch(/^17\./);
    expect(starts).toHaveLength(1); // the start event came through the followed log

    const object = await s3Client(testbed.s3!).send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: outcome.artifact!.key,
      }),
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      outcome.sha256,
    );

    const clients = openKubeClients(base.cluster);
    const name = agentJobName(run.id, 1);
    const job = await clients.batch.readNamespacedJob({
      name,
      namespace: base.namespace,
    });
    const pods = await clients.core.listNamespacedPod({
      namespace: base.namespace,
      labelSelector: `backlot.dev/run-id=${run.id}`,
    });
    const shown = JSON.stringify([job, pods.items]);
    for (const secret of [
      source.connection.password,
      testbed.s3!.secretAccessKey,
    ]) {
      expect(shown).not.toContain(secret);
    }
    expect(job.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'backlot',
      'backlot.dev/entity-name': 'k8s-db',
      team: 'platform',
    });
    const secret = await clients.core.readNamespacedSecret({
      name,
      namespace: base.namespace,
    });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      uid: job.metadata?.uid,
    });
    expect(Buffer.from(secret.data!.PGPASSWORD, 'base64').toString()).toBe(
      source.connection.password,
    );
  });

  it('verifies (with a scratch restore) and prunes a backup as Jobs of their own', async () => {
    const r = runner();
    const backedUp = await r.backup({
      run: runOf('resource:default/k8s-db'),
      connection: connection(),
      ...noEvents,
    });
    expect(backedUp.status).toBe('succeeded');
    const verifyRun = {
      ...runOf('resource:default/k8s-db'),
      kind: 'verify',
    } as Run;
    const verified = await r.verify({
      run: verifyRun,
      artifact: backedUp.artifact!,
      scratch: { name: 'scratch', ...source.connection },
    });
    expect(verified).toMatchObject({
      status: 'succeeded',
      artifact: backedUp.artifact,
    });
    expect(verified.jobName).toBe(agentJobName(verifyRun.id, 1));

    await r.prune(backedUp.artifact!, {
      ...runOf('resource:default/k8s-db'),
      id: randomUUID(),
    } as Run);
    await expect(
      s3Client(testbed.s3!).send(
        new HeadObjectCommand({
          Bucket: testbed.s3!.bucket,
          Key: backedUp.artifact!.key,
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('fails a run whose image cannot be pulled, after the pending timeout, naming the image, and removes the Job', async () => {
    const run = runOf('resource:default/k8s-db');
    const outcome = await runner({
      image: 'registry.invalid/backlot/agent:missing',
      pendingTimeout: { seconds: 4 },
    }).backup({
      run,
      connection: { name: 'pg16', ...source.connection },
      onStart: async () => {},
      onProgress: async () => {},
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/registry\.invalid\/backlot\/agent:missing/);
    expect(outcome.error).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(outcome.error).toContain('dbBackups.kubernetes.image');
    const clients = openKubeClients(base.cluster);
    await expect(
      clients.batch.readNamespacedJob({
        name: agentJobName(run.id, 1),
        namespace: base.namespace,
      }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('fails a run whose connection Secret lacks a key, saying which', async () => {
    const clients = openKubeClients(base.cluster);
    const secretName = `conn-${randomUUID().slice(0, 8)}`;
    await clients.core.createNamespacedSecret({
      namespace: base.namespace,
      body: {
        metadata: { name: secretName },
        stringData: {
          host: source.connection.host,
          user: source.connection.user,
        },
      },
    });
    const outcome = await runner({ pendingTimeout: { seconds: 4 } }).backup({
      run: runOf('resource:default/k8s-db'),
      connectionSecret: { namespace: base.namespace, name: secretName },
      onStart: async () => {},
      onProgress: async () => {},
    } as any);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/password/);
    expect(outcome.error).toContain(secretName);
  });

  it('ends a Job past its deadline in a failed run that says so', async () => {
    // a server that accepts the connection and never answers: the agent waits until the deadline
    const silent = net.createServer(() => {});
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const outcome = await runner({ activeDeadlineSeconds: 3 }).backup({
        run: runOf('resource:default/k8s-db'),
        connection: { name: 'silent', ...source.connection, port },
        onStart: async () => {},
        onProgress: async () => {},
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/deadline/);
      expect(outcome.error).toContain('activeDeadlineSeconds');
    } finally {
      silent.close();
    }
  });

  it("starts a second Job with the image for the server's major when the first image lacks its client", async () => {
    const on18 = await seededDatabase(18, 'backlot_k8s_runner18');
    const outcome = await runner({
      image: 'backlot/agent:pg14-16',
      imagesByMajor: { 18: 'backlot/agent:0.1.0' },
    }).backup({
      run: runOf('resource:default/k8s-db18'),
      connection: { name: 'pg18', ...on18.connection },
      onStart: async () => {},
      onProgress: async () => {},
    });
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(outcome.pgDumpVersion).toMatch(/^18\./);
    expect((outcome as any).jobName.split(',')).toHaveLength(2);
  });
  it("fails a run at once, saying so, when the API server cannot be reached; another cluster's runs go on", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(testbed.kubernetes!.kubeconfig);
    const kubeconfig = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-kc-')),
      'kubeconfig',
    );
    const cluster = kc.getCurrentCluster()!;
    kc.clusters = kc.clusters.map(c =>
      c.name === cluster.name ? { ...c, server: 'https://127.0.0.1:1' } : c,
    );
    fs.writeFileSync(kubeconfig, kc.exportConfig());
    const away = runner(
      {},
      openKubeClients({ type: 'kubeconfig', kubeconfig }),
    );
    const outcome = await away.backup({
      run: runOf('resource:default/k8s-db'),
      connection: connection(),
      ...noEvents,
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 to create a Job: .*ECONNREFUSED/,
    );
    const other = await runner().backup({
      run: runOf('resource:default/k8s-db'),
      connection: connection(),
      ...noEvents,
    });
    expect(other.status).toBe('succeeded');
  });

  it('resumes a log stream that was cut, without losing or doubling an event', async () => {
    const real = openKubeClients(base.cluster);
    let streams = 0;
    // the real API server's log stream, ended by us after its first chunk on the first call
    const cutting: KubeClients = {
      ...real,
      log: {
        log: async (
          ns: string,
          pod: string,
          container: string,
          out: Writable,
          options: any,
        ) => {
          streams += 1;
          if (streams > 1)
            return real.log.log(ns, pod, container, out, options);
          const first = new PassThrough();
          const controller = await real.log.log(
            ns,
            pod,
            container,
            first,
            options,
          );
          first.once('data', chunk => {
            out.end(chunk);
            controller.abort();
          });
          return controller;
        },
      } as any,
    };
    const events: string[] = [];
    const outcome = await runner({}, cutting).backup({
      run: runOf('resource:default/k8s-big'),
      connection: { name: 'big', ...big.connection },
      onStart: async () => void events.push('start'),
      onProgress: async () => void events.push('progress'),
    });
    expect(outcome.status).toBe('succeeded');
    expect(streams).toBeGreaterThan(1);
    expect(events.filter(e => e === 'start')).toEqual(['start']);
  });

  it('fails a run whose pod is deleted mid-dump; nothing of it is kept and the previous backup stays', async () => {
    const r = runner();
    const good = await r.backup({
      run: runOf('resource:default/k8s-big'),
      connection: { name: 'big', ...big.connection },
      ...noEvents,
    });
    expect(good.status).toBe('succeeded');

    const clients = openKubeClients(base.cluster);
    const run = runOf('resource:default/k8s-big');
    let deleted = false;
    const outcome = await r.backup({
      run,
      connection: { name: 'big', ...big.connection },
      onStart: async () => {},
      onProgress: async () => {
        if (deleted) return;
        deleted = true;
        const pods = await clients.core.listNamespacedPod({
          namespace: base.namespace,
          labelSelector: `backlot.dev/run-id=${run.id}`,
        });
        await clients.core.deleteNamespacedPod({
          name: pods.items[0].metadata!.name!,
          namespace: base.namespace,
        });
      },
    });
    expect(deleted).toBe(true);
    expect(outcome.status).toBe('failed');
    // the agent's last words (interrupted by SIGTERM) or, its pod gone before they were read, the Job's
    expect(outcome.error).toMatch(/interrupted by SIGTERM|its pod is gone/);
    const s3 = s3Client(testbed.s3!);
    await expect(
      s3.send(
        new HeadObjectCommand({
          Bucket: testbed.s3!.bucket,
          Key: good.artifact!.key.replace(/\.dump$/, '.manifest.json'),
        }),
      ),
    ).resolves.toBeDefined();
    await expect(
      s3.send(
        new HeadObjectCommand({
          Bucket: testbed.s3!.bucket,
          Key: good.artifact!.key,
        }),
      ),
    ).resolves.toBeDefined();
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: testbed.s3!.bucket,
        Prefix: `${prefix}/`,
      }),
    );
    expect(
      (listed.Contents ?? [])
        .map((o: any) => o.Key)
        .filter((k: string) => k.includes(run.id)),
    ).toEqual([]);
  });
});
