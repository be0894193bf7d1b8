import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { killOnAbort } from '../cli/interrupt';

// Every pg client program the agent runs (pg_dump, pg_dumpall, pg_restore, and their --version)
// starts here: one place that keeps the connection out of argv, stops the child on SIGTERM/SIGINT,
// reads stderr as whole lines and keeps a bounded tail of it for the error message.

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

export interface PgToolOptions {
  env: NodeJS.ProcessEnv;
  stdin?: 'pipe' | 'ignore';
  stdout?: 'pipe' | 'ignore';
  signal?: AbortSignal;
  onStderrLine?: (line: string) => void;
}

/**
 * Starts a pg client program (pg_dump, pg_restore, pg_dumpall) with the connection in its
 * environment only, stopped by SIGTERM when `signal` fires. Its stderr is read line by line, so
 * a caller sees whole lines even when a pipe splits one in two.
 */
export function startPgTool(
  binary: string,
  args: string[],
  options: PgToolOptions,
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

/** A tool that ran to its end: how it exited, what it printed on stdout, the end of its stderr. */
export interface FinishedTool {
  exit: ToolExit;
  stdout: Buffer;
  stderrTail: string;
}

/**
 * Runs a pg tool to its end, gathering its stdout. With `input`, that stream is fed to its stdin;
 * a tool that stops reading once it has what it needs (pg_restore --list of a streamed archive)
 * is not an error: the rest is not wanted.
 */
export async function runPgTool(
  binary: string,
  args: string[],
  options: Omit<PgToolOptions, 'stdin'> & { input?: () => Promise<Readable> },
): Promise<FinishedTool> {
  const tool = startPgTool(binary, args, {
    ...options,
    stdin: options.input ? 'pipe' : 'ignore',
  });
  const chunks: Buffer[] = [];
  tool.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  let source: Readable | undefined;
  let fed: Promise<unknown> = Promise.resolve();
  if (options.input) {
    source = await options.input();
    fed = pipeline(source, tool.stdin!).catch(() => {});
  }
  const exit = await tool.exited;
  source?.destroy();
  await fed;
  return { exit, stdout: Buffer.concat(chunks), stderrTail: tool.stderrTail() };
}

/** How a tool ended, for a message: "exit 1" or the signal that killed it. */
export function exitOf(exit: ToolExit): string {
  return exit.signal ?? `exit ${exit.code}`;
}

/** A tool's stderr line for the agent's log: pg tools prefix their own lines, which get no second prefix. */
export function relayLine(tool: string, line: string): string {
  return line.startsWith(`${tool}: `) ? line : `${tool}: ${line}`;
}

/** The last `n` lines of a tool's stderr, joined for a one-line message. */
export function lastLines(stderr: string, n: number): string {
  return stderr.trim().split('\n').slice(-n).join(' | ');
}
