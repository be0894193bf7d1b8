import type { V1Pod } from '@kubernetes/client-node';
import { identity } from './identity';
import { resolveImage, normalizeImage, ImageHost } from './images';
import { ContainerState, PodState, podPhase, podStatus } from './status';

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: {
    restartPolicy: 'Never',
    initContainers: [{ name: 'init', image: 'backlot/testbed-shell:1' }],
    containers: [
      { name: 'a', image: 'postgres:17' },
      { name: 'b', image: 'postgres:17' },
    ],
  },
};
const waiting: ContainerState = { kind: 'waiting', reason: 'PodInitializing' };
const running: ContainerState = {
  kind: 'running',
  pid: 7,
  startedAt: '2026-12-01T10:00:00Z',
};
const done = (exitCode: number): ContainerState => ({
  kind: 'terminated',
  exitCode,
  reason: exitCode ? 'Error' : 'Completed',
  finishedAt: '2026-12-01T10:00:01Z',
  pid: 7,
});
const state = (init: ContainerState[], main: ContainerState[]): PodState => ({
  init,
  main,
  sandboxReady: true,
  startTime: '2026-12-01T10:00:00Z',
  hostIP: '127.0.0.1',
});

describe('pod phase and status', () => {
  it.each([
    [[waiting], [waiting, waiting], 'Pending'],
    [[running], [waiting, waiting], 'Pending'],
    [[done(1)], [waiting, waiting], 'Failed'],
    [[done(0)], [running, waiting], 'Pending'],
    [[done(0)], [running, done(0)], 'Running'],
    [[done(0)], [done(0), done(0)], 'Succeeded'],
    [[done(0)], [done(0), done(2)], 'Failed'],
  ])('init %j, containers %j: %s', (init, main, phase) => {
    expect(podPhase(pod, state(init, main))).toBe(phase);
  });

  it('reports conditions and container states as a kubelet does', () => {
    const s = podStatus(pod, state([done(0)], [running, done(0)]));
    const byType = Object.fromEntries(
      s.conditions.map((c: any) => [c.type, c]),
    );
    expect(byType.Initialized.status).toBe('True');
    expect(byType.Ready).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [b]',
    });
    expect(s.containerStatuses[0]).toMatchObject({
      name: 'a',
      ready: true,
      containerID: 'process://7',
      state: { running: { startedAt: '2026-12-01T10:00:00Z' } },
    });
    expect(s.containerStatuses[1].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(s).toMatchObject({
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      phase: 'Running',
    });
    const pending = podStatus(pod, state([running], [waiting, waiting]));
    expect(
      pending.conditions.find((c: any) => c.type === 'Initialized'),
    ).toMatchObject({
      status: 'False',
      message: 'containers with incomplete status: [init]',
    });
  });
});

describe('images and identity', () => {
  const host: ImageHost = {
    clientBin: m => (m === 15 || m === 17 ? `/c/${m}/bin` : undefined),
    nodeBin: () => '/node/bin',
    agentEntrypoint: () => '/agent/bin/backlot-agent',
  };

  it('resolves the table, and nothing else', () => {
    expect(normalizeImage('docker.io/library/postgres:17')).toBe('postgres:17');
    expect(normalizeImage('busybox')).toBe('busybox:latest');
    expect(resolveImage('postgres:17', host)).toMatchObject({
      image: { path: ['/c/17/bin'] },
    });
    expect(resolveImage('postgres:16', host)).toEqual({
      error: expect.stringContaining('no PostgreSQL 16 client'),
    });
    expect(resolveImage('backlot/agent:0.1.0', host)).toMatchObject({
      image: {
        entrypoint: ['/agent/bin/backlot-agent'],
        env: { BACKLOT_PG_BIN_DIRS: '/c/17/bin:/c/15/bin' },
      },
    });
    expect(resolveImage('backlot/agent:dev', host)).toMatchObject({
      image: { user: 10001, passwd: { 10001: 10001 } },
    });
    expect(resolveImage('backlot/agent:pg14-16', host)).toMatchObject({
      image: { env: { BACKLOT_PG_BIN_DIRS: '/c/15/bin' } },
    });
    expect(resolveImage('nginx:1', host)).toEqual({
      error: expect.stringContaining('not found'),
    });
  });

  it('takes runAsUser from the container over the pod, and refuses root under runAsNonRoot', () => {
    const image = (resolveImage('postgres:17', host) as any).image;
    const c = { name: 'a', securityContext: { runAsUser: 1000 } };
    const p = (sc: object): V1Pod => ({
      ...pod,
      spec: { ...pod.spec!, securityContext: sc },
    });
    expect(identity(p({ runAsUser: 999 }), c, image)).toEqual({
      uid: 1000,
      gid: 0,
    });
    expect(identity(p({ runAsUser: 999 }), { name: 'a' }, image)).toEqual({
      uid: 999,
      gid: 999,
    });
    expect(
      identity(p({ runAsUser: 999, runAsGroup: 5 }), { name: 'a' }, image),
    ).toEqual({ uid: 999, gid: 5 });
    expect(() =>
      identity(p({ runAsNonRoot: true }), { name: 'a' }, image),
    ).toThrow(
      'container has runAsNonRoot and image will run as root (pod: "p_ns(u)", container: a)',
    );
  });
});
