import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubernetesRunnerConfig } from '../runners/kubernetes/KubernetesRunnerConfig';
import {
  formatIssue,
  KubernetesConfigInput,
  kubernetesSchema,
} from './kubernetesSchema';

/**
 * `backlot/agent:<version of @backlot/agent>`: read from the package the backend runs with, so the
 * Jobs' agent is the one whose contract (argv, env, events) this backend was built against.
 */
export function defaultAgentImage(): string {
  const file = require.resolve('@backlot/agent/package.json');
  const { version } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return `backlot/agent:${version}`;
}

const DEFAULT_PENDING_TIMEOUT: HumanDuration = { minutes: 5 };

function readPendingTimeout(kubernetes: Config): HumanDuration {
  const key = 'pendingTimeout';
  if (!kubernetes.has(key)) return DEFAULT_PENDING_TIMEOUT;
  let timeout: HumanDuration;
  try {
    timeout = readDurationFromConfig(kubernetes, { key });
  } catch (error) {
    throw new Error(
      `dbBackups.kubernetes.pendingTimeout: ${(error as Error).message}`,
    );
  }
  if (!(durationToMilliseconds(timeout) > 0)) {
    throw new Error(
      'dbBackups.kubernetes.pendingTimeout: must be longer than zero, e.g. { minutes: 5 } or PT5M',
    );
  }
  return timeout;
}

/** `~/…` as a shell would read it; relative paths from the backend's working directory. */
function resolvePath(file: string): string {
  return path.resolve(file.replace(/^~(?=$|\/)/, os.homedir()));
}

function cluster(
  input: KubernetesConfigInput,
): KubernetesRunnerConfig['cluster'] {
  if (!input.kubeconfig) return { type: 'inCluster' };
  const kubeconfig = resolvePath(input.kubeconfig);
  // checked now, not on the first run: a missing file is a deployment mistake
  if (!fs.existsSync(kubeconfig)) {
    throw new Error(
      `dbBackups.kubernetes.kubeconfig: ${kubeconfig} does not exist`,
    );
  }
  return { type: 'kubeconfig', kubeconfig, context: input.context };
}

/**
 * Reads and checks `dbBackups.kubernetes`; undefined when it is absent (no kubernetes runner).
 * Every shape problem is reported at once, each naming its key.
 */
export function readKubernetesRunnerConfig(
  dbBackups: Config | undefined,
): KubernetesRunnerConfig | undefined {
  const kubernetes = dbBackups?.getOptionalConfig('kubernetes');
  if (!kubernetes) return undefined;
  const parsed = kubernetesSchema.safeParse(kubernetes.get());
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map(formatIssue).join('; '));
  }
  const input = parsed.data;
  return {
    cluster: cluster(input),
    namespace: input.namespace,
    image: input.image ?? defaultAgentImage(),
    imagesByMajor: Object.fromEntries(
      Object.entries(input.imagesByMajor ?? {}).map(([major, image]) => [
        Number(major),
        image,
      ]),
    ),
    serviceAccountName: input.serviceAccountName,
    automountServiceAccountToken: input.automountServiceAccountToken ?? false,
    resources: input.resources,
    nodeSelector: input.nodeSelector ?? {},
    tolerations: input.tolerations ?? [],
    imagePullSecrets: input.imagePullSecrets ?? [],
    podLabels: input.podLabels ?? {},
    podAnnotations: input.podAnnotations ?? {},
    activeDeadlineSeconds: input.activeDeadlineSeconds ?? 6 * 60 * 60,
    ttlSecondsAfterFinished: input.ttlSecondsAfterFinished ?? 24 * 60 * 60,
    pendingTimeout: readPendingTimeout(kubernetes),
  };
}
