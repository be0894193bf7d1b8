import {
  AnnotationProblem,
  CONNECTION_ANNOTATION,
  CONNECTION_SECRET_ANNOTATION,
  DatabaseSettings,
  RUNNER_ANNOTATION,
  RunnerName,
} from '@backlot/plugin-db-backups-common';
import { DbBackupsConfig } from '../config/DbBackupsConfig';

/**
 * What the entity's runner cannot do with its annotations: a kubernetes runner this backend lacks,
 * a Secret the chosen runner cannot read.
 */
export function runnerProblems(
  settings: DatabaseSettings,
  runner: RunnerName,
  config: Pick<DbBackupsConfig, 'kubernetes'>,
): AnnotationProblem[] {
  const { kubernetes } = config;
  if (runner === 'kubernetes' && !kubernetes) {
    // only the annotation can choose it: dbBackups.runner kubernetes needs dbBackups.kubernetes
    return [
      {
        annotation: RUNNER_ANNOTATION,
        message:
          'kubernetes, but this backend has no kubernetes runner: configure dbBackups.kubernetes or remove the annotation',
      },
    ];
  }
  const secret = settings.connectionSecret;
  if (!secret) return [];
  if (settings.connection) {
    return [
      {
        annotation: CONNECTION_SECRET_ANNOTATION,
        message: `set either ${CONNECTION_ANNOTATION} or ${CONNECTION_SECRET_ANNOTATION}, not both: which connection a run uses would be a guess`,
      },
    ];
  }
  if (runner === 'local') {
    return [
      {
        annotation: CONNECTION_SECRET_ANNOTATION,
        message: `a Kubernetes Secret is read by a Job's pod, and this entity runs locally: set ${RUNNER_ANNOTATION}: kubernetes (or dbBackups.runner: kubernetes)${
          kubernetes ? '' : ' with dbBackups.kubernetes configured'
        }, or name a connection of dbBackups.connections in ${CONNECTION_ANNOTATION}`,
      },
    ];
  }
  const namespace = secret.split('/')[0];
  if (kubernetes && namespace !== kubernetes.namespace) {
    return [
      {
        annotation: CONNECTION_SECRET_ANNOTATION,
        message: `the Secret is in namespace ${namespace} and the Jobs run in ${kubernetes.namespace}; a pod can read Secrets of its own namespace only: put the Secret in ${kubernetes.namespace}`,
      },
    ];
  }
  return [];
}
