import type { ResultEvent } from '../contract';
import { AgentError, EXIT_CODES, toAgentError } from './errors';
import { interruptSignal, interruption } from './interrupt';
import { createReporter, Reporter } from './reporter';
import { writeResultFile } from './resultFile';

/** What a command can say of its result; the result event has null for the rest. */
export type ResultFacts = Partial<
  Omit<ResultEvent, 'type' | 'status' | 'error' | 'peakRssBytes' | 'cpuSeconds'>
>;

/** What a command is given to run with. */
export interface CommandRun {
  reporter: Reporter;
  /** fires on SIGTERM or SIGINT: stop children, clean up, fail */
  signal: AbortSignal;
  /** what the command learnt so far; a failed result carries it too (the versions a dump matched) */
  known: ResultFacts;
}

const NOTHING_KNOWN: Required<ResultFacts> = {
  location: null,
  manifest: null,
  key: null,
  bytes: null,
  sha256: null,
  serverVersion: null,
  pgDumpVersion: null,
  errorsIgnored: null,
};

/** The agent's own peak memory and CPU (children excluded), for sizing runners and the benchmark. */
function ownResources() {
  const usage = process.resourceUsage();
  return {
    peakRssBytes: usage.maxRSS * 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  };
}

/** A failure while a signal stopped the command is an interruption, whatever broke first. */
function failureOf(error: unknown, signal: AbortSignal): AgentError {
  const agentError = toAgentError(error);
  if (!signal.aborted || agentError.code === 'interrupted') return agentError;
  return new AgentError(
    'interrupted',
    `interrupted by ${interruption(signal)}: ${agentError.message}`,
  );
}

/**
 * The one way dump, restore, verify and prune end: exactly one result event (with --events), a
 * human line on stderr, and the exit code that tells the failure apart.
 */
export async function runCommand(
  options: { events?: boolean; known?: ResultFacts },
  work: (run: CommandRun) => Promise<ResultFacts>,
): Promise<void> {
  const reporter = createReporter({ events: Boolean(options.events) });
  const run: CommandRun = {
    reporter,
    signal: interruptSignal(),
    known: { ...options.known },
  };
  const result = (event: ResultEvent) => {
    reporter.event(event);
    writeResultFile(event);
  };
  try {
    const facts = await work(run);
    result({
      type: 'result',
      status: 'succeeded',
      ...NOTHING_KNOWN,
      ...run.known,
      ...facts,
      error: null,
      ...ownResources(),
    });
    reporter.log('succeeded');
    process.exitCode = EXIT_CODES.ok;
  } catch (error) {
    const agentError = failureOf(error, run.signal);
    result({
      type: 'result',
      status: 'failed',
      ...NOTHING_KNOWN,
      ...run.known,
      error: { code: agentError.code, message: agentError.message },
      ...ownResources(),
    });
    reporter.log(`failed: ${agentError.message}`);
    process.exitCode = agentError.exitCode;
  }
}
