import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LoggerService } from '@backstage/backend-plugin-api';
import type { AgentEvent, ResultEvent } from '@backlot/agent';

/** The NDJSON events of backlot-agent: one contract, defined by the agent. */
export type { AgentEvent };

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  result?: ResultEvent;
  stderrTail: string;
}

/** How long the agent has to clean up after SIGTERM before it is killed. */
export const KILL_AFTER_MS = 10_000;

function stopOnAbort(
  child: ChildProcess,
  signal: AbortSignal | undefined,
  killAfterMs: number,
) {
  if (!signal) return;
  let killer: NodeJS.Timeout | undefined;
  const stop = () => {
    child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  };
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  child.once('close', () => {
    signal.removeEventListener('abort', stop);
    clearTimeout(killer);
  });
}

export function agentBinPath(): string {
  return require.resolve('@backlot/agent/bin/backlot-agent');
}

/** Runs the agent as a child process and hands each NDJSON event to `onEvent`. */
export async function runAgent(options: {
  /** the agent's bin (default: @backlot/agent's); tests give a stand-in */
  agentBin?: string;
  args: string[];
  env: Record<string, string>;
  logger: LoggerService;
  onEvent(event: AgentEvent): Promise<void>;
  /** on abort the agent gets SIGTERM (it aborts its upload and removes what it wrote), SIGKILL later */
  signal?: AbortSignal;
  /** tests shorten the grace */
  killAfterMs?: number;
}): Promise<AgentExit> {
  const child = spawn(
    process.execPath,
    [options.agentBin ?? agentBinPath(), ...options.args],
    {
      // Only what the agent needs: the backend's own secrets stay out of the child.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        LANG: process.env.LANG ?? 'C.UTF-8',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

  stopOnAbort(child, options.signal, options.killAfterMs ?? KILL_AFTER_MS);

  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });

  let result: AgentExit['result'];
  let pending = Promise.resolve();
  const lines = createInterface({ input: child.stdout });
  lines.on('line', line => {
    let event: AgentEvent;
    try {
      event = JSON.parse(line);
    } catch {
      options.logger.warn(
        `agent printed a line that is not an event: ${line.slice(0, 200)}`,
      );
      return;
    }
    if (event.type === 'result') result = event;
    // Events are handled in order; a slow database write never reorders progress.
    pending = pending
      .then(() => options.onEvent(event))
      .catch(error =>
        options.logger.warn(`handling agent event failed: ${error}`),
      );
  });

  const exit = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  await pending;
  return { ...exit, result, stderrTail };
}
