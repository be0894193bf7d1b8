import path from 'node:path';
import { PACKAGE_DIR, cacheDir } from './config';
import { run, RunResult } from './exec';

/**
 * The bin dir of the control-plane build, which also holds kubectl of the same version. build-k8s.sh prints it
 * (and builds what is missing: a no-op once `up --k8s` ran), so the cache layout is written in one place.
 */
export async function kubernetesBinDir(): Promise<string> {
  const res = await run(
    'bash',
    [path.join(PACKAGE_DIR, 'scripts', 'build-k8s.sh'), cacheDir()],
    { streamStderr: true },
  );
  return res.stdout.trim().split('\n').pop()!;
}

/** Runs the testbed's kubectl with a kubeconfig (no shell; rejects on a non-zero exit unless check: false). */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { check?: boolean } = {},
): Promise<RunResult> {
  const bin = path.join(await kubernetesBinDir(), 'kubectl');
  return run(bin, ['--kubeconfig', kubeconfig, ...args], {
    check: opts.check,
  });
}
