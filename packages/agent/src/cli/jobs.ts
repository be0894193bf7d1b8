import { AgentError } from './errors';

/** --jobs of dump and restore: how many pg_dump or pg_restore workers. */
export function parseJobs(jobs?: string): number {
  const n = Number(jobs ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new AgentError(
      'usage',
      `--jobs "${jobs}" is not a whole number from 1 to 64`,
    );
  }
  return n;
}
