import { CommanderError } from 'commander';
import { check } from './commands/check';
import { dump } from './commands/dump';
import { restore } from './commands/restore';
import { verify } from './commands/verify';
import { prune } from './commands/prune';
import { manifestUrlOf } from './archive/manifest';
import { AgentError, EXIT_CODES, toAgentError } from './cli/errors';
import { interruptSignal, interruption } from './cli/interrupt';
import { createReporter, Reporter } from './cli/reporter';
import { createProgram } from './cli/program';
import type { ErrorSummary } from './archive/restoreErrors';

/**
 * Runs a restore or verify: exactly one result event, a human line on stderr, and the exit code
 * that tells the failure apart.
 */
async function runArtifactCommand(
  from: string,
  events: boolean,
  work: (
    reporter: Reporter,
    signal: AbortSignal,
  ) => Promise<{
    manifest: {
      bytes: number;
      sha256: string;
      server: { version: string };
      pgDump: { version: string };
    };
    outcome?: { allowedErrors?: ErrorSummary };
  }>,
) {
  const reporter = createReporter({ events });
  const base = { type: 'result' as const, location: from, key: null };
  const signal = interruptSignal();
  try {
    const { manifest, outcome } = await work(reporter, signal);
    reporter.event({
      ...base,
      status: 'succeeded',
      manifest: manifestUrlOf(from),
      bytes: manifest.bytes,
      sha256: manifest.sha256,
      serverVersion: manifest.server.version,
      pgDumpVersion: manifest.pgDump.version,
      error: null,
      errorsIgnored: outcome?.allowedErrors ?? null,
      peakRssBytes: null,
      cpuSeconds: null,
    });
    reporter.log('succeeded');
    process.exitCode = EXIT_CODES.ok;
  } catch (error) {
    const agentError = signal.aborted
      ? new AgentError(
          'interrupted',
          `interrupted by ${interruption(signal)}: ${
            toAgentError(error).message
          }`,
        )
      : toAgentError(error);
    reporter.event({
      ...base,
      status: 'failed',
      manifest: null,
      bytes: null,
      sha256: null,
      serverVersion: null,
      pgDumpVersion: null,
      error: { code: agentError.code, message: agentError.message },
      errorsIgnored: null,
      peakRssBytes: null,
      cpuSeconds: null,
    });
    reporter.log(`failed: ${agentError.message}`);
    process.exitCode = agentError.exitCode;
  }
}

const program = createProgram({
  check: async opts => {
    process.exitCode = await check(opts, createReporter({ events: false }));
  },
  dump: async opts => {
    const reporter = createReporter({ events: Boolean(opts.events) });
    try {
      await dump(opts, reporter, interruptSignal());
      process.exitCode = EXIT_CODES.ok;
    } catch (error) {
      const agentError = toAgentError(error);
      reporter.log(`failed: ${agentError.message}`);
      process.exitCode = agentError.exitCode;
    }
  },
  restore: opts =>
    runArtifactCommand(opts.from, Boolean(opts.events), (reporter, signal) =>
      restore(opts, reporter, signal),
    ),
  verify: opts =>
    runArtifactCommand(opts.from, Boolean(opts.events), (reporter, signal) =>
      verify(opts, reporter, signal),
    ),
  prune: async opts => {
    const reporter = createReporter({ events: Boolean(opts.events) });
    try {
      await prune(opts, reporter);
      process.exitCode = EXIT_CODES.ok;
    } catch (error) {
      const agentError = toAgentError(error);
      reporter.log(`failed: ${agentError.message}`);
      process.exitCode = agentError.exitCode;
    }
  },
});

program.parseAsync(process.argv).catch(error => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
    return;
  }
  process.stderr.write(`backlot-agent: ${toAgentError(error).message}\n`);
  process.exitCode = toAgentError(error).exitCode;
});
