import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withLock } from './lock';

describe('withLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'testbed-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs one holder at a time', async () => {
    const lock = path.join(dir, 'l');
    let inside = 0;
    let maxInside = 0;
    const work = () =>
      withLock(lock, 10_000, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise(r => setTimeout(r, 50));
        inside--;
      });
    await Promise.all([work(), work(), work()]);
    expect(maxInside).toBe(1);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose owner died', async () => {
    const lock = path.join(dir, 'l');
    fs.mkdirSync(lock);
    // pid 2^22+1 is above Linux's pid_max default range, so no process has it
    fs.writeFileSync(
      path.join(lock, 'owner.json'),
      JSON.stringify({ pid: 4194305, host: os.hostname(), since: 1 }),
    );
    await expect(withLock(lock, 2000, async () => 'got it')).resolves.toBe(
      'got it',
    );
  });

  it('gives up after the timeout while a live owner holds it', async () => {
    const lock = path.join(dir, 'l');
    fs.mkdirSync(lock);
    fs.writeFileSync(
      path.join(lock, 'owner.json'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: 1 }),
    );
    await expect(withLock(lock, 500, async () => 'never')).rejects.toThrow(
      /timed out/,
    );
  });
});
