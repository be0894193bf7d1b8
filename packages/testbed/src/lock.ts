import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Owner {
  pid: number;
  host: string;
  since: number;
}

const POLL_MS = 200;
// A lock dir without an owner file is only trusted this long: its creator died between mkdir and write.
const OWNERLESS_GRACE_MS = 10_000;

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(dir: string): boolean {
  const owner = readOwner(dir);
  if (owner) return owner.host === os.hostname() && !isAlive(owner.pid);
  try {
    return Date.now() - fs.statSync(dir).mtimeMs > OWNERLESS_GRACE_MS;
  } catch {
    return false; // vanished: not stale, just free
  }
}

/**
 * Breaks a stale lock by renaming it aside first: rename is atomic, so of several waiters that all judged it stale
 * only one moves it. If what got moved was not the lock we judged (a fresh owner took it meanwhile), it goes back.
 */
function breakStale(dir: string): void {
  const judged = readOwner(dir);
  const aside = `${dir}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(dir, aside);
  } catch {
    return;
  }
  const moved = readOwner(aside);
  if (
    moved &&
    judged &&
    (moved.pid !== judged.pid || moved.since !== judged.since)
  ) {
    try {
      fs.renameSync(aside, dir);
      return;
    } catch {
      // the rightful owner will find its lock gone; nothing better can be done here
    }
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

/**
 * Runs fn while holding a cross-process lock (a directory: mkdir is atomic). Jest workers and CLI calls start
 * the testbed concurrently; this serialises them, and a lock left by a killed process is taken over.
 */
export async function withLock<T>(
  dir: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (isStale(dir)) {
      breakStale(dir);
      continue;
    }
    if (Date.now() > deadline) {
      const owner = readOwner(dir);
      throw new Error(
        `timed out waiting for ${dir} (held by ${
          owner ? `pid ${owner.pid}` : 'unknown'
        })`,
      );
    }
    if (!warned && !process.env.BACKLOT_TESTBED_QUIET) {
      process.stderr.write(
        `[testbed] waiting for another testbed start-up to finish (${dir})\n`,
      );
      warned = true;
    }
    await new Promise(r => setTimeout(r, POLL_MS));
  }
  const me: Owner = {
    pid: process.pid,
    host: os.hostname(),
    since: Date.now(),
  };
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(me));
  try {
    return await fn();
  } finally {
    // Only our own lock is removed: if it was wrongly broken and re-taken, the new owner keeps it.
    const owner = readOwner(dir);
    if (owner && owner.pid === me.pid && owner.since === me.since) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
