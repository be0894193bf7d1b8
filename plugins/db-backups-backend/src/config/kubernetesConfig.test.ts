import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readKubernetesRunnerConfig } from './kubernetesConfig';
import { readDbBackupsConfig } from './DbBackupsConfig';

const read = (kubernetes: object) =>
  readKubernetesRunnerConfig(new ConfigReader({ kubernetes }));
const problem = (kubernetes: object) => () => read(kubernetes);
const ns = { namespace: 'backlot-jobs' };

describe('readKubernetesRunnerConfig', () => {
  it('is undefined without dbBackups.kubernetes', () => {
    expect(readKubernetesRunnerConfig(undefined)).toBeUndefined();
    expect(readKubernetesRunnerConfig(new ConfigReader({}))).toBeUndefined();
  });

  it('fills in the defaults: in-cluster, the agent image of this backend, 6 h, 1 day, 5 min', () => {
    const { version } = require('@backlot/agent/package.json');
    expect(read(ns)).toEqual({
      cluster: { type: 'inCluster' },
      namespace: 'backlot-jobs',
      image: `backlot/agent:${version}`,
      imagesByMajor: {},
      serviceAccountName: undefined,
      automountServiceAccountToken: false,
      resources: undefined,
      nodeSelector: {},
      tolerations: [],
      imagePullSecrets: [],
      podLabels: {},
      podAnnotations: {},
      activeDeadlineSeconds: 21600,
      ttlSecondsAfterFinished: 86400,
      pendingTimeout: { minutes: 5 },
    });
  });

  it('reads every field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
    const kubeconfig = path.join(dir, 'config');
    fs.writeFileSync(kubeconfig, 'apiVersion: v1\n');
    const config = read({
      kubeconfig,
      context: 'testbed',
      namespace: 'jobs',
      image: 'registry.example.com/backlot/agent:1.2.3',
      imagesByMajor: { 19: 'registry.example.com/backlot/agent:pg19' },
      serviceAccountName: 'backlot-agent',
      automountServiceAccountToken: 'true',
      resources: {
        requests: { cpu: 0.5, memory: '512Mi' },
        limits: { memory: '2Gi', 'ephemeral-storage': '10G' },
      },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [
        {
          key: 'dedicated',
          operator: 'Equal',
          value: 'backups',
          effect: 'NoSchedule',
        },
        { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      ],
      imagePullSecrets: ['registry-creds'],
      podLabels: { 'team.example.com/owner': 'platform' },
      podAnnotations: { 'example.com/note': 'any text, even with spaces' },
      activeDeadlineSeconds: '3600',
      ttlSecondsAfterFinished: 600,
      pendingTimeout: 'PT10M',
    });
    expect(config).toMatchObject({
      cluster: { type: 'kubeconfig', kubeconfig, context: 'testbed' },
      imagesByMajor: { 19: 'registry.example.com/backlot/agent:pg19' },
      automountServiceAccountToken: true,
      resources: {
        requests: { cpu: '0.5', memory: '512Mi' },
        limits: { memory: '2Gi', 'ephemeral-storage': '10G' },
      },
      activeDeadlineSeconds: 3600,
      ttlSecondsAfterFinished: 600,
      pendingTimeout: { minutes: 10 },
    });
    fs.rmSync(dir, { recursive: true });
  });

  it.each([
    [{ seconds: 90 }, { seconds: 90 }],
    ['PT2M30S', { minutes: 2, seconds: 30 }],
    ['10m', { minutes: 10 }],
  ])('reads pendingTimeout %j', (pendingTimeout, expected) => {
    expect(read({ ...ns, pendingTimeout })?.pendingTimeout).toEqual(expected);
  });

  it.each([
    [
      { minutes: 5, secs: 3 },
      /dbBackups\.kubernetes\.pendingTimeout: .*Unknown property 'secs'/,
    ],
    [
      { minuets: 5 },
      /dbBackups\.kubernetes\.pendingTimeout: .*Needs one or more of/,
    ],
    [
      'soon',
      /dbBackups\.kubernetes\.pendingTimeout: .*Invalid duration 'soon'/,
    ],
    [
      { seconds: 0 },
      'dbBackups.kubernetes.pendingTimeout: must be longer than zero',
    ],
  ])('refuses pendingTimeout %j', (pendingTimeout, message) => {
    expect(problem({ ...ns, pendingTimeout })).toThrow(message);
  });

  it('says which kubeconfig file is missing', () => {
    expect(problem({ ...ns, kubeconfig: '/x' })).toThrow(
      'dbBackups.kubernetes.kubeconfig: /x does not exist',
    );
  });

  it('refuses a context without a kubeconfig', () => {
    expect(problem({ ...ns, context: 'prod' })).toThrow(
      'dbBackups.kubernetes.context: needs kubeconfig',
    );
  });

  it.each([
    [{}, 'dbBackups.kubernetes.namespace: missing'],
    [
      { namespace: 'Backlot_Jobs' },
      'dbBackups.kubernetes.namespace: "Backlot_Jobs" is not a DNS-1123 label',
    ],
    [{ namespace: 'a'.repeat(64) }, 'is not a DNS-1123 label'],
    [
      { ...ns, imagesByMajor: { 9: 'x:9' } },
      'dbBackups.kubernetes.imagesByMajor["9"]: "9" is not a PostgreSQL major',
    ],
    [
      { ...ns, imagesByMajor: { '17.2': 'x:17' } },
      'dbBackups.kubernetes.imagesByMajor["17.2"]: "17.2" is not a PostgreSQL major',
    ],
    [
      { ...ns, imagesByMajor: { 17: 'x y' } },
      'dbBackups.kubernetes.imagesByMajor["17"]: "x y" is not an image reference',
    ],
    [
      { ...ns, image: 'agent latest' },
      'dbBackups.kubernetes.image: "agent latest" is not an image reference',
    ],
    [
      { ...ns, serviceAccountName: 'Backlot' },
      'dbBackups.kubernetes.serviceAccountName: "Backlot" is not a DNS-1123 subdomain',
    ],
    [
      { ...ns, automountServiceAccountToken: 'yes' },
      'dbBackups.kubernetes.automountServiceAccountToken: must be true or false',
    ],
    [
      { ...ns, podLabels: { 'team/x/y': 'a' } },
      'dbBackups.kubernetes.podLabels["team/x/y"]: "team/x/y" is not a valid key: at most one "/"',
    ],
    [
      { ...ns, podLabels: { 'Example.com/team': 'a' } },
      'its prefix must be a DNS subdomain',
    ],
    [
      { ...ns, podLabels: { '-team': 'a' } },
      'dbBackups.kubernetes.podLabels["-team"]: "-team" is not a valid key',
    ],
    [
      { ...ns, podLabels: { team: 'a b' } },
      'dbBackups.kubernetes.podLabels.team: "a b" is not a valid label value',
    ],
    [
      { ...ns, podLabels: { team: 'a'.repeat(64) } },
      'is not a valid label value',
    ],
    [
      { ...ns, podLabels: { team: 1 } },
      'dbBackups.kubernetes.podLabels.team: must be a string (quote numbers',
    ],
    [
      { ...ns, podLabels: { 'app.kubernetes.io/managed-by': 'me' } },
      'is set by the runner on every pod',
    ],
    [
      { ...ns, nodeSelector: { pool: 'db pool' } },
      'dbBackups.kubernetes.nodeSelector.pool: "db pool" is not a valid label value',
    ],
    [
      { ...ns, podAnnotations: { 'a b': 'x' } },
      'dbBackups.kubernetes.podAnnotations["a b"]: "a b" is not a valid key',
    ],
    [
      { ...ns, resources: { requests: { memory: '512MB' } } },
      'dbBackups.kubernetes.resources.requests.memory: "512MB" is not a Kubernetes quantity',
    ],
    [
      { ...ns, resources: { limits: { cpu: '-1' } } },
      'dbBackups.kubernetes.resources.limits.cpu: "-1" is not a Kubernetes quantity',
    ],
    [
      { ...ns, resources: { limits: { gpu: '1' } } },
      'dbBackups.kubernetes.resources.limits: unknown "gpu"',
    ],
    [
      { ...ns, tolerations: [{ key: 'a', operator: 'In' }] },
      'dbBackups.kubernetes.tolerations[0].operator: "In" is not one of Equal, Exists',
    ],
    [
      { ...ns, tolerations: [{ key: 'a', effect: 'NoRun' }] },
      'dbBackups.kubernetes.tolerations[0].effect: "NoRun" is not one of NoSchedule, PreferNoSchedule, NoExecute',
    ],
    [
      { ...ns, tolerations: [{ value: 'x' }] },
      'dbBackups.kubernetes.tolerations[0].operator: must be Exists when the toleration has no key',
    ],
    [
      { ...ns, tolerations: [{ operator: 'Exists', value: 'x' }] },
      'dbBackups.kubernetes.tolerations[0].value: must be empty when operator is Exists',
    ],
    [
      {
        ...ns,
        tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }],
      },
      'dbBackups.kubernetes.tolerations[0].tolerationSeconds: is only allowed with effect NoExecute',
    ],
    [
      { ...ns, imagePullSecrets: ['Registry'] },
      'dbBackups.kubernetes.imagePullSecrets[0]: "Registry" is not a DNS-1123 subdomain',
    ],
    [
      { ...ns, activeDeadlineSeconds: 0 },
      'dbBackups.kubernetes.activeDeadlineSeconds: 0 is not a positive whole number of seconds',
    ],
    [
      { ...ns, activeDeadlineSeconds: 1.5 },
      'dbBackups.kubernetes.activeDeadlineSeconds: 1.5 is not a positive whole number',
    ],
    [
      { ...ns, ttlSecondsAfterFinished: -1 },
      'dbBackups.kubernetes.ttlSecondsAfterFinished: -1 is not a positive whole number',
    ],
    [
      { ...ns, ttlSecondsAfterFinished: '1h' },
      'dbBackups.kubernetes.ttlSecondsAfterFinished: must be a whole number of seconds',
    ],
    [
      { ...ns, nodeSelecter: {} },
      'dbBackups.kubernetes: unknown "nodeSelecter"',
    ],
  ])('refuses %j, naming the key', (kubernetes, message) => {
    expect(problem(kubernetes)).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(problem({ namespace: 'A', activeDeadlineSeconds: 0 })).toThrow(
      /namespace: .*; dbBackups\.kubernetes\.activeDeadlineSeconds/,
    );
  });
});

describe('readDbBackupsConfig runner', () => {
  const config = (dbBackups: object) =>
    readDbBackupsConfig(new ConfigReader({ dbBackups }));

  it('runs locally by default, without a kubernetes runner', () => {
    expect(config({})).toMatchObject({
      runner: 'local',
      kubernetes: undefined,
    });
  });

  it('has a kubernetes runner when dbBackups.kubernetes is set', () => {
    expect(config({ runner: 'kubernetes', kubernetes: ns })).toMatchObject({
      runner: 'kubernetes',
      kubernetes: { namespace: 'backlot-jobs' },
    });
    expect(config({ kubernetes: ns }).runner).toBe('local');
  });

  it('refuses runner kubernetes without dbBackups.kubernetes', () => {
    expect(() => config({ runner: 'kubernetes' })).toThrow(
      'dbBackups.runner is "kubernetes" but dbBackups.kubernetes is missing: give at least its namespace',
    );
  });

  it('refuses a runner it does not know', () => {
    expect(() => config({ runner: 'k8s' })).toThrow(
      'dbBackups.runner is "k8s"; use one of local, kubernetes',
    );
  });
});
