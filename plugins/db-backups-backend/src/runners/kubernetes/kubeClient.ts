import fs from 'node:fs';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
} from '@kubernetes/client-node';
import { KubernetesRunnerConfig } from './KubernetesRunnerConfig';

/** The API clients the runner uses, for one cluster. */
export interface KubeClients {
  server: string;
  batch: BatchV1Api;
  core: CoreV1Api;
  log: Log;
}

export function openKubeClients(
  cluster: KubernetesRunnerConfig['cluster'],
): KubeClients {
  const kc = new KubeConfig();
  if (cluster.type === 'inCluster') {
    kc.loadFromCluster();
  } else {
    kc.loadFromString(fs.readFileSync(cluster.kubeconfig, 'utf8'));
    if (cluster.context) kc.setCurrentContext(cluster.context);
  }
  return kubeClientsOf(kc);
}

export function kubeClientsOf(kc: KubeConfig): KubeClients {
  return {
    server: kc.getCurrentCluster()?.server ?? 'the API server',
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    log: new Log(kc),
  };
}

export function isApiStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/**
 * An API call's failure in words: the server's own Status message where there is one (a 403 names
 * the verb, the resource and the namespace), else why the server could not be reached.
 */
export function describeApiError(
  error: unknown,
  doing: string,
  server: string,
): string {
  if (error instanceof ApiException) {
    let message: string | undefined;
    try {
      const body =
        typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      message = body?.message;
    } catch {
      // not a Status object
    }
    const advice =
      error.code === 403
        ? " (the backend's ServiceAccount needs the Role in deploy/kubernetes/role.yaml)"
        : '';
    return `Kubernetes refused to ${doing} (HTTP ${error.code}): ${
      message ?? error.message
    }${advice}`;
  }
  const cause = (error as any)?.cause ?? error;
  const reason = cause?.code ?? cause?.message ?? String(error);
  return `cannot reach the Kubernetes API server at ${server} to ${doing}: ${reason}. Check dbBackups.kubernetes.kubeconfig and context, and that the server is up`;
}
