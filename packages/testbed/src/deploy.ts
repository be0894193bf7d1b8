/**
 * What the deploy artefacts (deploy/docker, deploy/kubernetes at the repository root) must say, shared by the tests
 * that keep them honest: deployArtefacts.test.ts (static) and deployManifests.e2e.test.ts (the real API server).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { PACKAGE_DIR } from './config';

export const REPO_DIR = path.resolve(PACKAGE_DIR, '../..');
export const DOCKER_DIR = path.join(REPO_DIR, 'deploy', 'docker');
export const MANIFESTS_DIR = path.join(REPO_DIR, 'deploy', 'kubernetes');

/** The image the kubernetes runner's Jobs run (deploy/docker/agent.Dockerfile). */
export const AGENT_IMAGE = 'backlot/agent:0.1.0';

/** The objects of one manifest file of deploy/kubernetes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function manifest(file: string): any[] {
  return loadAllYaml(fs.readFileSync(path.join(MANIFESTS_DIR, file), 'utf8'));
}

/** Everything the kubernetes runner does in its Job namespace, and all that role.yaml grants. */
export const RUNNER_RULES = [
  {
    apiGroups: ['batch'],
    resources: ['jobs'],
    verbs: ['create', 'get', 'list', 'watch', 'delete'],
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  {
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['create', 'get', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
];
