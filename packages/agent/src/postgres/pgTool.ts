import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { killOnAbort } from '../cli/interrupt';

/** How much of a tool's stderr is kept for the error message of a failed run. */
const STDERR_TAIL_CHARS = 4000;

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningTool {
  stdin: Writable | null;
  stdout: Readable | null;
  /** Settles once the tool exited and every stderr line was handed to `onStderrLine`. */
  exited: Promise<ToolExit>;
  /** The last few thousand characters of its stderr, whole lines. */
  stderrTail(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a pg client program (pg_dump, pg_restore, pg_dumpall) with the connection in its
 * environment only, stopped by SIGTERM when `signal` fires. Its stderr is read line by line, so
 * a caller sees whole lines even when a pipe splits one in two.
 */
export function startPgTool(
  binary: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    stdin?: 'pipe' | 'ignore';
    stdout?: 'pipe' | 'ignore';
    signal?: AbortSignal;
    onStderrLine?: (line: string) => void;
  },
): RunningTool {
  const child = spawn(binary, args, {
    env: options.env,
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  killOnAbort(child, options.signal);
  let tail = '';
  const lines = createInterface({ input: child.stderr!, crlfDelay: Infinity });
  lines.on('line', line => {
    tail = `${tail}${line}\n`.slice(-STDERR_TAIL_CHARS);
    options.onStderrLine?.(line);
  });
  const stderrDone = new Promise<void>(resolve => lines.once('close', resolve));
  const closed = new Promise<ToolExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code, signal: sig }));
  });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    exited: Promise.all([closed, stderrDone]).then(([exit]) => exit),
    stderrTail: () => tail,
    kill: sig => child.kill(sig),
  };
}

/** A tool's stderr line for the agent's log: pg tools prefix their own lines, which get no second prefix. */
export function relayLine(tool: string, line: string): string {
  return line.startsWith(`${tool}: `) ? line : `${tool}: ${line}`;
}

/** The last `n` lines of a tool's stderr, joined for a one-line message. */
export function lastLines(stderr: string, n: number): string {
  return stderr.trim().split('\n').slice(-n).join(' | ');
}
