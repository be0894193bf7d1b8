import { ChildProcess } from 'node:child_process';

/**
 * Fires on SIGTERM or SIGINT, so a command stops its children and runs its cleanup (scratch
 * database, local copies, partial uploads) instead of the process dying half-way.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => controller.abort(sig));
  }
  return controller.signal;
}

/** What interrupted the command, if anything did. */
export const interruption = (signal?: AbortSignal) =>
  signal?.aborted ? String(signal.reason ?? 'a signal') : undefined;

/** Sends `child` SIGTERM when `signal` fires (at once if it already has), until the child exits. */
export function killOnAbort(child: ChildProcess, signal?: AbortSignal) {
  if (!signal) return;
  const kill = () => child.kill('SIGTERM');
  if (signal.aborted) kill();
  signal.addEventListener('abort', kill, { once: true });
  child.once('close', () => signal.removeEventListener('abort', kill));
}
