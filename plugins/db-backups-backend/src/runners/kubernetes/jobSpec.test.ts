import { dumpArgs, EXIT_CODES } from '@backlot/agent';
import { agentJobName, buildAgentJob, buildJobSecret } from './jobSpec';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';
import { splitSecretEnv } from './KubernetesRunner';

const config: KubernetesRunnerConfig = {
  cluster: { type: 'inCluster' },
  namespace: 'backlot-jobs',
  image: 'backlot/agent:0.1.0',
  imagesByMajor: {},
  automountServiceAccountToken: false,
  nodeSelector: { pool: 'batch' },
  tolerations: [{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }],
  imagePullSecrets: ['regcred'],
  podLabels: { team: 'platform' },
  podAnnotations: { 'example.com/cost-center': '42' },
  activeDeadlineSeconds: 3600,
  ttlSecondsAfterFinished: 600,
  pendingTimeout: { minutes: 5 },
};

const runId = '0b6a1f7e-3c2d-4e5f-8a9b-0c1d2e3f4a5b';
const args = dumpArgs({ to: 's3://b/p', entity: 'default/orders-db', runId });

describe('the agent Job', () => {
  const job = buildAgentJob(
    {
      runId,
      attempt: 1,
      command: 'dump',
      entityRef: 'resource:default/orders-db',
      args,
      env: { PGHOST: 'db', AWS_REGION: 'eu-west-1' },
      ownSecret: agentJobName(runId, 1),
      image: config.image,
    },
    config,
  );
  const pod = job.spec!.template.spec!;
  const agent = pod.containers[0];

  it('is named after the run and attempt, and labelled with the run and the entity', () => {
    expect(job.metadata!.name).toBe(`backlot-${runId}`);
    expect(agentJobName(runId, 2)).toBe(`backlot-${runId}-a2`);
    expect(agentJobName(runId, 1, 'prune')).toBe(`backlot-prune-${runId}`);
    expect(job.metadata!.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'backlot',
      'backlot.dev/run-id': runId,
      'backlot.dev/entity-namespace': 'default',
      'backlot.dev/entity-name': 'orders-db',
      team: 'platform',
    });
    expect(job.metadata!.annotations!['backlot.dev/entity-ref']).toBe(
      'resource:default/orders-db',
    );
    expect(job.spec!.template.metadata!.annotations).toMatchObject(
      config.podAnnotations,
    );
  });

  it('runs the contract argv in a pod that passes the restricted Pod Security Standard', () => {
    expect(agent.args).toEqual(args);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(agent.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    expect(pod.nodeSelector).toEqual(config.nodeSelector);
    expect(pod.tolerations).toEqual(config.tolerations);
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('fails at once on usage, connection and version errors, ignores disruptions, and is not retried', () => {
    expect(job.spec!.backoffLimit).toBe(0);
    const [ignore, fail] = job.spec!.podFailurePolicy!.rules;
    expect(ignore).toMatchObject({
      action: 'Ignore',
      onPodConditions: [{ type: 'DisruptionTarget' }],
    });
    expect(fail.action).toBe('FailJob');
    expect(fail.onExitCodes!.values).toEqual(
      expect.arrayContaining([
        EXIT_CODES.usage,
        EXIT_CODES.connection,
        EXIT_CODES.noClient,
      ]),
    );
    expect(fail.onExitCodes!.values).not.toContain(EXIT_CODES.storage);
    expect(job.spec!.activeDeadlineSeconds).toBe(3600);
    expect(job.spec!.ttlSecondsAfterFinished).toBe(600);
  });

  it('writes the result where Kubernetes keeps the termination message, and reads secrets from its own Secret', () => {
    const env = Object.fromEntries(agent.env!.map(e => [e.name, e.value]));
    expect(env.BACKLOT_RESULT_FILE).toBe(agent.terminationMessagePath);
    expect(env.BACKLOT_TMPDIR).toBe('/tmp');
    expect(agent.envFrom).toEqual([
      { secretRef: { name: job.metadata!.name } },
    ]);
  });

  it("takes a team's connection Secret by secretKeyRef: host, user and password required", () => {
    const withSecret = buildAgentJob(
      {
        runId,
        attempt: 1,
        command: 'dump',
        entityRef: 'resource:default/orders-db',
        args,
        env: {},
        connectionSecret: 'orders-db-conn',
        image: config.image,
      },
      config,
    );
    const env = withSecret.spec!.template.spec!.containers[0].env!;
    const password = env.find(e => e.name === 'PGPASSWORD')!;
    expect(password.value).toBeUndefined();
    expect(password.valueFrom!.secretKeyRef).toEqual({
      name: 'orders-db-conn',
      key: 'password',
      optional: false,
    });
    expect(
      env.find(e => e.name === 'PGPORT')!.valueFrom!.secretKeyRef!.optional,
    ).toBe(true);
  });
});

describe('secret values', () => {
  it('go to the Secret, owned by the Job; everything else stays in the spec', () => {
    const { plain, secret } = splitSecretEnv({
      PGHOST: 'db',
      PGPASSWORD: 'p@ss w0rd',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'shh',
      AWS_REGION: 'eu-west-1',
    });
    expect(plain).toEqual({ PGHOST: 'db', AWS_REGION: 'eu-west-1' });
    expect(Object.keys(secret).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'PGPASSWORD',
    ]);
    const owned = buildJobSecret(
      { metadata: { name: 'backlot-x', namespace: 'ns', uid: 'u-1' } },
      secret,
    );
    expect(owned.metadata!.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'backlot-x', uid: 'u-1' },
    ]);
    expect(owned.stringData).toEqual(secret);
  });
});
