import type { V1EnvVar, V1Job, V1Secret } from '@kubernetes/client-node';
import { parseEntityRef } from '@backstage/catalog-model';
import { AgentCommand, BACKLOT_ENV, EXIT_CODES } from '@backlot/agent';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';

// The Job that runs one agent command for one run: a pure function of the run and the config, so
// that a backend that restarts builds the same name and adopts the Job it had created.

export const MANAGED_BY = 'backlot';
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  runId: 'backlot.dev/run-id',
  attempt: 'backlot.dev/attempt',
  command: 'backlot.dev/command',
  entityNamespace: 'backlot.dev/entity-namespace',
  entityName: 'backlot.dev/entity-name',
} as const;
export const ENTITY_REF_ANNOTATION = 'backlot.dev/entity-ref';
export const AGENT_CONTAINER = 'agent';

/** The agent image's user (deploy/docker/agent.Dockerfile): numeric, so runAsNonRoot can check it. */
export const AGENT_UID = 10001;
/** Where the agent writes its result: Kubernetes keeps it in the container's terminated state. */
const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** The only writable place in the pod (the root filesystem is read-only). */
const TMP_DIR = '/tmp';

/**
 * Exit codes after which running the pod again cannot help: the Job fails at once (reason
 * PodFailurePolicy). Other failures are not retried either (backoffLimit 0): a schedule retries.
 */
export const FAIL_JOB_EXIT_CODES = [
  EXIT_CODES.usage,
  EXIT_CODES.connection,
  EXIT_CODES.noClient,
  EXIT_CODES.verification,
  EXIT_CODES.incompatibleTarget,
];

/**
 * `backlot-<run id>`, `-a<N>` for a later attempt: one name per attempt, so creating is idempotent.
 * A prune borrows the id of the backup it removes, so it is named apart from that backup's Job.
 */
export function agentJobName(
  runId: string,
  attempt: number,
  command?: AgentCommand,
): string {
  const base = `backlot-${
    command === 'prune' ? 'prune-' : ''
  }${runId.toLowerCase()}`;
  return attempt > 1 ? `${base}-a${attempt}` : base;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export interface AgentJobRequest {
  runId: string;
  attempt: number;
  command: AgentCommand;
  entityRef: string;
  /** from the contract's builders, as the local runner passes them */
  args: string[];
  /** values that are not secret: in the Job spec as they are */
  env: Record<string, string>;
  /** the name of the Secret the Job owns (the secret values), when there is one */
  ownSecret?: string;
  /** a Secret of the team's (backlot.dev/connection-secret) with libpq fields */
  connectionSecret?: string;
  image: string;
}

/** The libpq fields a connection Secret holds, by key: host, user and password are required. */
const CONNECTION_SECRET_KEYS: [env: string, key: string, optional: boolean][] =
  [
    ['PGHOST', 'host', false],
    ['PGPORT', 'port', true],
    ['PGUSER', 'user', false],
    ['PGPASSWORD', 'password', false],
    ['PGDATABASE', 'dbname', true],
    ['PGSSLMODE', 'sslmode', true],
  ];

function connectionSecretEnv(secret: string): V1EnvVar[] {
  return CONNECTION_SECRET_KEYS.map(([name, key, optional]) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key, optional } },
  }));
}

export function buildAgentJob(
  request: AgentJobRequest,
  config: KubernetesRunnerConfig,
): V1Job {
  const name = agentJobName(request.runId, request.attempt, request.command);
  const entity = parseEntityRef(request.entityRef);
  const labels = {
    ...config.podLabels,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.name]: 'backlot-agent',
    [LABELS.runId]: labelValue(request.runId),
    [LABELS.attempt]: String(request.attempt),
    [LABELS.command]: request.command,
    [LABELS.entityNamespace]: labelValue(entity.namespace),
    [LABELS.entityName]: labelValue(entity.name),
  };
  const env: V1EnvVar[] = [
    ...Object.entries({
      ...request.env,
      [BACKLOT_ENV.tmpDir]: TMP_DIR,
      [BACKLOT_ENV.resultFile]: TERMINATION_MESSAGE_PATH,
      HOME: TMP_DIR,
    }).map(([n, value]) => ({ name: n, value })),
    ...(request.connectionSecret
      ? connectionSecretEnv(request.connectionSecret)
      : []),
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: config.namespace,
      labels,
      annotations: { [ENTITY_REF_ANNOTATION]: request.entityRef },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: config.activeDeadlineSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          // a node drained or a pod preempted is not the backup's fault: a new pod runs
          {
            action: 'Ignore',
            onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }],
          },
          {
            action: 'FailJob',
            onExitCodes: {
              containerName: AGENT_CONTAINER,
              operator: 'In',
              values: FAIL_JOB_EXIT_CODES,
            },
          },
        ],
      },
      template: {
        metadata: {
          labels,
          annotations: {
            ...config.podAnnotations,
            [ENTITY_REF_ANNOTATION]: request.entityRef,
          },
        },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: config.serviceAccountName,
          automountServiceAccountToken: config.automountServiceAccountToken,
          imagePullSecrets: config.imagePullSecrets.map(n => ({ name: n })),
          nodeSelector: config.nodeSelector,
          tolerations: config.tolerations,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: AGENT_CONTAINER,
              image: request.image,
              args: request.args,
              env,
              envFrom: request.ownSecret
                ? [{ secretRef: { name: request.ownSecret } }]
                : undefined,
              resources: config.resources,
              terminationMessagePath: TERMINATION_MESSAGE_PATH,
              // a crash before the result is written still says something
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: TMP_DIR }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

/**
 * The Secret of a Job's own secret values (a backend-held connection's password, storage keys),
 * owned by the Job so that it goes when the Job goes. Created after the Job (the owner reference
 * needs its uid); without blockOwnerDeletion, which would need update on jobs/finalizers.
 */
export function buildJobSecret(
  job: V1Job,
  values: Record<string, string>,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: job.metadata!.name,
      namespace: job.metadata!.namespace,
      labels: job.metadata!.labels,
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: job.metadata!.name!,
          uid: job.metadata!.uid!,
        },
      ],
    },
    stringData: values,
  };
}
