import fs from 'node:fs';
import path from 'node:path';
import { isRoot, log, run } from './exec';

export interface OsUser {
  uid: number;
  gid: number;
}

let cached: OsUser | undefined;

async function lookup(): Promise<OsUser | undefined> {
  const res = await run('getent', ['passwd', 'postgres'], { check: false });
  if (res.code !== 0) return undefined;
  const [, , uid, gid] = res.stdout.trim().split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The OS user the servers run as. As root that is `postgres` (created when missing, the way Debian's packages
 * would); otherwise it is the current user and nothing needs changing hands.
 */
export async function serverUser(): Promise<OsUser | undefined> {
  if (!isRoot()) return undefined;
  if (cached) return cached;
  let user = await lookup();
  if (!user) {
    log('creating the postgres OS user');
    await run(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        'postgres',
      ],
      {
        check: false,
      },
    );
    user = await lookup();
    if (!user)
      throw new Error('could not create the postgres OS user (useradd failed)');
  }
  cached = user;
  return user;
}

/** Hands a path (recursively) to the server user; a no-op when not root. */
export async function giveToServerUser(target: string): Promise<void> {
  const user = await serverUser();
  if (!user) return;
  const walk = (p: string) => {
    fs.lchownSync(p, user.uid, user.gid);
    if (fs.lstatSync(p).isDirectory()) {
      for (const entry of fs.readdirSync(p)) walk(path.join(p, entry));
    }
  };
  walk(target);
}
