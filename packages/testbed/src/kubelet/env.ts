/**
 * A container's environment, resolved the way a kubelet does it: envFrom first (in order, with prefixes), then env
 * (later entries win), each `value` expanded against what is defined so far. A missing Secret, ConfigMap or key that
 * is not optional is a ConfigError carrying the real kubelet's message, which becomes the container's
 * CreateContainerConfigError.
 */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { expand, lookupIn } from './expand';

/** Reads Secrets and ConfigMaps (data decoded, binaryData too); undefined means "not found", other failures throw. */
export interface ConfigSource {
  secret(
    namespace: string,
    name: string,
  ): Promise<Record<string, Buffer> | undefined>;
  configMap(
    namespace: string,
    name: string,
  ): Promise<Record<string, Buffer> | undefined>;
}

/** Waiting with reason CreateContainerConfigError: the message is what a real node would show. */
export class ConfigError extends Error {}

export type Kind = 'Secret' | 'ConfigMap';

export async function read(
  src: ConfigSource,
  kind: Kind,
  namespace: string,
  name: string,
): Promise<Record<string, Buffer> | undefined> {
  return kind === 'Secret'
    ? src.secret(namespace, name)
    : src.configMap(namespace, name);
}

export function notFound(kind: Kind, name: string): ConfigError {
  // the kubelet's secret and configmap managers name the resource in the singular, lower case
  return new ConfigError(`${kind.toLowerCase()} "${name}" not found`);
}

/** `metadata.labels['x']` and friends: the downward API fields a process kubelet can answer. */
export function fieldValue(
  pod: V1Pod,
  fieldPath: string,
  podIP: string,
): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) return (pod.metadata?.[m[1] as 'labels'] ?? {})[m[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    // host network in effect: the pod's address is the node's
    case 'status.hostIP':
    case 'status.hostIPs':
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    default:
      throw new ConfigError(`unsupported fieldPath: ${fieldPath}`);
  }
}

async function valueFrom(
  pod: V1Pod,
  v: V1EnvVar,
  src: ConfigSource,
  podIP: string,
): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const from = v.valueFrom!;
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath, podIP);
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (!ref) {
    throw new ConfigError(
      `env ${v.name}: the process kubelet supports value, fieldRef, secretKeyRef and configMapKeyRef only`,
    );
  }
  const kind: Kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
  const data = await read(src, kind, ns, ref.name ?? '');
  if (!data) {
    if (ref.optional) return undefined;
    throw notFound(kind, ref.name ?? '');
  }
  if (!Object.prototype.hasOwnProperty.call(data, ref.key)) {
    if (ref.optional) return undefined;
    throw new ConfigError(
      `couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}`,
    );
  }
  return data[ref.key].toString('utf8');
}

export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  src: ConfigSource,
  podIP: string,
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind: Kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const data = await read(src, kind, ns, ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw notFound(kind, ref.name ?? '');
    }
    for (const [k, value] of Object.entries(data))
      env[`${from.prefix ?? ''}${k}`] = value.toString('utf8');
  }
  for (const v of container.env ?? []) {
    if (v.valueFrom) {
      const value = await valueFrom(pod, v, src, podIP);
      if (value !== undefined) env[v.name] = value;
    } else {
      env[v.name] = expand(v.value ?? '', lookupIn(env));
    }
  }
  return env;
}

/**
 * command replaces the image's entrypoint and args its cmd (args alone keep the entrypoint), and both are expanded
 * against the container's env; what is left empty is the runtime's "no command specified".
 */
export function commandLine(
  container: V1Container,
  image: { entrypoint: string[]; cmd: string[] },
  env: Record<string, string>,
  /** applied to what the pod spec says (a path under a mount), never to the image's own programs */
  rewrite: (s: string) => string = s => s,
): string[] {
  const lookup = lookupIn(env);
  const fromSpec = (words: string[]) =>
    words.map(s => rewrite(expand(s, lookup)));
  // command replaces the entrypoint and drops the image's cmd; args alone replace the cmd
  if (container.command?.length)
    return [...fromSpec(container.command), ...fromSpec(container.args ?? [])];
  if (container.args?.length)
    return [...image.entrypoint, ...fromSpec(container.args)];
  return [...image.entrypoint, ...image.cmd];
}
