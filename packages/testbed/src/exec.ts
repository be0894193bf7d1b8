import { spawn, SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Forward the child's stderr to ours as it arrives (long builds should not look hung). */
  streamStderr?: boolean;
  /** Reject on a non-zero exit (default true). */
  check?: boolean;
}

/** Runs a program without a shell, so no argument is ever re-parsed. */
export function run(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', d => {
      stdout += d;
    });
    child.stderr!.on('data', d => {
      stderr += d;
      if (opts.streamStderr) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', code => {
      const result = { code: code ?? -1, stdout, stderr };
      if ((opts.check ?? true) && result.code !== 0) {
        const tail = (stderr || stdout)
          .trim()
          .split('\n')
          .slice(-15)
          .join('\n');
        reject(
          new Error(
            `${cmd} ${args.join(' ')} exited with ${result.code}\n${tail}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Embedded servers refuse to run as root, so as root every server program runs as the `postgres` OS user;
 * as anyone else it runs as that user directly.
 */
export function runAsPostgres(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  if (!isRoot()) return run(cmd, args, opts);
  return run('runuser', ['-u', 'postgres', '--', cmd, ...args], opts);
}

export function log(message: string): void {
  if (process.env.BACKLOT_TESTBED_QUIET) return;
  process.stderr.write(`[testbed] ${message}\n`);
}
