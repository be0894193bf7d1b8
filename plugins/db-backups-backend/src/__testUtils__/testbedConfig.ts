import { ConfigReader } from '@backstage/config';
import { TestbedInfo } from '@backlot/testbed';
import { readStorageConfig } from '../config/storageConfig';
import { KubernetesRunnerConfig } from '../runners/kubernetes/KubernetesRunnerConfig';

// The testbed's servers as the backend's config names them: one place for the tests that run
// backups into its S3 server, with its pg clients, or as Jobs on its control plane.

/** `dbBackups.storage` for the testbed's S3 server, below `prefix`. */
export function testbedS3Storage(testbed: TestbedInfo, prefix: string) {
  const t = testbed.s3!;
  return {
    type: 's3',
    s3: {
      bucket: t.bucket,
      prefix,
      region: t.region,
      endpoint: t.endpoint,
      credentials: {
        accessKeyId: t.accessKeyId,
        secretAccessKey: t.secretAccessKey,
      },
    },
  };
}

/** The same storage as the runners take it. */
export function testbedS3StorageConfig(testbed: TestbedInfo, prefix: string) {
  return readStorageConfig(
    new ConfigReader({ storage: testbedS3Storage(testbed, prefix) }),
  );
}

/** `dbBackups.local`: the testbed's pg clients only. */
export function testbedLocalRunner(testbed: TestbedInfo) {
  return {
    pgBinDirs: Object.values(testbed.pgBin),
    searchSystemBinDirs: false,
  };
}

/** `dbBackups.kubernetes` for the testbed's control plane. */
export function testbedKubernetes(testbed: TestbedInfo) {
  return {
    kubeconfig: testbed.kubernetes!.kubeconfig,
    namespace: testbed.kubernetes!.namespace,
    pendingTimeout: { seconds: 60 },
  };
}

/** The kubernetes runner's config for the testbed's control plane, as read at start. */
export function testbedRunnerConfig(
  testbed: TestbedInfo,
  overrides: Partial<KubernetesRunnerConfig> = {},
): KubernetesRunnerConfig {
  return {
    cluster: { type: 'kubeconfig', kubeconfig: testbed.kubernetes!.kubeconfig },
    namespace: testbed.kubernetes!.namespace,
    image: 'backlot/agent:0.1.0',
    imagesByMajor: {},
    automountServiceAccountToken: false,
    nodeSelector: {},
    tolerations: [],
    imagePullSecrets: [],
    podLabels: {},
    podAnnotations: {},
    activeDeadlineSeconds: 600,
    ttlSecondsAfterFinished: 600,
    pendingTimeout: { seconds: 60 },
    ...overrides,
  };
}
