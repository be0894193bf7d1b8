import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, PACKAGE_DIR } from './config';
import { run } from './exec';

/** What scripts/build-pg.sh builds: the client programs of a major, or a whole server. */
export type BuildKind = 'client' | 'server';

/**
 * A build's directory in the cache is `<name>-<version>`. Mirrors `name` in build-pg.sh: change both when a recipe
 * changes what it builds, so an older build is not taken for the new one (the server without lz4 was `pg-server`).
 */
export const BUILD_NAMES: Record<BuildKind, string> = {
  client: 'pg-client',
  server: 'pg-server-lz4',
};

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The bin dir of a cached build (`<cache>/<name>-<version>/bin`), without building anything. Mirrors
 * build-pg.sh: a build counts only once it wrote `.complete`; the newest version wins.
 */
export function findBuild(kind: BuildKind, major: number): string | undefined {
  const prefix = `${BUILD_NAMES[kind]}-${major}.`;
  let entries: string[];
  try {
    entries = fs.readdirSync(cacheDir());
  } catch {
    return undefined;
  }
  const builds = entries
    .filter(
      e =>
        e.startsWith(prefix) &&
        fs.existsSync(path.join(cacheDir(), e, '.complete')),
    )
    .sort((a, b) =>
      compareVersions(a.slice(prefix.length), b.slice(prefix.length)),
    );
  const newest = builds.pop();
  return newest ? path.join(cacheDir(), newest, 'bin') : undefined;
}

/** Runs build-pg.sh (minutes, every core; a no-op when cached) and returns the bin dir it printed. */
export async function runBuild(
  kind: BuildKind,
  major: number,
): Promise<string> {
  fs.mkdirSync(cacheDir(), { recursive: true });
  const script = path.join(PACKAGE_DIR, 'scripts', 'build-pg.sh');
  const res = await run('bash', [script, kind, String(major), cacheDir()], {
    streamStderr: true,
  });
  return res.stdout.trim().split('\n').pop()!;
}
