import type { AgentErrorCode, ResultEvent } from './events';
import type { AgentCommand } from './argv';

/** backlot-agent's exit codes; the backend and scripts tell failures apart by them. */
export const EXIT_CODES = {
  ok: 0,
  other: 1,
  usage: 2,
  connection: 3,
  noClient: 4,
  storage: 5,
  verification: 6,
  /** the target server lacks what the archive needs (an extension, a library, a compression method) */
  incompatibleTarget: 7,
} as const;

export type ExitName = keyof typeof EXIT_CODES;

/** The exit code of each kind of error (a result event's `error.code`). */
export const EXIT_CODE_OF: Record<AgentErrorCode, number> = {
  usage: EXIT_CODES.usage,
  connection: EXIT_CODES.connection,
  auth: EXIT_CODES.connection,
  no_client: EXIT_CODES.noClient,
  storage: EXIT_CODES.storage,
  dump: EXIT_CODES.other,
  interrupted: EXIT_CODES.other,
  verification: EXIT_CODES.verification,
  restore: EXIT_CODES.other,
  incompatible_target: EXIT_CODES.incompatibleTarget,
  internal: EXIT_CODES.other,
};

/** Each exit code in words, as the agent's README tables them. */
export const EXIT_MEANINGS: Record<ExitName, string> = {
  ok: 'succeeded',
  other:
    'failed (pg_dump or pg_restore failed or was killed, or the agent was interrupted)',
  usage: 'was called wrongly (usage)',
  connection: 'could not connect to or authenticate with the database server',
  noClient: 'found no pg client that suits the server',
  storage: 'could not read or write the storage',
  verification:
    'found the backup uncommitted (no manifest) or different from its manifest',
  incompatibleTarget:
    'found that the target server lacks what the backup needs (an extension, a library or a compression method); nothing was written',
};

/** The name of an exit code, or undefined for a code the agent never uses. */
export function exitNameOf(code: number | null): ExitName | undefined {
  return (Object.keys(EXIT_CODES) as ExitName[]).find(
    name => EXIT_CODES[name] === code,
  );
}

/** How one agent process ended, as its parent saw it. */
export interface AgentExitInput {
  /** the command that ran, for the message (default: none named) */
  command?: AgentCommand;
  code: number | null;
  signal: string | null;
  /** the result event it printed (every command run with --events prints one), if any */
  result?: ResultEvent | null;
  /** the end of its stderr: human lines, the last ones say what went wrong */
  stderrTail?: string;
}

export interface ExitDescription {
  /** exit 0 with a succeeded result: the run did what it was asked */
  ok: boolean;
  /** what the exit code means (undefined when a signal ended it, or for an unknown code) */
  exit?: ExitName;
  /** one line for a run's error (or, when ok, "backlot-agent dump succeeded") */
  message: string;
}

const lastLines = (text: string | undefined, n: number) =>
  (text ?? '').trim().split('\n').filter(Boolean).slice(-n).join(' | ');

/**
 * What an agent's exit means, in words. The agent's own message (its result's error) wins: it says
 * what failed and what to do. Without one, the exit code's meaning and the last lines of stderr.
 * Exit 0 counts as success only with a succeeded result: a run whose result never came (a crash
 * that still exited 0, a stdout cut off) is not a backup.
 */
export function describeExit(input: AgentExitInput): ExitDescription {
  const { code, signal, result } = input;
  const who = input.command
    ? `backlot-agent ${input.command}`
    : 'backlot-agent';
  const exit = signal ? undefined : exitNameOf(code);
  const tail = lastLines(input.stderrTail, 3);
  if (!signal && code === EXIT_CODES.ok && result?.status === 'succeeded') {
    return { ok: true, exit, message: `${who} succeeded` };
  }
  if (result?.status === 'failed' && result.error?.message) {
    return { ok: false, exit, message: result.error.message };
  }
  let how: string;
  if (signal) how = `was killed by ${signal}`;
  else if (exit) how = `exited with code ${code} (${EXIT_MEANINGS[exit]})`;
  else how = `exited with code ${code}`;
  const when = result
    ? `after reporting ${result.status}`
    : 'before reporting a result';
  return {
    ok: false,
    exit,
    message: `${who} ${how} ${when}: ${tail || 'no output'}`,
  };
}
