/**
 * A pod's volumes as folders under its pod dir, made once before its first container starts (a real kubelet also
 * refreshes secret and configMap volumes later; this one does not). emptyDir is 0777 like the kubelet's; secret and
 * configMap volumes are files with items and defaultMode honoured (owned by root: fsGroup is not applied); hostPath is
 * the host path itself; projected and downwardAPI volumes are empty folders (no service-account token is mounted).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ConfigSource, Kind, notFound, read } from './env';

/** The pod cannot start yet (reason ContainerCreating, retried), as when a real kubelet's MountVolume.SetUp fails. */
export class VolumeError extends Error {}

function writeFiles(
  dir: string,
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): void {
  const files = items?.length
    ? items.map(i => {
        if (!(i.key in data))
          throw new VolumeError(
            `configmap references non-existent config key: ${i.key} (${what})`,
          );
        return { key: i.key, rel: i.path, mode: i.mode ?? defaultMode };
      })
    : Object.keys(data).map(key => ({ key, rel: key, mode: defaultMode }));
  for (const f of files) {
    const target = path.join(dir, f.rel);
    if (!target.startsWith(`${dir}/`))
      throw new VolumeError(`invalid path ${f.rel} in ${what}`);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, data[f.key]);
    fs.chmodSync(target, f.mode & 0o777);
  }
}

async function fill(
  pod: V1Pod,
  v: V1Volume,
  dir: string,
  src: ConfigSource,
): Promise<void> {
  const ns = pod.metadata?.namespace ?? 'default';
  let ref:
    | {
        kind: Kind;
        name: string;
        spec: NonNullable<V1Volume['secret'] | V1Volume['configMap']>;
      }
    | undefined;
  if (v.secret)
    ref = { kind: 'Secret', name: v.secret.secretName ?? '', spec: v.secret };
  else if (v.configMap)
    ref = {
      kind: 'ConfigMap',
      name: v.configMap.name ?? '',
      spec: v.configMap,
    };
  if (!ref) return;
  const data = await read(src, ref.kind, ns, ref.name);
  if (!data) {
    if (ref.spec.optional) return;
    throw new VolumeError(
      `MountVolume.SetUp failed for volume "${v.name}" : ${
        notFound(ref.kind, ref.name).message
      }`,
    );
  }
  writeFiles(
    dir,
    data,
    ref.spec.items,
    ref.spec.defaultMode ?? 0o644,
    `volume ${v.name}`,
  );
}

/** Makes every volume of the pod under `podDir/volumes` (again from scratch if a try failed half-way): name -> folder. */
export async function prepareVolumes(
  pod: V1Pod,
  podDir: string,
  src: ConfigSource,
): Promise<Record<string, string>> {
  const root = path.join(podDir, 'volumes');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  const out: Record<string, string> = {};
  for (const v of pod.spec?.volumes ?? []) {
    if (v.hostPath) {
      out[v.name] = v.hostPath.path;
      continue;
    }
    const dir = path.join(root, v.name);
    fs.mkdirSync(dir, { mode: 0o755 });
    // the kubelet makes emptyDir world-writable: any uid the containers run as can use it
    if (v.emptyDir) fs.chmodSync(dir, 0o777);
    await fill(pod, v, dir, src);
    out[v.name] = dir;
  }
  return out;
}
