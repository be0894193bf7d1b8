import fs from 'node:fs';
import path from 'node:path';
import { findBuild, runBuild } from './builds';
import { cacheDir } from './config';
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

/**
 * Where a client major already is, without building or installing anything (the fast path of a warm
 * `testbedUp`).
 */
export function findClientBin(major: number): string | undefined {
  if (major === DEBIAN_MAJOR)
    return hasClients(debianBin(major)) ? debianBin(major) : undefined;
  return findBuild('client', major);
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
  const bin = await runBuild('client', major);
  if (!hasClients(bin))
    throw new Error(
      `build-pg.sh client ${major} printed ${bin}, which has no pg_dump`,
    );
  return bin;
}
