import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, PACKAGE_DIR } from './config';
import { isRoot, log, run } from './exec';

/** Client majors the testbed knows how to provide: Debian 12's own, and the ones built from Debian source. */
export const CLIENT_MAJORS = [15, 17, 18] as const;
const DEBIAN_MAJOR = 15;

function debianBin(major: number): string {
  return `/usr/lib/postgresql/${major}/bin`;
}

function hasClients(bin: string): boolean {
  return ['pg_dump', 'pg_restore', 'psql'].every(p =>
    fs.existsSync(path.join(bin, p)),
  );
}

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
 * Where a client major already is, without building or installing anything (the fast path of a warm
 * `testbedUp`). Mirrors build-pg-client.sh: a build counts only once it wrote `.complete`; the newest wins.
 */
export function findClientBin(major: number): string | undefined {
  if (major === DEBIAN_MAJOR)
    return hasClients(debianBin(major)) ? debianBin(major) : undefined;
  const prefix = `pg-client-${major}.`;
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

async function installDebianClient(major: number): Promise<void> {
  const pkg = `postgresql-client-${major}`;
  log(`installing ${pkg} with apt-get`);
  const sudo = isRoot() ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) =>
    sudo.length
      ? run('sudo', ['apt-get', ...args], { env })
      : run('apt-get', args, { env });
  const first = await apt(['install', '-y', '-qq', pkg]).catch(e => e as Error);
  if (first instanceof Error) {
    // A fresh machine often has no package lists yet.
    await apt(['update', '-qq']);
    await apt(['install', '-y', '-qq', pkg]);
  }
}

/** Makes the client programs of `major` available (apt for Debian's major, a cached source build otherwise). */
export async function ensureClient(major: number): Promise<string> {
  const found = findClientBin(major);
  if (found) return found;
  if (major === DEBIAN_MAJOR) {
    await installDebianClient(major);
    if (!hasClients(debianBin(major)))
      throw new Error(`${debianBin(major)} has no pg_dump after installing`);
    return debianBin(major);
  }
  log(
    `PG${major} clients are not cached in ${cacheDir()}: building them (about 2.5 minutes)`,
  );
  fs.mkdirSync(cacheDir(), { recursive: true });
  const script = path.join(PACKAGE_DIR, 'scripts', 'build-pg-client.sh');
  const res = await run('bash', [script, String(major), cacheDir()], {
    streamStderr: true,
  });
  const bin = res.stdout.trim().split('\n').pop()!;
  if (!hasClients(bin))
    throw new Error(
      `build-pg-client.sh ${major} printed ${bin}, which has no pg_dump`,
    );
  return bin;
}
