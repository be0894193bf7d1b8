import { HumanDuration } from '@backstage/types';

/** `dbBackups.kubernetes`, read and checked at start (config/kubernetesConfig.ts). */
export interface KubernetesRunnerConfig {
  /** how the backend reaches the API server */
  cluster:
    | { type: 'kubeconfig'; kubeconfig: string; context?: string }
    | { type: 'inCluster' };
  /** where the Jobs, their pods and their Secrets live */
  namespace: string;
  /** the agent image: Node, backlot-agent and pg clients 14-18 (ADR 0004) */
  image: string;
  /** a server major whose client the default image lacks → an image that has it */
  imagesByMajor: Record<number, string>;
  /** the Job pods' ServiceAccount; absent: the namespace's default, with no token mounted */
  serviceAccountName?: string;
  /** mount the ServiceAccount token (for storage credentials from a pod identity, e.g. IRSA) */
  automountServiceAccountToken: boolean;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  nodeSelector: Record<string, string>;
  tolerations: {
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
    tolerationSeconds?: number;
  }[];
  imagePullSecrets: string[];
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  /** ends a Job that runs (or stays pending) for longer */
  activeDeadlineSeconds: number;
  /** how long a finished Job and its pod stay for kubectl */
  ttlSecondsAfterFinished: number;
  /** how long a pod may wait to start (image pull, Secret) before the run fails */
  pendingTimeout: HumanDuration;
}
